import { readFileSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../functions/adapters/dynamo/table-def.ts';
import { CONSOLE_ROUTES, FUNCTION_GROUPS, type FunctionGroup, ROUTES, routeKey } from '../../functions/api/routes.ts';
import { ApiEnvSchema, StepsEnvSchema } from '../../functions/shared/env.ts';
import { STATE_MACHINES, STEP_GROUPS, type StepGroup, TIMING_SUBSTITUTIONS } from '../../functions/steps/step-groups.ts';
import { PROJECT_ROOT } from '../../infra/constructs/broker-function.ts';
import { groupsOf, placeholders } from '../../infra/constructs/phase-arcs.ts';
import { RUNS, type Run } from '../../infra/naming.ts';
import { TABLE_ACTIONS } from '../../infra/stacks/data-stack.ts';
import { webhookGrants } from '../support/webhook-grants.ts';
import { list, logicalId, permissionsOfRole, render, resources, roleOfFunction, type Statement, type Synthesized, synth } from './synth.ts';

const GROUPS = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];
const STEPS = Object.keys(STEP_GROUPS) as StepGroup[];
/** Actions that have no resource-level permissions: `*` is the narrowest resource they accept. */
const STAR_ONLY_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions' log delivery to CloudWatch Logs.
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'dynamodb:ListStreams', // the webhook dispatcher's stream mapping (test/infra/webhooks.test.ts)
]);
const ASL: Record<Run, string> = {
  provision: readFileSync(`${PROJECT_ROOT}${STATE_MACHINES.provision.file}`, 'utf8'),
  teardown: readFileSync(`${PROJECT_ROOT}${STATE_MACHINES.teardown.file}`, 'utf8'),
};

/** The permissions of a function's role, without the table's (checked on their own) and X-Ray's. */
function appPermissions(t: ReturnType<typeof synth>['api'], fnId: string): string[] {
  return permissionsOfRole(t, roleOfFunction(t, fnId)).filter((p) => !p.startsWith('dynamodb:') && !p.startsWith('xray:'));
}

describe.each(['dev', 'prod'])('CDK app, stage %s', (stage) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(stage);
  });
  const arn = (service: string, resource: string) => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`;
  const secret = (name: string) => arn('secretsmanager', `secret:${name}`);
  const cursorKey = secret(`plexsphere/${stage}/cursor-key-??????`);
  const bootstrapKey = secret(`plexsphere/${stage}/bootstrap-token-key-??????`);
  const nodeKey = secret(`plexsphere/${stage}/node-signing-key-??????`);
  const credentials = secret(`plexsphere/${stage}/credentials/*`);
  const machine = (run: Run) => arn('states', `stateMachine:plexsphere-${stage}-${run}`);
  const executions = (run: Run) => arn('states', `execution:plexsphere-${stage}-${run}:*`);
  const leaseSchedules = arn('scheduler', `schedule/plexsphere-${stage}-leases/lease-*`);
  const webhooks = webhookGrants(stage);
  const armLeases = [
    `scheduler:CreateSchedule ${leaseSchedules}`,
    `iam:PassRole arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/plexsphere-${stage}-lease-scheduler`,
  ];
  const apiFnId = (g: FunctionGroup) => logicalId(s.plexsphere.api, s.plexsphere.api.functions[g].fn.node.defaultChild as CfnElement);
  const stepFnId = (g: StepGroup) => logicalId(s.plexsphere.workflows, s.plexsphere.workflows.steps[g].fn.node.defaultChild as CfnElement);
  const machineId = (run: Run) => logicalId(s.plexsphere.workflows, s.plexsphere.workflows.machines[run].node.defaultChild as CfnElement);

  it('has exactly one HttpApi route per ROUTES and CONSOLE_ROUTES entry, each integrated with its function', () => {
    const routes = Object.values(resources(s.api, 'AWS::ApiGatewayV2::Route'));
    const keys = routes.map((r) => r.Properties.RouteKey as string);
    const expected = [...ROUTES, ...CONSOLE_ROUTES].map(routeKey);
    expect(new Set(expected).size).toBe(expected.length);
    expect(keys.toSorted()).toEqual(expected.toSorted());

    const integrations = resources(s.api, 'AWS::ApiGatewayV2::Integration');
    const consoleFn = logicalId(s.plexsphere.api, s.plexsphere.api.console.fn.node.defaultChild as CfnElement);
    const fnIds: Record<string, FunctionGroup | 'console'> = {
      ...Object.fromEntries(GROUPS.map((g) => [apiFnId(g), g])),
      [consoleFn]: 'console',
    };
    for (const route of routes) {
      const integrationId = render(route.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, '$1');
      const uri = integrations[integrationId]?.Properties.IntegrationUri as { 'Fn::GetAtt': string[] };
      const group = fnIds[uri['Fn::GetAtt'][0] as string];
      const def = ROUTES.find((r) => routeKey(r) === route.Properties.RouteKey);
      expect(group, String(route.Properties.RouteKey)).toBe(def?.group ?? 'console');
    }
  });

  it('deploys one Node.js 24 ARM64 traced function per API group, with the env ApiEnvSchema requires and the machines', () => {
    const all = resources(s.api, 'AWS::Lambda::Function');
    // Beside the groups, only the console's function (test/infra/console.test.ts).
    expect(Object.keys(all)).toHaveLength(GROUPS.length + 1);
    const fns = GROUPS.map((g) => all[apiFnId(g)]).filter((fn) => fn !== undefined);
    expect(fns).toHaveLength(GROUPS.length);
    const required = Object.entries(ApiEnvSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(required).toContain('TABLE_NAME');
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars)).toEqual(expect.arrayContaining(required));
      expect(vars).toMatchObject({
        STAGE: stage,
        CURSOR_KEY_SECRET_ID: `plexsphere/${stage}/cursor-key`,
        CREDENTIAL_SECRET_PREFIX: `plexsphere/${stage}/credentials/`,
      });
      expect(render(vars.PROVISION_STATE_MACHINE_ARN)).toBe(machine('provision'));
      expect(render(vars.TEARDOWN_STATE_MACHINE_ARN)).toBe(machine('teardown'));
      expect((fn.Properties.LoggingConfig as { LogGroup?: unknown }).LogGroup).toBeDefined();
    }
    for (const t of [s.api, s.workflows]) {
      for (const group of Object.values(resources(t, 'AWS::Logs::LogGroup'))) {
        expect(group.Properties.RetentionInDays).toBe(stage === 'dev' ? 7 : 90);
      }
    }
  });

  it('deploys one function per step group with the env StepsEnvSchema requires, and the machines by their fixed names', () => {
    const fns = resources(s.workflows, 'AWS::Lambda::Function');
    const required = Object.entries(StepsEnvSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    for (const group of STEPS) {
      const fn = fns[stepFnId(group)];
      expect(fn?.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const vars = ((fn?.Properties.Environment ?? {}) as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars)).toEqual(expect.arrayContaining(required));
      expect(render(vars.PUBLIC_URL)).toMatch(/^\$\{import:/);
    }
    const machines = resources(s.workflows, 'AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines).toSorted()).toEqual(RUNS.map(machineId).toSorted());
    for (const run of RUNS) {
      expect(machines[machineId(run)]?.Properties).toMatchObject({
        StateMachineName: `plexsphere-${stage}-${run}`,
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      });
    }
  });

  it('keeps the single table per table-def.ts: keys, every GSI, on-demand, PITR, retained', () => {
    const tables = Object.values(resources(s.data, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(1);
    const table = tables[0];
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage !== 'dev',
    });
    const indexes = Object.values(TABLE_KEYS).filter((v) => typeof v === 'object');
    expect(indexes.length).toBeGreaterThan(0);
    const gsis = table?.Properties.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[];
    expect(gsis.map((g) => [g.IndexName, g.KeySchema])).toEqual(
      indexes.map((i) => [
        i.name,
        [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
      ]),
    );
  });

  it('grants no `*` resource where a narrower one exists; every other wildcard is a stage name, an index, an execution or a version', () => {
    for (const t of [s.api, s.workflows]) {
      const statements = Object.values(resources(t, 'AWS::IAM::Policy')).flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      expect(statements.length).toBeGreaterThan(0);
      for (const st of statements) {
        expect(st.Effect).toBe('Allow');
        const rs = list(st.Resource).map(render);
        if (rs.includes('*')) expect(list(st.Action).filter((a) => !STAR_ONLY_ACTIONS.has(a))).toEqual([]);
        const plain = rs.filter((r) => !r.includes('*'));
        const allowed = [
          credentials,
          leaseSchedules,
          ...webhooks.wildcards,
          ...RUNS.map(executions),
          // A table grant adds its table's indexes; a function grant adds its versions and aliases.
          ...plain.map((r) => `${r}/index/*`),
          ...plain.map((r) => `${r}:*`),
        ];
        for (const r of rs.filter((r) => r !== '*' && r.includes('*'))) expect(allowed, r).toContain(r);
      }
    }
  });

  it('gives every function exactly the table actions of the table adapter, on the table and its indexes', () => {
    const roles = [
      ...GROUPS.map((g) => [s.api, roleOfFunction(s.api, apiFnId(g))] as const),
      ...STEPS.map((g) => [s.workflows, roleOfFunction(s.workflows, stepFnId(g))] as const),
      [
        s.workflows,
        roleOfFunction(
          s.workflows,
          logicalId(s.plexsphere.workflows, s.plexsphere.workflows.reconciler.fn.node.defaultChild as CfnElement),
        ),
      ] as const,
    ];
    for (const [t, role] of roles) {
      const table = permissionsOfRole(t, role).filter((p) => p.startsWith('dynamodb:'));
      const targets = [...new Set(table.map((p) => p.split(' ')[1]))];
      expect(targets).toHaveLength(2);
      expect(targets[1]).toBe(`${targets[0]}/index/*`);
      expect(table).toEqual(TABLE_ACTIONS.flatMap((a) => targets.map((r) => `${a} ${r}`)).toSorted());
    }
  });

  it('gives each API group only the secrets and state machine actions its use cases call', () => {
    const loadOrCreate = (arn: string) => [`secretsmanager:CreateSecret ${arn}`, `secretsmanager:GetSecretValue ${arn}`];
    // The access-token key (infra/constructs/signing-key.ts): kms:Sign for the auth group alone.
    const tokenKey = () => `\${${logicalId(s.plexsphere.api, s.plexsphere.api.tokenKeys.keys[0]?.node.defaultChild as CfnElement)}.Arn}`;
    const verifyTokens = () => `kms:GetPublicKey ${tokenKey()}`;
    // Declaring, deleting, and revoking with teardown start and stop a Resource's runs.
    const phaseArcs = [
      ...RUNS.map((r) => `states:StartExecution ${machine(r)}`),
      ...RUNS.flatMap((r) => [`states:StopExecution ${executions(r)}`, `states:DescribeExecution ${executions(r)}`]),
    ];
    const expected: Record<FunctionGroup, string[]> = {
      auth: [...loadOrCreate(cursorKey), `kms:GetPublicKey ${tokenKey()}`, `kms:Sign ${tokenKey()}`],
      tenancy: [...loadOrCreate(cursorKey), verifyTokens()],
      catalog: [
        ...loadOrCreate(cursorKey),
        verifyTokens(),
        `secretsmanager:CreateSecret ${credentials}`,
        `secretsmanager:DeleteSecret ${credentials}`,
      ],
      assignments: [...loadOrCreate(cursorKey), verifyTokens(), `secretsmanager:DescribeSecret ${credentials}`, ...phaseArcs, ...armLeases],
      resources: [...loadOrCreate(cursorKey), verifyTokens(), ...phaseArcs, ...armLeases],
      nodes: [...loadOrCreate(nodeKey), `states:SendTaskSuccess ${machine('provision')}`],
      events: [...loadOrCreate(cursorKey), verifyTokens()],
      webhooks: [...loadOrCreate(cursorKey), verifyTokens(), ...webhooks.apiGroup],
    };
    for (const group of GROUPS) expect(appPermissions(s.api, apiFnId(group)), group).toEqual(expected[group].toSorted());
  });

  it('gives the step groups and the reconciler only what their steps call', () => {
    expect(appPermissions(s.workflows, stepFnId('provision-steps'))).toEqual([`states:SendTaskSuccess ${machine('provision')}`]);
    expect(appPermissions(s.workflows, stepFnId('substrate-steps'))).toEqual(
      [
        `secretsmanager:GetSecretValue ${credentials}`,
        `secretsmanager:CreateSecret ${bootstrapKey}`,
        `secretsmanager:GetSecretValue ${bootstrapKey}`,
      ].toSorted(),
    );
    const reconciler = logicalId(s.plexsphere.workflows, s.plexsphere.workflows.reconciler.fn.node.defaultChild as CfnElement);
    expect(appPermissions(s.workflows, reconciler)).toEqual(
      [
        ...RUNS.map((r) => `states:StartExecution \${${machineId(r)}}`),
        ...RUNS.map((r) => `states:DescribeExecution ${executions(r)}`),
      ].toSorted(),
    );
  });

  it('substitutes each placeholder of each ASL file, and nothing else', () => {
    const machines = resources(s.workflows, 'AWS::StepFunctions::StateMachine');
    for (const run of RUNS) {
      const names = placeholders(ASL[run]);
      expect(names.length).toBeGreaterThan(0);
      const subs = machines[machineId(run)]?.Properties.DefinitionSubstitutions as Record<string, unknown>;
      expect(Object.keys(subs).toSorted(), run).toEqual(names.toSorted());
      for (const name of TIMING_SUBSTITUTIONS.filter((n) => names.includes(n))) expect(String(subs[name])).toMatch(/^[1-9][0-9]*$/);
      for (const group of groupsOf(ASL[run])) expect(render(subs[STEP_GROUPS[group].substitution])).toBe(`\${${stepFnId(group)}.Arn}`);
      // The definition CloudFormation receives is the file, verbatim.
      expect(machines[machineId(run)]?.Properties.DefinitionString).toBe(ASL[run]);
    }
  });

  it('lets each state machine invoke exactly the functions its Task states name, and nothing else invoke them', () => {
    const roleOfMachine = (run: Run) =>
      (
        (resources(s.workflows, 'AWS::StepFunctions::StateMachine')[machineId(run)]?.Properties.RoleArn ?? {}) as { 'Fn::GetAtt': string[] }
      )['Fn::GetAtt'][0] as string;
    const invokers = new Map<string, string[]>();
    for (const t of [s.data, s.api, s.workflows]) {
      for (const p of Object.values(resources(t, 'AWS::IAM::Policy'))) {
        const invokes = (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((st) =>
          list(st.Action).includes('lambda:InvokeFunction'),
        );
        for (const role of p.Properties.Roles as { Ref: string }[]) {
          invokers.set(role.Ref, [...(invokers.get(role.Ref) ?? []), ...invokes.flatMap((st) => list(st.Resource).map(render))]);
        }
      }
    }
    const machineRoles = RUNS.map(roleOfMachine);
    // The lease timers' role invokes the lease-expiry function only (test/infra/leases.test.ts).
    const leaseRole = logicalId(s.plexsphere.workflows, s.plexsphere.workflows.leases.role.node.defaultChild as CfnElement);
    const webhookRole = logicalId(s.plexsphere.workflows, s.plexsphere.workflows.webhooks.role.node.defaultChild as CfnElement); // test/infra/webhooks.test.ts
    for (const [role, targets] of invokers)
      if (![...machineRoles, leaseRole, webhookRole].includes(role)) expect(targets, role).toEqual([]);
    for (const run of RUNS) {
      const fns = groupsOf(ASL[run]).map(stepFnId);
      expect(fns.length).toBeGreaterThan(0);
      expect(invokers.get(roleOfMachine(run))?.toSorted(), run).toEqual(
        fns.flatMap((id) => [`\${${id}.Arn}`, `\${${id}.Arn}:*`]).toSorted(),
      );
    }
    // No resource policy opens a step function to another caller (the reconciler's is its schedule's).
    const permissions = Object.values(resources(s.workflows, 'AWS::Lambda::Permission'));
    const stepIds = new Set(STEPS.map(stepFnId));
    for (const p of permissions) expect(stepIds.has(render(p.Properties.FunctionName).replace(/^\$\{(.+)\.Arn\}$/, '$1'))).toBe(false);
  });

  it('runs the reconciler every minute and alarms on failed runs and on Resources entering Failed', () => {
    const rules = Object.values(resources(s.workflows, 'AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.ScheduleExpression).toBe('rate(1 minute)');
    const alarms = Object.values(resources(s.workflows, 'AWS::CloudWatch::Alarm'));
    for (const run of RUNS) {
      const alarm = alarms.find(
        (a) =>
          a.Properties.MetricName === 'ExecutionsFailed' &&
          render((a.Properties.Dimensions as { Value: unknown }[])[0]?.Value) === `\${${machineId(run)}}`,
      );
      expect(alarm, run).toBeDefined();
    }
    const filters = Object.values(resources(s.workflows, 'AWS::Logs::MetricFilter'));
    expect(filters).toHaveLength(1);
    const metric = ((filters[0]?.Properties.MetricTransformations ?? []) as { MetricName: string; MetricNamespace: string }[])[0];
    expect(alarms.some((a) => a.Properties.MetricName === metric?.MetricName && a.Properties.Namespace === metric?.MetricNamespace)).toBe(
      true,
    );
    // Every alarm notifies the stage's topic; nobody is subscribed unless asked.
    const topics = Object.keys(resources(s.workflows, 'AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    for (const a of alarms) expect((a.Properties.AlarmActions as unknown[]).map(render)).toEqual([`\${${topics[0]}}`]);
    expect(Object.keys(resources(s.workflows, 'AWS::SNS::Subscription'))).toEqual([]);
  });

  it('subscribes an email to the alarms when the stage is deployed with -c alarmEmail=…', () => {
    const app = synth('dev', undefined, { alarmEmail: 'oncall@corp.example' });
    const subscriptions = Object.values(resources(app.workflows, 'AWS::SNS::Subscription'));
    expect(subscriptions.map((x) => [x.Properties.Protocol, x.Properties.Endpoint])).toEqual([['email', 'oncall@corp.example']]);
  });
});
