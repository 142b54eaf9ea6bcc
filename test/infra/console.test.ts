import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_FUNCTION, CONSOLE_ROUTES, routeKey } from '../../functions/api/routes.ts';
import { stageLogs } from '../../infra/constructs/broker-function.ts';
import { CONSOLE_ASSETS_DIR, CONSOLE_BUNDLE_DIR, consoleFunction } from '../../infra/constructs/console.ts';
import { RESERVED_CONCURRENCY } from '../../infra/constructs/edge-limits.ts';
import { ConstructIds } from '../../infra/naming.ts';
import { bundleProbe, logicalId, permissionsOfRole, render, resources, roleOfFunction, type Synthesized, synth } from './synth.ts';

// The console on AWS: the stage's HttpApi serves it through its own small function, on the API's
// origin (infra/constructs/console.ts says why). The template tests skip bundling; the last block
// really bundles the function, console build included, and serves a page from the bundle alone.

describe('the console function in the API stack', () => {
  let s: Synthesized;
  let fnId: string;
  beforeAll(() => {
    s = synth('dev');
    fnId = logicalId(s.plexsphere.api, s.plexsphere.api.console.fn.node.defaultChild as CfnElement);
  });

  it('is a small Node.js 24 ARM64 traced function told where its files are, and nothing else', () => {
    expect(fnId.startsWith(ConstructIds.consoleFunction)).toBe(true);
    const props = resources(s.api, 'AWS::Lambda::Function')[fnId]?.Properties ?? {};
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Description: `plexsphere dev console: ${CONSOLE_FUNCTION.description}`,
    });
    // Public: its reservation caps it (test/infra/edge-limits.test.ts).
    expect(props.ReservedConcurrentExecutions).toBe(RESERVED_CONCURRENCY.console);
    // No table name, no key or secret ids, no machine ARNs: only where the built files are.
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables).toEqual({
      CONSOLE_ASSETS_DIR: '/var/task/console',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect((props.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup).toBeDefined();
  });

  it('may do nothing but write its logs and traces: no table, secret, key, schedule or state machine', () => {
    const role = roleOfFunction(s.api, fnId);
    const permissions = permissionsOfRole(s.api, role);
    expect(permissions).toEqual(['xray:PutTelemetryRecords *', 'xray:PutTraceSegments *']);
    for (const service of ['dynamodb:', 'secretsmanager:', 'kms:', 'scheduler:', 'states:', 'iam:', 'lambda:']) {
      expect(
        permissions.filter((p) => p.startsWith(service)),
        service,
      ).toEqual([]);
    }
    // Its role is its own, with only the basic execution policy (log writes).
    const managed = resources(s.api, 'AWS::IAM::Role')[role]?.Properties.ManagedPolicyArns as unknown[];
    expect(managed.map(render)).toEqual([`arn:\${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`]);
    const sharers = Object.entries(resources(s.api, 'AWS::Lambda::Function')).filter(([id]) => roleOfFunction(s.api, id) === role);
    expect(sharers.map(([id]) => id)).toEqual([fnId]);
  });

  it('is invoked by the HttpApi on the console routes only, through one integration', () => {
    const integrations = Object.entries(resources(s.api, 'AWS::ApiGatewayV2::Integration')).filter(
      ([, i]) => render(i.Properties.IntegrationUri) === `\${${fnId}.Arn}`,
    );
    expect(integrations).toHaveLength(1);
    const [integrationId] = integrations[0] as [string, unknown];
    const routes = Object.values(resources(s.api, 'AWS::ApiGatewayV2::Route')).filter(
      (r) => render(r.Properties.Target) === `integrations/\${${integrationId}}`,
    );
    expect(routes.map((r) => r.Properties.RouteKey).toSorted()).toEqual(CONSOLE_ROUTES.map(routeKey).toSorted());
    const invokers = Object.values(resources(s.api, 'AWS::Lambda::Permission')).filter(
      (p) => render(p.Properties.FunctionName) === `\${${fnId}.Arn}`,
    );
    expect(invokers.map((p) => p.Properties.Principal)).toEqual(CONSOLE_ROUTES.map(() => 'apigateway.amazonaws.com'));
    expect(invokers.map((p) => render(p.Properties.SourceArn).replace(/^.*\/\*\/\*/, '')).toSorted()).toEqual(
      CONSOLE_ROUTES.map((r) => r.path).toSorted(),
    );
  });

  it('names the console URL, on the API origin, among the outputs', () => {
    const outputs = s.api.findOutputs('*');
    const api = logicalId(s.plexsphere.api, s.plexsphere.api.httpApi.node.defaultChild as CfnElement);
    expect(render(outputs.ApiUrl?.Value)).toBe(`\${${api}.ApiEndpoint}`);
    expect(render(outputs.ConsoleUrl?.Value)).toBe(`\${${api}.ApiEndpoint}/console/`);
  });
});

describe('a console function bundle', () => {
  let cleanup = () => {};
  let asset: string;

  beforeAll(() => {
    ({ asset, cleanup } = bundleProbe('plexsphere-console-bundle-', (stack) => consoleFunction(stack, 'dev', stageLogs('dev'))));
  }, 120_000);

  afterAll(() => cleanup());

  it('carries the built console beside the handler, and no Cedar engine or policies', () => {
    expect(CONSOLE_ASSETS_DIR).toBe(`/var/task/${CONSOLE_BUNDLE_DIR}`);
    expect(readdirSync(asset).toSorted()).toEqual([CONSOLE_BUNDLE_DIR, 'index.mjs', 'index.mjs.map']);
    expect(existsSync(join(asset, CONSOLE_BUNDLE_DIR, 'index.html'))).toBe(true);
    const files = readdirSync(join(asset, CONSOLE_BUNDLE_DIR, 'assets'));
    expect(files.filter((f) => /^console-[0-9a-f]{12}\.js$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^console-[0-9a-f]{12}\.css$/.test(f))).toHaveLength(1);
  });

  it('serves the page and its script from the bundle alone, as Lambda would', () => {
    const script = `
      const { handler } = await import(${JSON.stringify(join(asset, 'index.mjs'))});
      const get = (rawPath) => handler({ rawPath, requestContext: { http: { method: 'GET' } }, headers: {} });
      const page = await get('/console/');
      const html = page.isBase64Encoded ? Buffer.from(page.body, 'base64').toString('utf8') : page.body;
      const src = /src="(\\/console\\/assets\\/[^"]+\\.js)"/.exec(html)?.[1];
      const js = await get(src);
      process.stdout.write(JSON.stringify({ page: page.statusCode, type: page.headers['content-type'], src, js: js.statusCode, bytes: Buffer.from(js.body, 'base64').length }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: tmpdir(),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', CONSOLE_ASSETS_DIR: join(asset, CONSOLE_BUNDLE_DIR) },
    });
    const served = JSON.parse(out) as { page: number; type: string; src: string; js: number; bytes: number };
    expect(served).toMatchObject({ page: 200, type: 'text/html; charset=utf-8', js: 200 });
    expect(served.src).toMatch(/^\/console\/assets\/console-[0-9a-f]{12}\.js$/);
    expect(served.bytes).toBeGreaterThan(1000);
  });
});
