import { existsSync, readFileSync } from 'node:fs';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../functions/adapters/dynamo/table-def.ts';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, routeKey } from '../../functions/api/routes.ts';
import { type ApiEnvInput, ApiEnvSchema } from '../../functions/shared/env.ts';
import { type LambdaEnvironment, PROJECT_ROOT } from '../../infra/constructs/api-function.ts';
import { addPlexsphere, type Plexsphere, stageOf } from '../../infra/plexsphere.ts';

// The built-in CloudFormation validation costs seconds per synth; `cdk synth` still runs it.
process.env.CDK_VALIDATION = 'false';

/** cdk.json's context (feature flags included), so the test synthesizes what `cdk synth` would. */
const CDK_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
  .context;
const GROUPS = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];
/** Actions that have no resource-level permissions: `*` is the narrowest resource they accept. */
const STAR_ONLY_ACTIONS = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

interface Synthesized {
  app: App;
  plexsphere: Plexsphere;
  data: Template;
  api: Template;
}

function synth(stage: string): Synthesized {
  // An empty bundling-stacks list skips esbuild: the asset stays a placeholder, the template is real.
  const app = new App({ context: { ...CDK_CONTEXT, stage, 'aws:cdk:bundling-stacks': [] } });
  const plexsphere = addPlexsphere(app, stageOf(app));
  const assembly = app.synth();
  const template = (s: Stack) => Template.fromJSON(assembly.getStackByName(s.stackName).template);
  return { app, plexsphere, data: template(plexsphere.data), api: template(plexsphere.api) };
}

type Cfn = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

function resources(t: Template, type: string): Cfn {
  return t.findResources(type) as Cfn;
}

/** Renders an IAM resource (plain or intrinsic) as a readable string; tokens become `${...}`. */
function render(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) return ((o['Fn::Join'] as [string, unknown[]])[1] ?? []).map(render).join('');
  if (o.Ref !== undefined) return `\${${String(o.Ref)}}`;
  if (o['Fn::GetAtt'] !== undefined) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if (o['Fn::ImportValue'] !== undefined) return `\${import:${render(o['Fn::ImportValue'])}}`;
  return JSON.stringify(v);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The identity-policy statements attached to one function's execution role. */
function statementsOf(s: Synthesized, group: FunctionGroup): { actions: string[]; resources: string[] }[] {
  const fnId = logicalId(s.plexsphere.api, s.plexsphere.api.functions[group].fn.node.defaultChild as CfnElement);
  const role = resources(s.api, 'AWS::Lambda::Function')[fnId]?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined;
  const roleId = role?.['Fn::GetAtt'][0];
  expect(roleId).toBeDefined();
  return Object.values(resources(s.api, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .map((st) => ({ actions: list(st.Action), resources: list(st.Resource).map(render) }));
}

function logicalId(stack: Stack, element: CfnElement): string {
  return stack.resolve(element.logicalId) as string;
}

describe.each(['dev', 'prod'])('CDK app, stage %s', (stage) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(stage);
  });
  const secretArn = (name: string) => `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${name}`;
  const signingKey = secretArn(`plexsphere/${stage}/token-signing-key*`);
  const credentials = secretArn(`plexsphere/${stage}/credentials/*`);

  it('has exactly one HttpApi route per ROUTES entry, each integrated with its group function', () => {
    const routes = Object.values(resources(s.api, 'AWS::ApiGatewayV2::Route'));
    const keys = routes.map((r) => r.Properties.RouteKey as string);
    const expected = ROUTES.map(routeKey);
    expect(new Set(expected).size).toBe(expected.length);
    expect(keys.toSorted()).toEqual(expected.toSorted());

    const integrations = resources(s.api, 'AWS::ApiGatewayV2::Integration');
    const fnIds = Object.fromEntries(
      GROUPS.map((g) => [logicalId(s.plexsphere.api, s.plexsphere.api.functions[g].fn.node.defaultChild as CfnElement), g]),
    );
    for (const route of routes) {
      const integrationId = render(route.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, '$1');
      const uri = integrations[integrationId]?.Properties.IntegrationUri as { 'Fn::GetAtt': string[] };
      const group = fnIds[uri['Fn::GetAtt'][0] as string];
      const def = ROUTES.find((r) => routeKey(r) === route.Properties.RouteKey);
      expect(group, String(route.Properties.RouteKey)).toBe(def?.group);
    }
  });

  it('deploys one Node.js 22 ARM64 traced function per function group, with the env ApiEnvSchema requires', () => {
    const fns = Object.values(resources(s.api, 'AWS::Lambda::Function'));
    expect(fns).toHaveLength(GROUPS.length);
    const required = Object.entries(ApiEnvSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(required).toContain('TABLE_NAME');
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const vars = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(vars)).toEqual(expect.arrayContaining(required));
      expect(vars).toMatchObject({
        STAGE: stage,
        SIGNING_KEY_SECRET_ID: `plexsphere/${stage}/token-signing-key`,
        CREDENTIAL_SECRET_PREFIX: `plexsphere/${stage}/credentials/`,
      });
      expect((fn.Properties.LoggingConfig as { LogGroup?: unknown }).LogGroup).toBeDefined();
    }
    for (const group of Object.values(resources(s.api, 'AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(stage === 'dev' ? 7 : 90);
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

  it('grants no `*` resource where a narrower one exists, and every wildcard is one of the stage names', () => {
    const statements = Object.values(resources(s.api, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      const rs = list(st.Resource).map(render);
      if (rs.includes('*')) expect(list(st.Action).filter((a) => !STAR_ONLY_ACTIONS.has(a))).toEqual([]);
      // A table grant may add its own table's indexes; any other wildcard must be a stage secret name.
      const allowed = [signingKey, credentials, ...rs.filter((r) => !r.includes('*')).map((r) => `${r}/index/*`)];
      for (const r of rs.filter((r) => r !== '*' && r.includes('*'))) expect(allowed, r).toContain(r);
    }
  });

  it('gives each group the table, the signing key to read, and writes only where its use case needs them', () => {
    const secretAccess = (group: FunctionGroup) =>
      statementsOf(s, group)
        .flatMap((st) => st.actions.filter((a) => a.startsWith('secretsmanager:')).flatMap((a) => st.resources.map((r) => `${a} ${r}`)))
        .toSorted();
    const read = (arn: string) => [`secretsmanager:DescribeSecret ${arn}`, `secretsmanager:GetSecretValue ${arn}`];
    expect(secretAccess('auth')).toEqual(
      [...read(signingKey), `secretsmanager:CreateSecret ${signingKey}`, `secretsmanager:PutSecretValue ${signingKey}`].toSorted(),
    );
    expect(secretAccess('catalog')).toEqual([...read(signingKey), `secretsmanager:CreateSecret ${credentials}`].toSorted());
    for (const group of GROUPS.filter((g) => g !== 'auth' && g !== 'catalog')) expect(secretAccess(group)).toEqual(read(signingKey));

    for (const group of GROUPS) {
      const table = statementsOf(s, group).filter((st) => st.actions.includes('dynamodb:PutItem'));
      expect(table).toHaveLength(1);
      expect(table[0]?.actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']));
    }
  });
});

describe('CDK app configuration', () => {
  it('names an existing handler entry file for every function group (NodejsFunction needs it to synthesize)', () => {
    const missing = Object.values(FUNCTION_GROUPS).filter((g) => !existsSync(`${PROJECT_ROOT}${g.entry}`));
    expect(missing.map((g) => g.entry)).toEqual([]);
  });

  it('refuses a stage name the functions would refuse', () => {
    expect(() => stageOf(new App({ context: { stage: 'Prod_1' } }))).toThrow(/Invalid stage/);
    expect(stageOf(new App({ context: { stage: 'pr-42' } }))).toBe('pr-42');
  });

  it('types the function environment from ApiEnvSchema, so a missing variable fails the typecheck', () => {
    const complete: LambdaEnvironment<ApiEnvInput> = {
      STAGE: 'dev',
      TABLE_NAME: 't',
      PUBLIC_URL: 'https://api.example.com',
      SIGNING_KEY_SECRET_ID: 'k',
      CREDENTIAL_SECRET_PREFIX: 'c/',
    };
    const { TABLE_NAME: _, ...withoutTable } = complete;
    // @ts-expect-error TABLE_NAME is required by ApiEnvSchema
    const missing: LambdaEnvironment<ApiEnvInput> = withoutTable;
    expect(ApiEnvSchema.safeParse(complete).success).toBe(true);
    expect(ApiEnvSchema.safeParse(missing).success).toBe(false);
  });
});
