import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerFunction as ApiFunction, AUTHZ_FILES } from '../../infra/constructs/broker-function.ts';
import { bundleProbe } from './synth.ts';

// The one test that really bundles (local esbuild, and npm installing the Cedar engine beside the
// bundle): the template tests skip bundling.
describe('an API function bundle', () => {
  let asset: string;
  let cleanup = () => {};

  beforeAll(() => {
    ({ asset, cleanup } = bundleProbe('plexsphere-bundle-', (stack) => {
      new ApiFunction(stack, 'Probe', {
        entry: 'test/infra/fixtures/authz-probe.ts',
        description: 'bundle probe',
        logRetention: RetentionDays.ONE_DAY,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        environment: {
          STAGE: 'dev',
          TABLE_NAME: 't',
          PUBLIC_URL: 'https://example.com',
          CURSOR_KEY_SECRET_ID: 'k',
          CREDENTIAL_SECRET_PREFIX: 'c/',
        },
      });
    }));
  }, 120_000);

  afterAll(() => cleanup());

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
