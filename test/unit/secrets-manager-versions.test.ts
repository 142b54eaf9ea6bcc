import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { client, emulator, rejection, TOKEN_1, TOKEN_2, TOKEN_3, useSecretsManager } from '../support/secrets-manager.ts';

// Creating and reading secrets, and how their versions and stages move.

useSecretsManager();

function stagesOf(map: Record<string, string[]> | undefined): Record<string, string[]> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([id, stages]) => [id, [...stages].sort()]));
}

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

});
