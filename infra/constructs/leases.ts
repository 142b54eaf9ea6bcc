import { Duration, type Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, type Role } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { ApiEnvInput } from '../../functions/shared/env.ts';
import { LEASE_EXPIRY_FUNCTION } from '../../functions/steps/step-groups.ts';
import { description, leaseExpiryFunctionName, leaseScheduleGroupName, leaseSchedulerRoleName, type Run } from '../naming.ts';
import type { DataStack } from '../stacks/data-stack.ts';
import { apiEnvironment } from './api-environment.ts';
import { BrokerFunction, type StageLogs } from './broker-function.ts';
import { Concern } from './concern.ts';
import { grantScheduleCreate, schedulerRole, type TimerNames, timerArns } from './scheduler-target.ts';
import { executionsArn } from './state-machine-arns.ts';

// The lease timers: one EventBridge Scheduler one-time schedule per Resource (`lease-<id>` in the
// stage's group), invoking the lease-expiry function through a role only Scheduler may assume. Who
// arms a timer (the resources API group, and the lease-expiry function when a lease moved) gets
// leaseTimerEnvironment and grantLeaseTimers; both name things by their fixed names (naming.ts),
// so the API stack needs no reference to the workflows stack.

type LeaseEnvironment = Required<Pick<ApiEnvInput, 'LEASE_SCHEDULE_GROUP' | 'LEASE_EXPIRY_FUNCTION_ARN' | 'LEASE_SCHEDULER_ROLE_ARN'>>;

function timerNames(stage: string): TimerNames {
  return {
    group: leaseScheduleGroupName(stage),
    schedulePrefix: 'lease-',
    fn: leaseExpiryFunctionName(stage),
    role: leaseSchedulerRoleName(stage),
  };
}

/** What SchedulerLeaseTimers is configured by (functions/shared/composition.ts). */
export function leaseTimerEnvironment(scope: IConstruct, stage: string): LeaseEnvironment {
  const { fn, role } = timerArns(scope, timerNames(stage));
  return { LEASE_SCHEDULE_GROUP: leaseScheduleGroupName(stage), LEASE_EXPIRY_FUNCTION_ARN: fn, LEASE_SCHEDULER_ROLE_ARN: role };
}

/** Arming a timer: create a `lease-*` schedule of the stage's group (never replaced), handing Scheduler its role. */
export function grantLeaseTimers(grantee: IGrantable & IConstruct, stage: string): void {
  grantScheduleCreate(grantee, timerNames(stage));
}

/** The cdk-nag finding a stack that arms timers accepts: its wildcard is the timers' name prefix. */
export function acknowledgeLeaseTimers(stack: Stack, stage: string): void {
  const resource = `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${leaseScheduleGroupName(stage)}/lease-*`;
  Validations.of(stack).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${resource}]`,
    reason:
      'One schedule per Resource, named lease-<resource id> when its lease is armed: the name is known only by prefix, in the stage`s group only.',
  });
}

export interface LeasesProps extends StageLogs {
  stage: string;
  data: DataStack;
  /** The API's URL (PUBLIC_URL, as the API functions have it). */
  publicUrl: string;
  /** The machines a lease expiry stops (provision) and starts (teardown). */
  machines: Record<Run, IStateMachine>;
}

/**
 * The schedule group, the lease-expiry function, and the role Scheduler assumes to invoke it. The
 * function is wired like the API's (functions/shared/composition.ts), so it has their environment.
 */
export class Leases extends Concern {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly group: CfnScheduleGroup;

  constructor(scope: Construct, id: string, props: LeasesProps) {
    super(scope, id);
    const { stage, data, publicUrl, machines, ...logs } = props;
    this.group = new CfnScheduleGroup(this, 'LeaseSchedules', { name: leaseScheduleGroupName(stage) });

    const { fn } = new BrokerFunction<ApiEnvInput>(this, 'LeaseExpiry', {
      entry: LEASE_EXPIRY_FUNCTION.entry,
      description: description(stage, 'tears down a Resource whose lease ran out', 'lease-expiry'),
      ...logs,
      timeout: Duration.seconds(30),
      environment: {
        ...apiEnvironment(stage, data, publicUrl, {
          provision: machines.provision.stateMachineArn,
          teardown: machines.teardown.stateMachineArn,
        }),
        // A timer that fires before its lease ends (the lease moved later) is armed again.
        ...leaseTimerEnvironment(this, stage),
      },
    });
    // Named, so the API stack can name it (leaseTimerEnvironment) without a reference here.
    (fn.node.defaultChild as CfnFunction).functionName = leaseExpiryFunctionName(stage);
    this.fn = fn;
    data.grantTableUse(fn, LEASE_EXPIRY_FUNCTION.name);
    // An expiry stops the provision run in flight, if any, and starts the teardown.
    Grant.addToPrincipal({ grantee: fn, actions: ['states:StartExecution'], resourceArns: [machines.teardown.stateMachineArn] });
    Grant.addToPrincipal({ grantee: fn, actions: ['states:StopExecution'], resourceArns: [executionsArn(this, stage, 'provision')] });
    grantLeaseTimers(fn, stage);

    // Only Scheduler, acting for this account's lease group, may assume it; it may only invoke the function.
    this.role = schedulerRole(
      this,
      'LeaseScheduler',
      timerNames(stage),
      fn.functionArn,
      description(stage, 'EventBridge Scheduler invokes the lease-expiry function', 'lease-timers'),
    ).role;
  }
}
