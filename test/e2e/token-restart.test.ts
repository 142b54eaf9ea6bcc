import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { startKms } from '../../local/kms/api.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The embedded stack's access-token key lives in its local KMS, under the data folder: a token
// issued before a restart is accepted after it. And the README's rotation, played on that KMS.

const dirs: string[] = [];
const stacks: TestStack[] = [];

afterAll(async () => {
  for (const s of stacks) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexsphere-token-restart-'));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, env: Record<string, string> = {}, port?: number): Promise<TestStack> {
  const stack = await startTestStack(env, { dataDir, keepDataDir: true, ...(port !== undefined && { port }) });
  stacks.push(stack);
  return stack;
}

async function stop(stack: TestStack): Promise<void> {
  await stack.close();
  stacks.splice(stacks.indexOf(stack), 1);
}

const whoami = (stack: TestStack, token: string) => fetch(`${stack.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid as string;
const jwksKids = async (stack: TestStack) => ((await stack.call(null, 'GET', '/v1/auth/jwks')).body.keys as { kid: string }[]).map((k) => k.kid);

describe('access tokens across a restart', () => {
  it('accepts a token issued before the restart, signed by the same KMS key', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const token = await first.tokenFor('admin');
    const jwksBefore = (await first.call(null, 'GET', '/v1/auth/jwks')).body;
    await stop(first);

    const second = await start(dataDir, {}, first.port);
    expect((await second.call(null, 'GET', '/v1/auth/jwks')).body).toEqual(jwksBefore);
    expect((await whoami(second, token)).status).toBe(200);
  });

  it('rotates: the old key as standby still verifies, both are listed, and once dropped its tokens are refused', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const oldKey = process.env.ACCESS_TOKEN_KEY_ID as string;
    const oldToken = await first.tokenFor('admin');
    await stop(first);

    // A new key, made in the stack's KMS while the stack is down (CDK makes it on AWS).
    const kms = await startKms({ dataDir: join(dataDir, 'kms') });
    const client = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    client.destroy();
    await kms.close();
    const newKey = created.KeyMetadata?.Arn as string;

    // The same port each time: the issuer is the stack's URL.
    const switched = await start(dataDir, { ACCESS_TOKEN_KEY_ID: newKey, ACCESS_TOKEN_STANDBY_KEY_ID: oldKey }, first.port);
    const newToken = await switched.tokenFor('admin');
    expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
    expect(await jwksKids(switched)).toEqual([kidOf(newToken), kidOf(oldToken)]);
    expect((await whoami(switched, oldToken)).status).toBe(200);
    expect((await whoami(switched, newToken)).status).toBe(200);
    await stop(switched);

    const dropped = await start(dataDir, { ACCESS_TOKEN_KEY_ID: newKey }, first.port);
    expect(await jwksKids(dropped)).toEqual([kidOf(newToken)]);
    const refused = await whoami(dropped, oldToken);
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([401, 'invalid_token']);
    expect((await whoami(dropped, newToken)).status).toBe(200);
  });
});
