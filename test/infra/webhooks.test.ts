import { existsSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { webhookSecretPrefix } from '../../functions/adapters/webhook-secrets.ts';
import { ApiEnvSchema } from '../../functions/shared/env.ts';
import { WebhookEnvSchema } from '../../functions/shared/webhook-env.ts';
import { WEBHOOK_DISPATCH_FUNCTION } from '../../functions/steps/step-groups.ts';
import { PROJECT_ROOT } from '../../infra/constructs/broker-function.ts';
import { webhookEnvironment } from '../../infra/constructs/webhooks.ts';
import { webhookNames } from '../../infra/naming.ts';
import { TABLE_ACTIONS } from '../../infra/stacks/data-stack.ts';
import { LOCAL_FUNCTION_ENTRIES, WEBHOOK_DISPATCH } from '../../local/functions.ts';
import { webhookGrants } from '../support/webhook-grants.ts';
import { logicalId, permissionsOfRole, render, resources, roleOfFunction, type Synthesized, synth } from './synth.ts';

// The webhooks on AWS: the table's stream, the event source mapping that hands the dispatcher the
// inserted event items (with its retries and dead-letter queue), the dispatch function, the lane
// timers' schedule group and the role Scheduler invokes the function with.

type Env = Record<string, unknown>;

describe.each(['dev', 'prod'])('webhooks, stage %s', (stage) => {
  let s: Synthesized;
  let fnId: string;
  let roleId: string;
  let queueId: string;
  beforeAll(() => {
    s = synth(stage);
    const { workflows } = s.plexsphere;
    fnId = logicalId(workflows, workflows.webhooks.fn.node.defaultChild as CfnElement);
    roleId = logicalId(workflows, workflows.webhooks.role.node.defaultChild as CfnElement);
    queueId = logicalId(workflows, workflows.webhooks.deadLetters.node.defaultChild as CfnElement);
  });

  it('streams the table’s new images', () => {
    const [table] = Object.values(resources(s.data, 'AWS::DynamoDB::Table'));
    expect(table?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });

  it('maps inserted event items only to the dispatcher, in order, bisecting and retrying, then to the dead-letter queue', () => {
    const mappings = Object.values(resources(s.workflows, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    const m = mappings[0]?.Properties ?? {};
    expect(render(m.FunctionName)).toBe(`\${${fnId}}`);
    expect(render(m.EventSourceArn)).toMatch(/^\$\{import:/);
    expect(m).toMatchObject({
      StartingPosition: 'LATEST',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 20,
      MaximumRecordAgeInSeconds: 86_400,
    });
    expect(render((m.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination)).toBe(`\${${queueId}.Arn}`);
    const patterns = (m.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters.map((f) => JSON.parse(f.Pattern));
    expect(patterns).toEqual([{ eventName: ['INSERT'], dynamodb: { Keys: { PK: { S: [{ prefix: 'EVENTS#' }] } } } }]);
    const queue = resources(s.workflows, 'AWS::SQS::Queue')[queueId];
    expect(queue?.Properties).toMatchObject({ QueueName: webhookNames.deadLetters(stage), SqsManagedSseEnabled: true });
  });

  it('deploys the dispatcher by its fixed name, wired like the API functions, told where the lane timers live', () => {
    const fn = resources(s.workflows, 'AWS::Lambda::Function')[fnId];
    expect(fn?.Properties).toMatchObject({ FunctionName: webhookNames.dispatchFunction(stage), Runtime: 'nodejs24.x', Timeout: 300 });
    const env = ((fn?.Properties.Environment ?? { Variables: {} }) as { Variables: Env }).Variables;
    const required = Object.entries(ApiEnvSchema.shape).filter(([, schema]) => !schema.safeParse(undefined).success);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(required.map(([key]) => key)));
    const timers = Object.fromEntries(
      Object.entries(env)
        .filter(([k]) => k.startsWith('WEBHOOK_'))
        .map(([k, v]) => [k, render(v)]),
    );
    expect(timers).toEqual(
      Object.fromEntries(
        Object.entries(webhookEnvironment(s.plexsphere.workflows, stage)).map(([k, v]) => [k, render(s.plexsphere.workflows.resolve(v))]),
      ),
    );
    // Not the embedded stack's setting: on AWS a webhook is never http to the loopback.
    expect(env.WEBHOOK_ALLOW_HTTP_LOOPBACK).toBeUndefined();
  });

  it('lets the dispatcher read the webhook secrets, arm lane timers, read the stream and dead-letter a batch, and nothing else', () => {
    const grants = webhookGrants(stage);
    const permissions = permissionsOfRole(s.workflows, roleOfFunction(s.workflows, fnId)).filter((p) => !p.startsWith('xray:'));
    const own = permissions.filter((p) => !(TABLE_ACTIONS as readonly string[]).includes(p.split(' ')[0] as string));
    const stream = own.filter((p) => p.startsWith('dynamodb:')).map((p) => p.split(' ')[0]);
    expect(stream.toSorted()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    expect(own.filter((p) => !p.startsWith('dynamodb:') && !p.startsWith('sqs:'))).toEqual(
      [`secretsmanager:GetSecretValue ${grants.secrets}`, ...grants.armTimers].toSorted(),
    );
    expect(own.filter((p) => p.startsWith('sqs:')).every((p) => p.endsWith(`\${${queueId}.Arn}`))).toBe(true);
  });

  it('sweeps every five minutes: a recurring schedule in the webhook group sends the dispatcher {"sweep": true} through Scheduler’s role', () => {
    const schedules = Object.values(resources(s.workflows, 'AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(1);
    const p = schedules[0]?.Properties ?? {};
    const groupId = logicalId(s.plexsphere.workflows, s.plexsphere.workflows.webhooks.group);
    expect(p).toMatchObject({
      Name: webhookNames.sweepSchedule,
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
    expect(render(p.GroupName)).toBe(`\${${groupId}}`);
    const target = p.Target as { Arn: unknown; RoleArn: unknown; Input: string };
    expect(render(target.Arn)).toBe(`\${${fnId}.Arn}`);
    expect(render(target.RoleArn)).toBe(`\${${roleId}.Arn}`);
    expect(JSON.parse(target.Input)).toEqual({ sweep: true });
    // Created once the role may invoke the function, so its first runs are not refused.
    expect((schedules[0] as { DependsOn?: string[] }).DependsOn).toEqual([expect.stringMatching(/^WebhookSchedulerDefaultPolicy/)]);
    // Outside the names the dispatcher may create (its timers are wh-*): it cannot stand in for the sweep.
    expect(webhookNames.sweepSchedule.startsWith('wh-')).toBe(false);
    expect(webhookGrants(stage).schedules.endsWith('/wh-*')).toBe(true);
  });

  it('has a role only Scheduler may assume, for this account and the webhook group, that may only invoke the dispatcher', () => {
    const role = resources(s.workflows, 'AWS::IAM::Role')[roleId];
    expect(role?.Properties.RoleName).toBe(webhookNames.schedulerRole(stage));
    const [statement] = (
      (role?.Properties.AssumeRolePolicyDocument ?? { Statement: [] }) as {
        Statement: Array<{ Principal: unknown; Condition: Record<string, Record<string, unknown>> }>;
      }
    ).Statement;
    expect(statement?.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(render(statement?.Condition.ArnEquals?.['aws:SourceArn'])).toContain(`schedule-group/${webhookNames.scheduleGroup(stage)}`);
    expect(permissionsOfRole(s.workflows, roleId)).toEqual([`lambda:InvokeFunction \${${fnId}.Arn}`]);
  });
});

describe('webhook names', () => {
  it('fit AWS limits for the longest stage name', () => {
    const stage = 'a'.repeat(21);
    for (const name of [
      webhookNames.scheduleGroup(stage),
      webhookNames.dispatchFunction(stage),
      webhookNames.schedulerRole(stage),
      webhookNames.deadLetters(stage),
    ]) {
      expect(name.length, name).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^[0-9a-zA-Z\-_.]+$/);
    }
  });

  it('name the secrets, the settings and the handler as the functions and the embedded stack do', () => {
    expect(webhookNames.secretPrefix('pr-7')).toBe(webhookSecretPrefix('pr-7'));
    expect(Object.keys(webhookEnvironment(synth('dev').plexsphere.workflows, 'dev')).every((k) => k in WebhookEnvSchema.shape)).toBe(true);
    expect(existsSync(`${PROJECT_ROOT}${WEBHOOK_DISPATCH_FUNCTION.entry}`)).toBe(true);
    expect(LOCAL_FUNCTION_ENTRIES[WEBHOOK_DISPATCH]).toBe(WEBHOOK_DISPATCH_FUNCTION.entry);
  });
});
