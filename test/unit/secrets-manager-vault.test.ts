import { DeleteSecretCommand, InvalidRequestException } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretsManagerVault } from '../../functions/adapters/secrets-vault.ts';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import { client, emulator, TOKEN_3, useSecretsManager } from '../support/secrets-manager.ts';

// The SecretsManagerVault adapter (the broker's Vault port) against the local emulator.

useSecretsManager();

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
