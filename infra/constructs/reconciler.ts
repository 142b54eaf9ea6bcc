import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { ApiEnvInput } from '../../functions/shared/env.ts';
import { description, RUNS, type Run } from '../naming.ts';
import type { DataStack } from '../stacks/data-stack.ts';
import { apiEnvironment } from './api-environment.ts';
import { BrokerFunction, type StageLogs } from './broker-function.ts';
import { Concern } from './concern.ts';
import { executionsArn } from './state-machine-arns.ts';

export interface ReconcilerProps extends StageLogs {
  stage: string;
  data: DataStack;
  /** The API's URL (PUBLIC_URL, as the API functions have it). */
  publicUrl: string;
  /** The machines whose runs it resumes. */
  machines: Record<Run, IStateMachine>;
}

/**
 * The reconciler: resumes Resources whose run was lost (no execution in flight), on a one-minute
 * schedule. Its function is wired like the API's (functions/shared/composition.ts), so it has their
 * environment.
 */
export class Reconciler extends Concern {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const { stage, data, publicUrl, machines, ...logs } = props;

    const { fn } = new BrokerFunction<ApiEnvInput>(this, 'Reconciler', {
      entry: 'functions/steps/reconcile.handler.ts',
      description: description(stage, 'resumes Resources with no run in flight', 'reconciler'),
      ...logs,
      timeout: Duration.seconds(50),
      environment: apiEnvironment(stage, data, publicUrl, {
        provision: machines.provision.stateMachineArn,
        teardown: machines.teardown.stateMachineArn,
      }),
    });
    this.fn = fn;
    data.grantTableUse(fn, 'reconciler');
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['states:StartExecution'],
      resourceArns: RUNS.map((run) => machines[run].stateMachineArn),
    });
    Grant.addToPrincipal({
      grantee: fn,
      actions: ['states:DescribeExecution'],
      resourceArns: RUNS.map((run) => executionsArn(this, stage, run)),
    });

    new Rule(this, 'ReconcileSchedule', {
      description: description(stage, 'run the reconciler'),
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed tick is covered by the next one.
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
  }
}
