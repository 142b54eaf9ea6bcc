import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { DomainSchema } from '../../functions/core/tenancy.ts';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { LOCALSTACK_ACCOUNT } from '../../scripts/localstack-deploy.ts';
import { type MotoServer, startMoto } from '../support/moto.ts';

// `npm run localstack:deploy`, the real script, with moto_server listening where LocalStack would.
// moto's CloudFormation holds what the data stack needs but has no AWS::ApiGatewayV2 types, so the
// deploy must get through bootstrap, the data stack and the seed, and stop at the api stack saying
// why. When moto (or this app) changes, the stopping point moves and this test says where to.

const STAGE = 'localstack';
const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runScript(env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  // Only what a user's shell would have: no AWS_* of this test process leaks into the script.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('CDK_'))) as Record<string, string>;
  const child = spawn('npm', ['run', '-s', 'localstack:deploy'], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('npm run localstack:deploy against moto_server', () => {
  let moto: MotoServer;
  let run: Run;
  const work = mkdtempSync(join(tmpdir(), 'plexsphere-localstack-rehearsal-'));

  beforeAll(async () => {
    // LocalStack's account, so the CDK CLI's account check agrees with the bootstrap target.
    moto = await startMoto({ env: { MOTO_ACCOUNT_ID: LOCALSTACK_ACCOUNT } });
    run = await runScript({
      AWS_ENDPOINT_URL: moto.url,
      PLEXSPHERE_STAGE: STAGE,
      PLEXSPHERE_LOCALSTACK_OUT: join(work, 'out'),
      // A CDK home of its own: the CLI caches which account a key belongs to.
      CDK_HOME: join(work, 'cdk-home'),
      // The app's synth-time validation is run by `npm test`'s infra tests already.
      CDK_VALIDATION: 'false',
    });
  }, 300_000);

  afterAll(async () => {
    await moto?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const transcript = () => `exit ${run.status} after ${run.ms} ms\n--- stdout\n${run.stdout.slice(-6000)}\n--- stderr\n${run.stderr.slice(-6000)}`;

  it('bootstraps the environment and deploys the data stack with every resource held', () => {
    // The CDK CLI reports on stderr.
    expect(`${run.stdout}${run.stderr}`, transcript()).toMatch(/Environment aws:\/\/000000000000\/us-east-1 bootstrapped/);
    expect(run.stdout, transcript()).toMatch(new RegExp(`deployed plexsphere-${STAGE}-data, every resource held \\(\\d+\\)`));
  });

  it('seeds the tutorial’s fixtures into the deployed table and secrets', async () => {
    expect(run.stdout, transcript()).toMatch(/seeded: [1-9]\d* created, 0 kept/);
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    );
    const table = new Table(`plexsphere-${STAGE}`, client);
    expect((await table.get(keys.domain(FIXTURES.domain.id), DomainSchema))?.name).toBe(FIXTURES.domain.name);
    // The seeded domain is listed through the table's first index, as the API lists domains.
    expect((await table.listPage(keys.domainList().GSI1PK, DomainSchema, { limit: 10 })).items.map((d) => d.id)).toEqual([FIXTURES.domain.id]);
    client.destroy();
    const secrets = new SecretsManagerClient({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const listed = await secrets.send(new ListSecretsCommand({}));
    expect(listed.SecretList?.map((s) => s.Name)).toEqual([expect.stringMatching(new RegExp(`^plexsphere/${STAGE}/credentials/`))]);
    secrets.destroy();
  });

  it('stops at the api stack, naming the HTTP API moto’s CloudFormation cannot hold, and goes no further', () => {
    expect(run.status, transcript()).toBe(1);
    const stop = run.stderr.trim().split('\n').at(-1);
    expect(stop, transcript()).toMatch(
      new RegExp(`^localstack:deploy stopped at plexsphere-${STAGE}-api: the endpoint did not create AWS::ApiGatewayV2::Api \\(HttpApi[0-9A-F]{8}\\)`),
    );
    expect(run.stdout).not.toContain(`deploy plexsphere-${STAGE}-workflows`);
  });
});
