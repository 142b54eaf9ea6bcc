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
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { startSecretsManager } from '../../local/secrets-manager/api.ts';
import { client, dataDir, emulator, rejection, restart, TOKEN_1, TOKEN_2, useSecretsManager } from '../support/secrets-manager.ts';

// Deleting secrets, the state file across restarts, and what the emulator refuses or keeps quiet.

const DAY_MS = 24 * 60 * 60 * 1000;

useSecretsManager();

describe('local Secrets Manager emulator', () => {
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
