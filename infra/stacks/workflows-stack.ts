import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StepsEnvInput } from '../../functions/shared/env.ts';
import {
  RESOURCE_FAILED_LOG_MESSAGE,
  STATE_MACHINES,
  STEP_GROUPS,
  type StepGroup,
  TIMING_SUBSTITUTIONS,
} from '../../functions/steps/step-groups.ts';
import { ApiFunction, PROJECT_ROOT } from '../constructs/api-function.ts';
import { executionsArn, RUNS, type Run, stateMachineArn, stateMachineName } from '../constructs/state-machine-names.ts';
import type { ApiStack } from './api-stack.ts';
import type { DataStack } from './data-stack.ts';

export interface WorkflowsStackProps extends StackProps {
  stage: string;
  data: DataStack;
  api: ApiStack;
}

/** The state machines' timing substitutions (seconds); the local stack uses brisker ones. */
export const TIMINGS: Record<(typeof TIMING_SUBSTITUTIONS)[number], number> = {
  SubstratePollSeconds: 10,
  DrainPollSeconds: 10,
  // As long as a bootstrap token lives (StepsEnvSchema's BOOTSTRAP_TOKEN_TTL_SECONDS default): a
  // node that has not enrolled by then cannot any more.
  EnrolTimeoutSeconds: 900,
};

/** The `${Name}` placeholders of an ASL file, in order of first appearance. */
export function placeholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))];
}

/** The step groups whose function an ASL file names. */
export function groupsOf(asl: string): StepGroup[] {
  const names = new Set(placeholders(asl));
  return (Object.keys(STEP_GROUPS) as StepGroup[]).filter((g) => names.has(STEP_GROUPS[g].substitution));
}

/** The metric a Resource entering Failed counts towards (see the filter below). */
export const RESOURCES_FAILED_METRIC = { namespace: 'Plexsphere', metricName: 'ResourcesFailed' } as const;

/** The step handler's info line for a Resource that mark-failed moved to Failed (not for a superseded run). */
export const MARK_FAILED_PATTERN = FilterPattern.stringValue('$.message', '=', RESOURCE_FAILED_LOG_MESSAGE);

/**
 * The phase arcs: the two state machines from statemachines/*.asl.json, one function per step
 * group, the reconciler on a one-minute schedule, and alarms on failed runs.
 */
export class WorkflowsStack extends Stack {
  readonly steps: Record<StepGroup, ApiFunction<StepsEnvInput>>;
  readonly machines: Record<Run, StateMachine>;
  readonly reconciler: ApiFunction;
  readonly alarms: Alarm[] = [];
  /** Where every alarm notifies: subscribe what your operations use (`-c alarmEmail=…` adds an email). */
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    const { stage, data, api } = props;
    const dev = stage === 'dev';
    const logRetention = dev ? RetentionDays.ONE_WEEK : RetentionDays.THREE_MONTHS;
    const logRemovalPolicy = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const publicUrl = api.httpApi.apiEndpoint;

    const groups = Object.keys(STEP_GROUPS) as StepGroup[];
    this.steps = Object.fromEntries(
      groups.map((group) => {
        const def = STEP_GROUPS[group];
        const fn = new ApiFunction<StepsEnvInput>(this, pascal(group), {
          entry: def.entry,
          description: `plexsphere ${stage} ${group}: ${def.description}`,
          logRetention,
          logRemovalPolicy,
          authz: false,
          // EC2 calls and the phase write; Retry in the ASL covers what fails.
          timeout: Duration.seconds(30),
          memorySize: 512,
          environment: {
            STAGE: stage,
            TABLE_NAME: data.tableName,
            PUBLIC_URL: publicUrl,
          },
        });
        data.grantTableUse(fn.fn);
        return [group, fn];
      }),
    ) as Record<StepGroup, ApiFunction<StepsEnvInput>>;

    // The substrate steps resolve the pinned credential and mint the bootstrap token (user data).
    data.secrets.grantCredentialRead(this.steps['substrate-steps'].fn);
    data.secrets.grantBootstrapTokenKeyLoadOrCreate(this.steps['substrate-steps'].fn);
    // The Enrolling step completes its own wait when the node registered first.
    Grant.addToPrincipal({
      grantee: this.steps['provision-steps'].fn,
      actions: ['states:SendTaskSuccess'],
      resourceArns: [stateMachineArn(this, stage, 'provision')],
    });

    const substitutions: Record<string, string> = Object.fromEntries(TIMING_SUBSTITUTIONS.map((name) => [name, String(TIMINGS[name])]));
    for (const group of groups) substitutions[STEP_GROUPS[group].substitution] = this.steps[group].fn.functionArn;

    this.machines = Object.fromEntries(
      RUNS.map((run) => {
        const asl = readFileSync(`${PROJECT_ROOT}${STATE_MACHINES[run].file}`, 'utf8');
        const logs = new LogGroup(this, `${pascal(run)}Logs`, { retention: logRetention, removalPolicy: logRemovalPolicy });
        const machine = new StateMachine(this, pascal(run), {
          stateMachineName: stateMachineName(stage, run),
          stateMachineType: StateMachineType.STANDARD,
          definitionBody: DefinitionBody.fromString(asl),
          // Only what this file names: CloudFormation refuses a definition with an unknown one.
          definitionSubstitutions: Object.fromEntries(placeholders(asl).map((name) => [name, required(substitutions, name)])),
          tracingEnabled: true,
          // Execution data holds task tokens: the log has the events, not the payloads.
          logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
        });
        // Only the functions its Task states name (a string definition grants nothing by itself).
        for (const group of groupsOf(asl)) this.steps[group].fn.grantInvoke(machine);

        this.alarms.push(
          new Alarm(this, `${pascal(run)}ExecutionsFailed`, {
            alarmName: `${stateMachineName(stage, run)}-executions-failed`,
            alarmDescription: `A ${run} run failed: its Resource is Failed (provisioning.last_error says why) or a step kept failing.`,
            metric: machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
        );
        return [run, machine];
      }),
    ) as Record<Run, StateMachine>;

    const failed = new MetricFilter(this, 'ResourcesFailedFilter', {
      logGroup: this.steps['provision-steps'].logGroup,
      filterPattern: MARK_FAILED_PATTERN,
      metricNamespace: RESOURCES_FAILED_METRIC.namespace,
      metricName: RESOURCES_FAILED_METRIC.metricName,
      metricValue: '1',
    });
    this.alarms.push(
      new Alarm(this, 'ResourcesFailedAlarm', {
        alarmName: `plexsphere-${stage}-resources-failed`,
        alarmDescription: 'A Resource entered Failed (provision or teardown).',
        metric: failed.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      topicName: `plexsphere-${stage}-alarms`,
      displayName: `Plexsphere ${stage} alarms`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    const alarmEmail: unknown = this.node.tryGetContext('alarmEmail');
    if (typeof alarmEmail === 'string' && alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(alarmEmail));
    for (const alarm of this.alarms) alarm.addAlarmAction(new SnsAction(this.alarmTopic));

    // The reconciler resumes Resources whose run was lost. It is wired like the API (composition.ts).
    this.reconciler = new ApiFunction(this, 'Reconciler', {
      entry: 'functions/steps/reconcile.handler.ts',
      description: `plexsphere ${stage} reconciler: resumes Resources with no run in flight`,
      logRetention,
      logRemovalPolicy,
      timeout: Duration.seconds(50),
      environment: {
        STAGE: stage,
        TABLE_NAME: data.tableName,
        PUBLIC_URL: publicUrl,
        SIGNING_KEY_SECRET_ID: data.secrets.signingKeyName,
        CREDENTIAL_SECRET_PREFIX: data.secrets.credentialPrefix,
        PROVISION_STATE_MACHINE_ARN: this.machines.provision.stateMachineArn,
        TEARDOWN_STATE_MACHINE_ARN: this.machines.teardown.stateMachineArn,
      },
    });
    data.grantTableUse(this.reconciler.fn);
    Grant.addToPrincipal({
      grantee: this.reconciler.fn,
      actions: ['states:StartExecution'],
      resourceArns: RUNS.map((run) => this.machines[run].stateMachineArn),
    });
    Grant.addToPrincipal({
      grantee: this.reconciler.fn,
      actions: ['states:DescribeExecution'],
      resourceArns: RUNS.map((run) => executionsArn(this, stage, run)),
    });
    new Rule(this, 'ReconcileSchedule', {
      description: `plexsphere ${stage}: run the reconciler`,
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed tick is covered by the next one.
      targets: [new LambdaFunction(this.reconciler.fn, { retryAttempts: 0 })],
    });
  }
}

function required(values: Record<string, string>, name: string): string {
  const value = values[name];
  if (value === undefined) throw new Error(`No definition substitution for \${${name}}`);
  return value;
}

function pascal(s: string): string {
  return s
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
