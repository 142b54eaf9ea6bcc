import type { StackProps } from 'aws-cdk-lib';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StepsEnvInput } from '../../functions/shared/env.ts';
import type { StepGroup } from '../../functions/steps/step-groups.ts';
import { type BrokerFunction, stageLogs } from '../constructs/broker-function.ts';
import { ConcernStack } from '../constructs/concern.ts';
import { FailureAlarms } from '../constructs/failure-alarms.ts';
import { Leases } from '../constructs/leases.ts';
import { PhaseArcs, type Timings } from '../constructs/phase-arcs.ts';
import { Reconciler } from '../constructs/reconciler.ts';
import { Webhooks } from '../constructs/webhooks.ts';
import type { Run } from '../naming.ts';
import type { ApiStack } from './api-stack.ts';
import type { DataStack } from './data-stack.ts';

// test/conformance/suites/state-machines.ts fills the ASL files as this stack does: TIMINGS below,
// and each placeholder the file names.

export interface WorkflowsStackProps extends StackProps {
  stage: string;
  data: DataStack;
  api: ApiStack;
}

/** The state machines' timing substitutions (seconds); the local stack uses brisker ones. */
export const TIMINGS: Timings = {
  SubstratePollSeconds: 10,
  DrainPollSeconds: 10,
  // As long as a bootstrap token lives (StepsEnvSchema's BOOTSTRAP_TOKEN_TTL_SECONDS default): a
  // node that has not enrolled by then cannot any more.
  EnrolTimeoutSeconds: 900,
};

/**
 * The workflows of one stage, a construct per concern: the phase arcs (state machines and their step
 * functions), the reconciler on its schedule, the lease timers, and the alarms on failures. Their resources keep the
 * logical ids they had when this stack built them inline (ConcernStack).
 */
export class WorkflowsStack extends ConcernStack {
  readonly phaseArcs: PhaseArcs;
  readonly reconciler: Reconciler;
  /** The lease timers' schedule group, the lease-expiry function and the role Scheduler invokes it with. */
  readonly leases: Leases;
  /** The webhook dispatcher on the table's stream, its dead-letter queue, and its lane timers. */
  readonly webhooks: Webhooks;
  /** Their topic is where every alarm notifies: subscribe what your operations use (`-c alarmEmail=…` adds an email). */
  readonly failureAlarms: FailureAlarms;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    const { stage, data, api } = props;
    const logs = stageLogs(stage);
    const publicUrl = api.httpApi.apiEndpoint;

    this.phaseArcs = new PhaseArcs(this, 'PhaseArcs', { stage, data, publicUrl, timings: TIMINGS, ...logs });
    this.failureAlarms = new FailureAlarms(this, 'FailureAlarms', {
      stage,
      machines: this.machines,
      markFailedLogs: this.steps['provision-steps'].logGroup,
      email: alarmEmailOf(this),
    });
    this.reconciler = new Reconciler(this, 'Reconciliation', { stage, data, publicUrl, machines: this.machines, ...logs });
    this.leases = new Leases(this, 'LeaseTimers', { stage, data, publicUrl, machines: this.machines, ...logs });
    this.webhooks = new Webhooks(this, 'Webhooks', { stage, data, publicUrl, machines: this.machines, ...logs });
  }

  /** The step functions, one per step group. */
  get steps(): Record<StepGroup, BrokerFunction<StepsEnvInput>> {
    return this.phaseArcs.steps;
  }

  get machines(): Record<Run, StateMachine> {
    return this.phaseArcs.machines;
  }
}

/** `-c alarmEmail=<address>`, if given. */
function alarmEmailOf(scope: Construct): string | undefined {
  const email: unknown = scope.node.tryGetContext('alarmEmail');
  return typeof email === 'string' && email ? email : undefined;
}
