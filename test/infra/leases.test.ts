import { existsSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_GROUPS, type FunctionGroup } from '../../functions/api/routes.ts';
import { ApiEnvSchema } from '../../functions/shared/env.ts';
import { LEASE_EXPIRY_FUNCTION } from '../../functions/steps/step-groups.ts';
import { PROJECT_ROOT } from '../../infra/constructs/broker-function.ts';
import { leaseExpiryFunctionName, leaseScheduleGroupName, leaseSchedulerRoleName } from '../../infra/naming.ts';
import { LEASE_EXPIRY, LOCAL_FUNCTION_ENTRIES } from '../../local/functions.ts';
import { logicalId, permissionsOfRole, render, resources, roleOfFunction, type Synthesized, synth } from './synth.ts';

// The lease timers on AWS: a schedule group, the lease-expiry function, the role EventBridge
// Scheduler invokes it with, and what the functions that arm a timer are given.

type Env = Record<string, unknown>;
const envOf = (fn: { Properties: Record<string, unknown> } | undefined): Env =>
  ((fn?.Properties.Environment ?? { Variables: {} }) as { Variables: Env }).Variables;

describe.each(['dev', 'prod'])('lease timers, stage %s', (stage) => {
  let s: Synthesized;
  let fnId: string;
  let roleId: string;
  beforeAll(() => {
    s = synth(stage);
    const { workflows } = s.plexsphere;
    fnId = logicalId(workflows, workflows.leases.fn.node.defaultChild as CfnElement);
    roleId = logicalId(workflows, workflows.leases.role.node.defaultChild as CfnElement);
  });
  const arn = (service: string, resource: string, region = `\${AWS::Region}`) =>
    `arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:${resource}`;
  const group = () => leaseScheduleGroupName(stage);
  const schedules = () => arn('scheduler', `schedule/${group()}/lease-*`);
  const functionArn = () => arn('lambda', `function:${leaseExpiryFunctionName(stage)}`);
  const roleArn = () => arn('iam', `role/${leaseSchedulerRoleName(stage)}`, '');
  const armLeases = () => [`iam:PassRole ${roleArn()}`, `scheduler:CreateSchedule ${schedules()}`];
  const leaseEnv = () => ({ LEASE_SCHEDULE_GROUP: group(), LEASE_EXPIRY_FUNCTION_ARN: functionArn(), LEASE_SCHEDULER_ROLE_ARN: roleArn() });
  const rendered = (env: Env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, render(v)]));

  it('creates the stage schedule group, by its fixed name', () => {
    const groups = Object.values(resources(s.workflows, 'AWS::Scheduler::ScheduleGroup'));
    // Beside it, the webhooks' lane timers have a group of their own (test/infra/webhooks.test.ts).
    expect(groups.map((g) => g.Properties.Name)).toEqual([group(), `plexsphere-${stage}-webhooks`]);
  });

  it('deploys the lease-expiry function by its fixed name, wired like the API functions, told where the timers live', () => {
    const fn = resources(s.workflows, 'AWS::Lambda::Function')[fnId];
    expect(fn?.Properties).toMatchObject({
      FunctionName: leaseExpiryFunctionName(stage),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
    const env = envOf(fn);
    const required = Object.entries(ApiEnvSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(required));
    const machines = s.plexsphere.workflows.machines;
    const machineId = (run: 'provision' | 'teardown') => logicalId(s.plexsphere.workflows, machines[run].node.defaultChild as CfnElement);
    expect(rendered(env)).toMatchObject({
      ...leaseEnv(),
      PROVISION_STATE_MACHINE_ARN: `\${${machineId('provision')}}`,
      TEARDOWN_STATE_MACHINE_ARN: `\${${machineId('teardown')}}`,
    });
  });

  it('lets the lease-expiry function start a teardown, stop a provision run, and re-arm a timer, and nothing else', () => {
    const machines = s.plexsphere.workflows.machines;
    const teardown = logicalId(s.plexsphere.workflows, machines.teardown.node.defaultChild as CfnElement);
    const permissions = permissionsOfRole(s.workflows, roleOfFunction(s.workflows, fnId)).filter(
      (p) => !p.startsWith('dynamodb:') && !p.startsWith('xray:'),
    );
    expect(permissions).toEqual(
      [
        `states:StartExecution \${${teardown}}`,
        `states:StopExecution ${arn('states', `execution:plexsphere-${stage}-provision:*`)}`,
        ...armLeases(),
      ].toSorted(),
    );
  });

  it('has a role only Scheduler may assume, for this account and the stage group, that may only invoke the lease-expiry function', () => {
    const role = resources(s.workflows, 'AWS::IAM::Role')[roleId];
    expect(role?.Properties.RoleName).toBe(leaseSchedulerRoleName(stage));
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties.Policies).toBeUndefined();
    const trust = ((role?.Properties.AssumeRolePolicyDocument ?? {}) as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(trust).toHaveLength(1);
    const [statement] = trust as [{ Action: string; Principal: unknown; Condition: Record<string, Record<string, unknown>> }];
    expect(statement.Action).toBe('sts:AssumeRole');
    expect(statement.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(render(statement.Condition.StringEquals?.['aws:SourceAccount'])).toBe(`\${AWS::AccountId}`);
    expect(render(statement.Condition.ArnEquals?.['aws:SourceArn'])).toBe(arn('scheduler', `schedule-group/${group()}`));
    expect(permissionsOfRole(s.workflows, roleId)).toEqual([`lambda:InvokeFunction \${${fnId}.Arn}`]);
  });

  it('gives the resources and assignments API groups (leases, request expiries), and no other, the timers’ environment and the right to arm one', () => {
    const { api } = s.plexsphere;
    for (const group of Object.keys(FUNCTION_GROUPS) as FunctionGroup[]) {
      const id = logicalId(api, api.functions[group].fn.node.defaultChild as CfnElement);
      const env = rendered(envOf(resources(s.api, 'AWS::Lambda::Function')[id]));
      const arms = permissionsOfRole(s.api, roleOfFunction(s.api, id)).filter(
        (p) => (p.startsWith('scheduler:') || p.startsWith('iam:')) && p.includes('lease'),
      );
      if (group === 'resources' || group === 'assignments') {
        expect(env, group).toMatchObject(leaseEnv());
        expect(arms, group).toEqual(armLeases());
      } else {
        expect(
          Object.keys(env).filter((k) => k.startsWith('LEASE_')),
          group,
        ).toEqual([]);
        expect(arms, group).toEqual([]);
      }
    }
  });
});

describe('lease timer names', () => {
  it('fit AWS limits for the longest stage name (64 characters each)', () => {
    const stage = 'a'.repeat(21);
    expect(ApiEnvSchema.shape.STAGE.safeParse(stage).success).toBe(true);
    for (const name of [leaseScheduleGroupName(stage), leaseExpiryFunctionName(stage), leaseSchedulerRoleName(stage)]) {
      expect(name.length, name).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^[0-9a-zA-Z\-_.]+$/);
    }
  });

  it('deploy the handler the embedded stack routes the lease timers to', () => {
    expect(existsSync(`${PROJECT_ROOT}${LEASE_EXPIRY_FUNCTION.entry}`)).toBe(true);
    expect(LOCAL_FUNCTION_ENTRIES[LEASE_EXPIRY]).toBe(LEASE_EXPIRY_FUNCTION.entry);
  });
});
