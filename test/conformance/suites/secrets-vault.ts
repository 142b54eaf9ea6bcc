import { DeleteSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { SecretsManagerVault } from '../../../functions/adapters/secrets-vault.ts';
import { loadOrCreateKey } from '../../../functions/adapters/vaulted-key.ts';
import { ConflictError, NotFoundError } from '../../../functions/core/errors.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type ConformanceSuite, secretsClient } from '../backend.ts';
import { rejectionOf } from '../fixtures.ts';

const UNKNOWN_VERSION = '33333333-3333-4333-8333-333333333333';

export const secretsVaultSuite: ConformanceSuite = (backend) => {
  describe('Secrets Manager vault', () => {
    let client: SecretsManagerClient;
    let vault: SecretsManagerVault;
    const name = (what: string) => `plexsphere/conformance/${what}-${newId()}`;
    beforeAll(() => {
      client = secretsClient(backend());
      vault = new SecretsManagerVault(client);
    });
    afterAll(() => client.destroy());

    it('creates a secret and reads it by name and by ARN, current or pinned to a version', async () => {
      const id = name('one');
      const created = await vault.create(id, 'v1');
      // The ARN ends in the name, a dash and six random characters.
      expect(created.arn).toMatch(new RegExp(`^arn:aws:secretsmanager:${backend().region}:\\d{12}:secret:${id}-[A-Za-z0-9]{6}$`));
      expect(await vault.read(id)).toEqual({ value: 'v1', versionId: created.versionId });
      expect(await vault.read(created.arn)).toEqual({ value: 'v1', versionId: created.versionId });

      const put = await vault.put(created.arn, 'v2');
      expect(put.arn).toBe(created.arn);
      expect(put.versionId).not.toBe(created.versionId);
      expect(await vault.read(id)).toEqual({ value: 'v2', versionId: put.versionId });
      expect(await vault.read(id, created.versionId)).toEqual({ value: 'v1', versionId: created.versionId });
      expect(await vault.describe(id)).toEqual({ arn: created.arn, currentVersionId: put.versionId });
    });

    it('maps a taken name to ConflictError(secret_exists), keeping the first value', async () => {
      const id = name('taken');
      await vault.create(id, 'first');
      const error = await rejectionOf(vault.create(id, 'second'));
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'secret_exists' });
      expect(await vault.read(id)).toMatchObject({ value: 'first' });
    });

    it('maps a missing secret or version to NotFoundError(secret_not_found)', async () => {
      const missing = name('missing');
      for (const call of [() => vault.read(missing), () => vault.put(missing, 'x'), () => vault.describe(missing)]) {
        const error = await rejectionOf(call());
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ code: 'secret_not_found' });
      }
      const created = await vault.create(name('pinned'), 'v1');
      expect(await rejectionOf(vault.read(created.arn, UNKNOWN_VERSION))).toMatchObject({ name: 'NotFoundError', code: 'secret_not_found' });
    });

    it('schedules a deletion: describe says not found, a read is refused, the name stays held, a second remove is fine', async () => {
      const id = name('doomed');
      const created = await vault.create(id, 'x');
      await vault.remove(created.arn);
      expect(await rejectionOf(vault.describe(created.arn))).toMatchObject({ name: 'NotFoundError', code: 'secret_not_found' });
      // AWS: a secret marked for deletion answers InvalidRequestException ("The secret is scheduled
      // for deletion") to reads and to a create of its name.
      expect(await rejectionOf(vault.read(created.arn))).toMatchObject({ name: 'InvalidRequestException' });
      const recreate = await rejectionOf(vault.create(id, 'again'));
      if (backend().name === 'moto') {
        // moto 5.2 answers ResourceExistsException to the create instead, which the vault maps to a conflict.
        expect(recreate).toMatchObject({ name: 'ConflictError', code: 'secret_exists' });
      } else {
        expect(recreate).toMatchObject({ name: 'InvalidRequestException' });
      }
      // A second DeleteSecret is refused as any call on a scheduled secret is; the vault takes that as done.
      expect(await rejectionOf(client.send(new DeleteSecretCommand({ SecretId: created.arn, RecoveryWindowInDays: 7 })))).toMatchObject({
        name: 'InvalidRequestException',
      });
      await vault.remove(created.arn);
      await vault.remove(name('never-existed'));
    });

    it('creates a vaulted key once when two cold containers race for it', async () => {
      const id = name('key');
      const Key = z.object({ kid: z.string() });
      const [a, b] = await Promise.all([
        loadOrCreateKey(vault, id, Key, () => ({ kid: 'a' })),
        loadOrCreateKey(vault, id, Key, () => ({ kid: 'b' })),
      ]);
      expect(a).toEqual(b);
      expect(await vault.read(id)).toMatchObject({ value: JSON.stringify(a) });
    });
  });
};
