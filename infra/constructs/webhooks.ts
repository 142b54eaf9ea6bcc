import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, type Role } from 'aws-cdk-lib/aws-iam';
import { type CfnFunction, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { ApiEnvInput } from '../../functions/shared/env.ts';
import { WEBHOOK_DISPATCH_FUNCTION, WEBHOOK_SWEEP } from '../../functions/steps/step-groups.ts';
import { description, type Run, webhookNames } from '../naming.ts';
import type { DataStack } from '../stacks/data-stack.ts';
import { apiEnvironment } from './api-environment.ts';
import { BrokerFunction, type StageLogs } from './broker-function.ts';
import { Concern } from './concern.ts';
import { grantScheduleCreate, schedulerRole, type TimerNames, timerArns } from './scheduler-target.ts';

// Signed webhooks on AWS. The table's stream (NEW_IMAGE) feeds the dispatch function through an
// event source mapping filtered to inserted event items (Keys.PK beginning EVENTS#): a record per
// committed event, handed over again until the function takes it (bisecting a failing batch,
// reporting the records to hand over again), and sent to a dead-letter queue after that. A record
// only wakes its domain up: the function fans out from the domain's event log, so a record lost on
// the way is recovered by the next one of its domain, or by the sweep, a recurring schedule in the
// stage's webhook group. A lane's retries and a domain's unfinished fan-out are one-time EventBridge
// Scheduler schedules (`wh-*` in that group) invoking the same function through a role only
// Scheduler may assume. Names are fixed per stage (like the lease timers'), so the API stack names
// them without a reference here.

function timerNames(stage: string): TimerNames {
  return {
    group: webhookNames.scheduleGroup(stage),
    schedulePrefix: 'wh-',
    fn: webhookNames.dispatchFunction(stage),
    role: webhookNames.schedulerRole(stage),
  };
}

function arns(scope: IConstruct, stage: string) {
  return {
    ...timerArns(scope, timerNames(stage)),
    secrets: Stack.of(scope).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${webhookNames.secretPrefix(stage)}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}

/** What the webhook functions read beside ApiEnvSchema (functions/shared/webhook-env.ts). */
export function webhookEnvironment(scope: IConstruct, stage: string): Record<string, string> {
  const { fn, role } = arns(scope, stage);
  return { WEBHOOK_SCHEDULE_GROUP: webhookNames.scheduleGroup(stage), WEBHOOK_DISPATCH_FUNCTION_ARN: fn, WEBHOOK_SCHEDULER_ROLE_ARN: role };
}

/** Arming a lane timer: create a `wh-*` schedule of the stage's webhook group, handing Scheduler its role. */
export function grantLaneTimers(grantee: IGrantable & IConstruct, stage: string): void {
  grantScheduleCreate(grantee, timerNames(stage));
}

/** The webhooks API vaults a new webhook's secret and deletes it with the webhook; it never reads one. */
export function grantWebhookSecretsManage(grantee: IGrantable & IConstruct, stage: string): void {
  Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret'],
    resourceArns: [arns(grantee, stage).secrets],
  });
}

/** The cdk-nag findings a stack that arms lane timers or vaults webhook secrets accepts: each wildcard is a name prefix. */
export function acknowledgeWebhooks(stack: Stack, stage: string): void {
  const arn = (service: string, resource: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
  const accept = (resource: string, reason: string) =>
    Validations.of(stack).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  accept(
    arn('scheduler', `schedule/${webhookNames.scheduleGroup(stage)}/wh-*`),
    'One schedule per lane and retry time, named wh-<lane hash>-<time>: known only by prefix, in the stage`s webhook group only.',
  );
  accept(
    arn('secretsmanager', `secret:${webhookNames.secretPrefix(stage)}*`),
    'One signing secret per webhook, created at run time under the stage`s webhook prefix: the name is known only by prefix.',
  );
}

export interface WebhooksProps extends StageLogs {
  stage: string;
  data: DataStack;
  publicUrl: string;
  machines: Record<Run, IStateMachine>;
}

/** The dispatch function, its stream mapping and dead-letter queue, the timers' group, the sweep and Scheduler's role. */
export class Webhooks extends Concern {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly group: CfnScheduleGroup;
  readonly deadLetters: Queue;
  readonly sweep: CfnSchedule;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    const { stage, data, publicUrl, machines, ...logs } = props;
    const names = arns(this, stage);

    this.group = new CfnScheduleGroup(this, 'WebhookSchedules', { name: webhookNames.scheduleGroup(stage) });

    const { fn } = new BrokerFunction<ApiEnvInput>(this, 'WebhookDispatch', {
      entry: WEBHOOK_DISPATCH_FUNCTION.entry,
      description: description(stage, 'signs and delivers events to webhooks, retries and parks', 'webhooks'),
      ...logs,
      // Its drains stop starting attempts after four minutes (functions/steps/webhook-dispatch.handler.ts).
      timeout: Duration.minutes(5),
      environment: {
        ...apiEnvironment(stage, data, publicUrl, {
          provision: machines.provision.stateMachineArn,
          teardown: machines.teardown.stateMachineArn,
        }),
        ...webhookEnvironment(this, stage),
      },
    });
    (fn.node.defaultChild as CfnFunction).functionName = webhookNames.dispatchFunction(stage);
    this.fn = fn;
    data.grantTableUse(fn, WEBHOOK_DISPATCH_FUNCTION.name);
    Grant.addToPrincipal({ grantee: fn, actions: ['secretsmanager:GetSecretValue'], resourceArns: [names.secrets] });
    grantLaneTimers(fn, stage);

    // Records the function could not take after its retries: kept two weeks for a look by hand.
    this.deadLetters = new Queue(this, 'WebhookDispatchFailures', {
      queueName: webhookNames.deadLetters(stage),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'It is a dead-letter queue: the stream mapping`s failure destination (cdk-nag only recognises queues named as another queue`s DLQ).',
    });
    fn.addEventSource(
      new DynamoEventSource(data.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // One batch per shard at a time: a domain's events stay in seq order.
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 20,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(this.deadLetters),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { PK: { S: FilterRule.beginsWith('EVENTS#') } } },
          }),
        ],
      }),
    );

    // Only Scheduler, acting for this account's webhook group, may assume it; it may only invoke the function.
    const scheduler = schedulerRole(
      this,
      'WebhookScheduler',
      timerNames(stage),
      fn.functionArn,
      description(stage, 'EventBridge Scheduler invokes the webhook dispatch function', 'webhooks'),
    );
    this.role = scheduler.role;
    const { invoke } = scheduler;

    // Every few minutes: fan out the domains whose cursor is behind their log (a lost stream record
    // with no later one of its domain). A missed run is not retried for long: the next one comes.
    this.sweep = new CfnSchedule(this, 'WebhookSweep', {
      name: webhookNames.sweepSchedule,
      groupName: this.group.ref,
      description: description(stage, 'fans out webhook events whose stream record was lost', 'webhooks'),
      scheduleExpression: `rate(${WEBHOOK_SWEEP.everyMinutes} minutes)`,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: fn.functionArn,
        roleArn: this.role.roleArn,
        input: JSON.stringify(WEBHOOK_SWEEP.event),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 120 },
      },
    });
    // The role's policy first (the role itself comes first by its reference): a schedule whose role may not invoke the function yet would fail its first runs.
    if (invoke.policyDependable) this.sweep.node.addDependency(invoke.policyDependable);
    acknowledgeWebhooks(Stack.of(this), stage);
  }
}
