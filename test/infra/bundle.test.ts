import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerFunction as ApiFunction, AUTHZ_FILES } from '../../infra/constructs/broker-function.ts';
import { CDK_CONTEXT } from './synth.ts';

// The one test that really bundles (local esbuild, and npm installing the Cedar engine beside the
// bundle): the template tests skip bundling.
describe('an API function bundle', () => {
  let outdir: string;
  let asset: string;

  beforeAll(() => {
    process.env.CDK_VALIDATION = 'false';
    outdir = mkdtempSync(join(tmpdir(), 'plexsphere-bundle-'));
    const app = new App({ outdir, context: { ...CDK_CONTEXT } });
    const stack = new Stack(app, 'BundleProbe');
    new ApiFunction(stack, 'Probe', {
      entry: 'test/infra/fixtures/authz-probe.ts',
      description: 'bundle probe',
      logRetention: RetentionDays.ONE_DAY,
      logRemovalPolicy: RemovalPolicy.DESTROY,
      environment: {
        STAGE: 'dev',
        TABLE_NAME: 't',
        PUBLIC_URL: 'https://example.com',
        SIGNING_KEY_SECRET_ID: 'k',
        CREDENTIAL_SECRET_PREFIX: 'c/',
      },
    });
    app.synth();
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
    expect(assets).toHaveLength(1);
    asset = join(outdir, assets[0] as string);
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('carries the policy files and the Cedar engine with its .wasm beside the bundle', () => {
    for (const f of AUTHZ_FILES) expect(existsSync(join(asset, 'authz', f)), f).toBe(true);
    expect(existsSync(join(asset, 'node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm_bg.wasm'))).toBe(true);
    // Nothing else of the source tree: the bundle is one module.
    const expected = ['authz', 'index.mjs', 'index.mjs.map', 'node_modules', 'package.json', 'package-lock.json'];
    expect(readdirSync(asset).filter((f) => !expected.includes(f))).toEqual([]);
  });

  it('decides with the policies when run from the bundle alone, as Lambda would', () => {
    const script = `import(${JSON.stringify(join(asset, 'index.mjs'))}).then((m) => m.handler()).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: tmpdir(),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(JSON.parse(out)).toEqual({ operator: true, stranger: false });
  });
});
