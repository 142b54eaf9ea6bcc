import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretsManagerVault } from '../../functions/adapters/secrets-vault.ts';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import { startSecretsManager } from '../../local/secrets-manager/api.ts';

type Emulator = Awaited<ReturnType<typeof startSecretsManager>>;

const TOKEN_1 = '11111111-1111-4111-8111-111111111111';
const TOKEN_2 = '22222222-2222-4222-8222-222222222222';
const TOKEN_3 = '33333333-3333-4333-8333-333333333333';
const DAY_MS = 24 * 60 * 60 * 1000;

let dataDir: string;
let emulator: Emulator;
let client: SecretsManagerClient;

function clientFor(url: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

async function restart(opts: { now?: () => Date } = {}): Promise<void> {
  client.destroy();
  await emulator.close();
  emulator = await startSecretsManager({ dataDir, port: 0, ...(opts.now ? { clock: { now: opts.now } } : {}) });
  client = clientFor(emulator.url);
}

/** The SDK error a call rejects with, so tests can assert on its class, name and status. */
async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

function stagesOf(map: Record<string, string[]> | undefined): Record<string, string[]> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([id, stages]) => [id, [...stages].sort()]));
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'secrets-manager-'));
  emulator = await startSecretsManager({ dataDir, port: 0 });
  client = clientFor(emulator.url);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  client.destroy();
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local Secrets Manager emulator', () => {
  it('listens on a free loopback port', () => {
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
  });

  it('creates a secret and reads it back by name, ARN and partial ARN', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'plexsphere/test/one', SecretString: '{"k":"v"}', ClientRequestToken: TOKEN_1 }),
    );
    expect(created.Name).toBe('plexsphere/test/one');
    expect(created.VersionId).toBe(TOKEN_1);
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:plexsphere\/test\/one-[A-Za-z0-9]{6}$/);

    const arn = created.ARN ?? '';
    for (const secretId of ['plexsphere/test/one', arn, arn.slice(0, -7)]) {
      const got = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      expect(got).toMatchObject({ ARN: arn, Name: 'plexsphere/test/one', VersionId: TOKEN_1, SecretString: '{"k":"v"}' });
      expect(got.VersionStages).toEqual(['AWSCURRENT']);
      expect(got.CreatedDate).toBeInstanceOf(Date);
    }
  });

  it('generates a version id when the caller sends no token', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'no-token', SecretString: 'x' }));
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'no-token' }));
    expect(got.VersionId).toBe(created.VersionId);
  });

  it('round-trips a binary secret', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect(got.SecretString).toBeUndefined();
    expect(Array.from(got.SecretBinary ?? [])).toEqual(Array.from(bytes));
  });

  it('refuses a second create of the same name with ResourceExistsException', async () => {
    await client.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'first' }));
    const error = await rejection(client.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'second' })));
    expect(error).toBeInstanceOf(ResourceExistsException);
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toContain('taken');
    expect(error.$metadata.httpStatusCode).toBe(400);
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'taken' }));
    expect(got.SecretString).toBe('first');
  });

  it('lets exactly one of many concurrent creators win, and all re-read the winner (signing key pattern)', async () => {
    const candidates = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const outcomes = await Promise.allSettled(
      candidates.map((value) => client.send(new CreateSecretCommand({ Name: 'signing-key', SecretString: value }))),
    );
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' ? [candidates[i]] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ResourceExistsException);
    }
    const reads = await Promise.all(
      candidates.map(() => client.send(new GetSecretValueCommand({ SecretId: 'signing-key' }))),
    );
    expect(new Set(reads.map((read) => read.SecretString))).toEqual(new Set(winners));
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
    expect(error.$metadata.httpStatusCode).toBe(400);
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new PutSecretValueCommand({ SecretId: 'nope', SecretString: 'x' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('moves AWSCURRENT to each new version and AWSPREVIOUS to the one before', async () => {
    await client.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    const put2 = await client.send(
      new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'v2', ClientRequestToken: TOKEN_2 }),
    );
    expect(put2).toMatchObject({ Name: 'rotating', VersionId: TOKEN_2, VersionStages: ['AWSCURRENT'] });
    let described = await client.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
    expect(stagesOf(described.VersionIdsToStages)).toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });

    await client.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'v3', ClientRequestToken: TOKEN_3 }));
    described = await client.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
    // v1 has lost its last stage, so it is deprecated and no longer listed.
    expect(stagesOf(described.VersionIdsToStages)).toEqual({ [TOKEN_2]: ['AWSPREVIOUS'], [TOKEN_3]: ['AWSCURRENT'] });

    const current = await client.send(new GetSecretValueCommand({ SecretId: 'rotating' }));
    expect(current).toMatchObject({ SecretString: 'v3', VersionId: TOKEN_3 });
    const previous = await client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'v2', VersionId: TOKEN_2, VersionStages: ['AWSPREVIOUS'] });
    const pinned = await client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionId: TOKEN_1 }));
    expect(pinned).toMatchObject({ SecretString: 'v1', VersionStages: [] });

    const mismatch = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionId: TOKEN_3, VersionStage: 'AWSPREVIOUS' })),
    );
    expect(mismatch).toBeInstanceOf(ResourceNotFoundException);
    const unknownStage = await rejection(
      client.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: 'AWSPENDING' })),
    );
    expect(unknownStage).toBeInstanceOf(ResourceNotFoundException);
    expect(unknownStage.message).toContain('AWSPENDING');
  });

  it('treats a retried put (same token, same value) as a no-op and a changed value as a conflict', async () => {
    await client.send(new CreateSecretCommand({ Name: 'retried', SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    const put = new PutSecretValueCommand({ SecretId: 'retried', SecretString: 'v2', ClientRequestToken: TOKEN_2 });
    await client.send(put);
    await client.send(put);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'retried' }));
    expect(stagesOf(described.VersionIdsToStages)).toEqual({ [TOKEN_1]: ['AWSPREVIOUS'], [TOKEN_2]: ['AWSCURRENT'] });

    const changed = await rejection(
      client.send(new PutSecretValueCommand({ SecretId: 'retried', SecretString: 'other', ClientRequestToken: TOKEN_2 })),
    );
    expect(changed).toBeInstanceOf(ResourceExistsException);
  });

  it('puts a version under a custom stage without moving AWSCURRENT', async () => {
    await client.send(new CreateSecretCommand({ Name: 'staged', SecretString: 'v1', ClientRequestToken: TOKEN_1 }));
    await client.send(
      new PutSecretValueCommand({
        SecretId: 'staged',
        SecretString: 'v2',
        ClientRequestToken: TOKEN_2,
        VersionStages: ['AWSPENDING'],
      }),
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'staged' }));
    expect(stagesOf(described.VersionIdsToStages)).toEqual({ [TOKEN_1]: ['AWSCURRENT'], [TOKEN_2]: ['AWSPENDING'] });
    const pending = await client.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'AWSPENDING' }));
    expect(pending.SecretString).toBe('v2');
  });

  it('describes a secret with its dates', async () => {
    const before = Date.now();
    const created = await client.send(new CreateSecretCommand({ Name: 'described', SecretString: 'x' }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'described' }));
    expect(described.ARN).toBe(created.ARN);
    expect(described.Name).toBe('described');
    expect(described.DeletedDate).toBeUndefined();
    expect(described.CreatedDate?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(described.CreatedDate?.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(described.VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
  });

  it('schedules a deletion: the value is unreadable, the secret still describable, the name still held', async () => {
    await client.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'x' }));
    const before = Date.now();
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
    expect(deleted.Name).toBe('doomed');
    const deletionMs = deleted.DeletionDate?.getTime() ?? 0;
    expect(deletionMs).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 1000);
    expect(deletionMs).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS + 1000);

    const read = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'doomed' })));
    expect(read).toBeInstanceOf(InvalidRequestException);
    expect(read.name).toBe('InvalidRequestException');
    await expect(client.send(new PutSecretValueCommand({ SecretId: 'doomed', SecretString: 'y' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'doomed' }));
    expect(described.DeletedDate?.getTime()).toBe(deletionMs);
    await expect(client.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'z' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
  });

  it('rejects a recovery window outside 7..30 days and one combined with a forced delete', async () => {
    await client.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'x' }));
    for (const input of [
      { SecretId: 'kept', RecoveryWindowInDays: 3 },
      { SecretId: 'kept', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
    ]) {
      const error = await rejection(client.send(new DeleteSecretCommand(input)));
      expect(error.name).toBe('InvalidParameterException');
    }
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'kept' }));
    expect(got.SecretString).toBe('x');
  });

  it('forgets a force-deleted secret at once, so its name can be reused', async () => {
    const first = await client.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'old' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'gone', ForceDeleteWithoutRecovery: true }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'gone' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'gone' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const second = await client.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'new' }));
    expect(second.ARN).not.toBe(first.ARN);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'gone' }))).SecretString).toBe('new');
  });

  it('purges a scheduled secret once its recovery window has passed', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    await restart({ now: () => now });
    await client.send(new CreateSecretCommand({ Name: 'expiring', SecretString: 'x' }));
    await client.send(new DeleteSecretCommand({ SecretId: 'expiring', RecoveryWindowInDays: 7 }));

    now = new Date(now.getTime() + 7 * DAY_MS - 1);
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'expiring' }))).resolves.toMatchObject({
      Name: 'expiring',
    });
    now = new Date(now.getTime() + 1);
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'expiring' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await client.send(new CreateSecretCommand({ Name: 'expiring', SecretString: 'again' }));
  });

  it('keeps secrets, versions, stages and deletions across restarts on the same data dir', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'durable', SecretString: 'v1', ClientRequestToken: TOKEN_1 }),
    );
    // Each kind of write is the last one before a restart, so none can ride on a later save.
    await client.send(new PutSecretValueCommand({ SecretId: 'durable', SecretString: 'v2', ClientRequestToken: TOKEN_2 }));
    const oldPort = emulator.port;
    await restart();
    expect(emulator.port).not.toBe(oldPort);
    const current = await client.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(current).toMatchObject({ Name: 'durable', SecretString: 'v2', VersionId: TOKEN_2 });
    const previous = await client.send(new GetSecretValueCommand({ SecretId: 'durable', VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'v1', VersionId: TOKEN_1 });
    await expect(client.send(new CreateSecretCommand({ Name: 'durable', SecretString: 'v9' }))).rejects.toBeInstanceOf(
      ResourceExistsException,
    );

    await client.send(new DeleteSecretCommand({ SecretId: 'durable' }));
    await restart();
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'durable' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );

    await client.send(new DeleteSecretCommand({ SecretId: 'durable', ForceDeleteWithoutRecovery: true }));
    await restart();
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'durable' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('stores state as one owner-only JSON file and leaves no temp files behind', async () => {
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => client.send(new CreateSecretCommand({ Name: `file-${i}`, SecretString: 'x' }))),
    );
    expect(await readdir(dataDir)).toEqual(['secrets-manager.json']);
    const file = join(dataDir, 'secrets-manager.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const state = JSON.parse(await readFile(file, 'utf8')) as { secrets: Record<string, unknown> };
    expect(Object.keys(state.secrets).sort()).toEqual(['file-0', 'file-1', 'file-2', 'file-3', 'file-4']);
  });

  it('refuses to start over a corrupt state file rather than losing it', async () => {
    const corruptDir = await mkdtemp(join(tmpdir(), 'secrets-manager-corrupt-'));
    try {
      await writeFile(join(corruptDir, 'secrets-manager.json'), '{"secrets": ');
      await expect(startSecretsManager({ dataDir: corruptDir, port: 0 })).rejects.toThrow(/not a valid Secrets Manager state file/);
      expect(await readFile(join(corruptDir, 'secrets-manager.json'), 'utf8')).toBe('{"secrets": ');
    } finally {
      await rm(corruptDir, { recursive: true, force: true });
    }
  });

  it('never writes secret values to the console, even when a request fails', async () => {
    const value = 'hunter2-very-secret-value';
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'debug'),
    ];
    await client.send(new CreateSecretCommand({ Name: 'quiet', SecretString: value }));
    await client.send(new GetSecretValueCommand({ SecretId: 'quiet' }));
    const conflict = await rejection(client.send(new CreateSecretCommand({ Name: 'quiet', SecretString: value })));
    const invalid = await rejection(
      client.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: value, Description: value.repeat(200) })),
    );
    expect(invalid.name).toBe('InvalidParameterException');
    for (const error of [conflict, invalid]) expect(error.message).not.toContain(value);
    for (const spy of spies) expect(JSON.stringify(spy.mock.calls)).not.toContain(value);
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.RotateSecret', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('SecretsManagerVault', () => {
  let vault: SecretsManagerVault;
  beforeEach(() => {
    vault = new SecretsManagerVault(client);
  });

  it('removes a secret (scheduled for deletion: no longer readable), and a second remove is fine', async () => {
    const created = await vault.create('vault/removed', 'material');
    await vault.remove(created.arn);
    await expect(vault.read(created.arn)).rejects.toBeInstanceOf(Error);
    await expect(vault.describe(created.arn)).rejects.toBeInstanceOf(NotFoundError);
    await vault.remove(created.arn);
    await vault.remove('vault/never-existed');
  });

  it('creates, reads, puts and describes through the port', async () => {
    const created = await vault.create('vault/one', 'v1');
    expect(created.arn).toMatch(/:secret:vault\/one-[A-Za-z0-9]{6}$/);
    expect(await vault.read('vault/one')).toEqual({ value: 'v1', versionId: created.versionId });

    const put = await vault.put(created.arn, 'v2');
    expect(put.arn).toBe(created.arn);
    expect(put.versionId).not.toBe(created.versionId);
    expect(await vault.read(created.arn)).toEqual({ value: 'v2', versionId: put.versionId });
    expect(await vault.read('vault/one', created.versionId)).toEqual({ value: 'v1', versionId: created.versionId });
    expect(await vault.describe('vault/one')).toEqual({ arn: created.arn, currentVersionId: put.versionId });
  });

  it('translates ResourceExistsException into ConflictError(secret_exists)', async () => {
    await vault.create('vault/taken', 'first');
    const error = await vault.create('vault/taken', 'second').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ name: 'ConflictError', code: 'secret_exists' });
    expect(await vault.read('vault/taken')).toMatchObject({ value: 'first' });
  });

  it('translates ResourceNotFoundException into NotFoundError(secret_not_found)', async () => {
    for (const call of [
      () => vault.read('vault/missing'),
      () => vault.put('vault/missing', 'x'),
      () => vault.describe('vault/missing'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ name: 'NotFoundError', code: 'secret_not_found' });
    }
    const created = await vault.create('vault/pinned', 'v1');
    const unknownVersion = await vault.read(created.arn, TOKEN_3).catch((e: unknown) => e);
    expect(unknownVersion).toMatchObject({ name: 'NotFoundError', code: 'secret_not_found' });
  });

  it('reports a secret scheduled for deletion as not found on describe, and rethrows the service error on read', async () => {
    const created = await vault.create('vault/doomed', 'x');
    await client.send(new DeleteSecretCommand({ SecretId: created.arn }));
    const described = await vault.describe(created.arn).catch((e: unknown) => e);
    expect(described).toMatchObject({ name: 'NotFoundError', code: 'secret_not_found' });
    const read = await vault.read(created.arn).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(InvalidRequestException);
  });

  it('finds its endpoint in AWS_ENDPOINT_URL_SECRETS_MANAGER when given no client', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', emulator.url);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const fromEnv = new SecretsManagerVault();
    const created = await fromEnv.create('vault/from-env', 'v1');
    expect(created.arn).toMatch(/^arn:aws:secretsmanager:eu-west-1:000000000000:secret:vault\/from-env-/);
    expect(await vault.read(created.arn)).toMatchObject({ value: 'v1' });
  });
});
