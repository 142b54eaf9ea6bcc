import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { RESOURCE_FAILED_LOG_MESSAGE } from '../../functions/steps/step-groups.ts';
import {
  alarmTopicDisplayName,
  alarmTopicName,
  ConstructIds,
  executionsFailedAlarmName,
  METRIC_NAMESPACE,
  RUNS,
  type Run,
  resourcesFailedAlarmName,
} from '../naming.ts';
import { Concern } from './concern.ts';

/** The metric a Resource entering Failed counts towards (the filter on the step logs below). */
export const RESOURCES_FAILED_METRIC = { namespace: METRIC_NAMESPACE, metricName: 'ResourcesFailed' } as const;

/** The step handler's info line for a Resource that mark-failed moved to Failed (not for a superseded run). */
export const MARK_FAILED_PATTERN = FilterPattern.stringValue('$.message', '=', RESOURCE_FAILED_LOG_MESSAGE);

export interface FailureAlarmsProps {
  stage: string;
  machines: Record<Run, IStateMachine>;
  /** The log group of the step group that runs mark-failed (provision-steps). */
  markFailedLogs: ILogGroup;
  /** An address subscribed to the alarm topic, if any. */
  email?: string;
}

/**
 * The alarms on failure: a run of either machine failed, or a Resource entered Failed (counted from
 * the step logs). Each notifies the stage's alarm topic.
 */
export class FailureAlarms extends Concern {
  readonly alarms: Alarm[];
  /** Where every alarm notifies: subscribe what your operations use (`email` adds an address). */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: FailureAlarmsProps) {
    super(scope, id);
    const { stage, machines } = props;

    const failedRuns = RUNS.map(
      (run) =>
        new Alarm(this, ConstructIds.executionsFailedAlarm(run), {
          alarmName: executionsFailedAlarmName(stage, run),
          alarmDescription: `A ${run} run failed: its Resource is Failed (provisioning.last_error says why) or a step kept failing.`,
          ...whenAny(machines[run].metricFailed({ period: Duration.minutes(5), statistic: 'Sum' })),
        }),
    );

    const failedResources = new MetricFilter(this, 'ResourcesFailedFilter', {
      logGroup: props.markFailedLogs,
      filterPattern: MARK_FAILED_PATTERN,
      metricNamespace: RESOURCES_FAILED_METRIC.namespace,
      metricName: RESOURCES_FAILED_METRIC.metricName,
      metricValue: '1',
    });
    const failedResource = new Alarm(this, 'ResourcesFailedAlarm', {
      alarmName: resourcesFailedAlarmName(stage),
      alarmDescription: 'A Resource entered Failed (provision or teardown).',
      ...whenAny(failedResources.metric({ period: Duration.minutes(5), statistic: 'Sum' })),
    });
    this.alarms = [...failedRuns, failedResource];

    this.topic = new Topic(this, 'AlarmTopic', {
      topicName: alarmTopicName(stage),
      displayName: alarmTopicDisplayName(stage),
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    for (const alarm of this.alarms) alarm.addAlarmAction(new SnsAction(this.topic));
  }
}

/** Alarms as soon as one event is counted in a period; a period without data is not a breach. */
function whenAny(metric: IMetric) {
  return {
    metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  };
}
