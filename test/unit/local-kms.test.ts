import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListKeysCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { startKms } from '../../local/kms/api.ts';
import { ensureSigningKey } from '../../local/kms/signing-key.ts';
import { rejectionOf } from '../conformance/fixtures.ts';

// The local KMS beyond what conformance/suites/kms.ts holds against moto: its refusals, its
// aliases, and that keys survive a restart (the embedded stack's tokens depend on it).

const dataDir = mkdtempSync(join(tmpdir(), 'plexsphere-local-kms-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const clientFor = (url: string) => new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });

describe('local KMS', () => {
  it('refuses keys it cannot serve and requests AWS refuses, each with its AWS error type', async () => {
    const kms = await startKms({ dataDir: join(dataDir, 'refusals') });
    const client = clientFor(kms.url);
    try {
      const nameOf = async (p: Promise<unknown>) => (await rejectionOf(p)).name;
      expect(await nameOf(client.send(new CreateKeyCommand({})))).toBe('UnsupportedOperationException');
      expect(await nameOf(client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256' })))).toBe('ValidationException');
      expect(await nameOf(client.send(new CreateKeyCommand({ KeySpec: 'NOT_A_SPEC' as 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })))).toBe('ValidationException');
      const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
      const KeyId = created.KeyMetadata?.KeyId as string;
      const sign = (input: Partial<ConstructorParameters<typeof SignCommand>[0]>) =>
        client.send(new SignCommand({ KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256', ...input }));
      expect(await nameOf(sign({ SigningAlgorithm: 'ECDSA_SHA_384' }))).toBe('InvalidKeyUsageException');
      expect(await nameOf(sign({ MessageType: 'DIGEST' }))).toBe('UnsupportedOperationException');
      expect(await nameOf(sign({ Message: Buffer.alloc(4097) }))).toBe('ValidationException');
      expect(await nameOf(sign({ KeyId: 'not-a-key' }))).toBe('NotFoundException');
      expect(await nameOf(sign({ KeyId: 'alias/nobody' }))).toBe('NotFoundException');
      // An ARN of another account or region names no key here, even with a known key id.
      expect(await nameOf(sign({ KeyId: `arn:aws:kms:eu-west-1:111111111111:key/${KeyId}` }))).toBe('NotFoundException');
      await client.send(new CreateAliasCommand({ AliasName: 'alias/one', TargetKeyId: KeyId }));
      expect(await nameOf(client.send(new CreateAliasCommand({ AliasName: 'alias/one', TargetKeyId: KeyId })))).toBe('AlreadyExistsException');
      expect(await nameOf(client.send(new CreateAliasCommand({ AliasName: 'alias/aws/x', TargetKeyId: KeyId })))).toBe('ValidationException');
      expect((await sign({ KeyId: 'alias/one' })).KeyId).toBe(created.KeyMetadata?.Arn);
      expect((await client.send(new ListKeysCommand({}))).Keys).toEqual([{ KeyId, KeyArn: created.KeyMetadata?.Arn }]);
    } finally {
      client.destroy();
      await kms.close();
    }
  });

  it('keeps keys and aliases across a restart, in an owner-only file: the stack finds its signing key again', async () => {
    const dir = join(dataDir, 'restart');
    const first = await startKms({ dataDir: dir });
    const arn = await ensureSigningKey(first.url);
    const client = clientFor(first.url);
    const before = await client.send(new GetPublicKeyCommand({ KeyId: arn }));
    client.destroy();
    await first.close();
    expect(statSync(join(dir, 'kms.json')).mode & 0o077).toBe(0);

    const second = await startKms({ dataDir: dir });
    const again = clientFor(second.url);
    try {
      expect(await ensureSigningKey(second.url)).toBe(arn);
      expect((await again.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey).toEqual(before.PublicKey);
      expect((await again.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState).toBe('Enabled');
    } finally {
      again.destroy();
      await second.close();
    }
  });
});
