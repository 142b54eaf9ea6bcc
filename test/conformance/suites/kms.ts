import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, type KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsAccessTokens } from '../../../functions/adapters/kms-access-tokens.ts';
import { KmsKeys } from '../../../functions/adapters/kms-keys.ts';
import { TOKEN_AUDIENCE } from '../../../functions/adapters/token-signer.ts';
import type { Clock } from '../../../functions/core/clock.ts';
import { UnauthenticatedError } from '../../../functions/core/errors.ts';
import { type ConformanceSuite, kmsClient } from '../backend.ts';
import { rejectionOf } from '../fixtures.ts';

const CLAIMS = { subject: 'usr_1', domainId: 'dom_1', email: 'ada@example.com' };
const ISSUER = 'https://broker.example';
const UNKNOWN_KEY = '11111111-2222-4333-8444-555555555555';

export const kmsSuite: ConformanceSuite = (backend) => {
  describe('KMS access-token keys', () => {
    let client: KMSClient;
    const clock: Clock = { now: () => new Date() };
    const newKey = async () => {
      const out = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'conformance' }));
      return out.KeyMetadata?.KeyId as string;
    };
    const tokens = (keys: KmsKeys, signingKeyId: string, standbyKeyId?: string) =>
      new KmsAccessTokens(keys, { signingKeyId, standbyKeyId, issuer: ISSUER, ttlSeconds: 600, clock });
    beforeAll(() => {
      client = kmsClient(backend());
    });
    afterAll(() => client.destroy());

    it('creates an ECC_NIST_P256 SIGN_VERIFY key whose SPKI public key checks its DER signatures', async () => {
      const created = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
      expect(created.KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Enabled: true, SigningAlgorithms: ['ECDSA_SHA_256'] });
      const keyId = created.KeyMetadata?.KeyId as string;
      expect(created.KeyMetadata?.Arn).toMatch(new RegExp(`^arn:aws:kms:${backend().region}:\\d{12}:key/${keyId}$`));

      const pub = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
      expect(pub).toMatchObject({ CustomerMasterKeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });
      // moto answers the deprecated CustomerMasterKeySpec only; AWS (and the local emulator) both names.
      if (backend().name === 'local') expect(pub.KeySpec).toBe('ECC_NIST_P256');
      const publicKey = createPublicKey({ key: Buffer.from(pub.PublicKey as Uint8Array), format: 'der', type: 'spki' });
      expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

      const message = Buffer.from('header.payload');
      const signed = await client.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect(signed.SigningAlgorithm).toBe('ECDSA_SHA_256');
      const der = Buffer.from(signed.Signature as Uint8Array);
      expect(der[0]).toBe(0x30);
      expect(verifySignature('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der)).toBe(true);

      const verified = await client.send(
        new VerifyCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', Signature: der, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      expect(verified.SignatureValid).toBe(true);
    });

    it('refuses a tampered message on Verify', async () => {
      const keyId = await newKey();
      const signed = await client.send(new SignCommand({ KeyId: keyId, Message: Buffer.from('original'), SigningAlgorithm: 'ECDSA_SHA_256' }));
      const verify = client.send(
        new VerifyCommand({ KeyId: keyId, Message: Buffer.from('tampered'), Signature: signed.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      if (backend().name === 'moto') {
        // moto departs from AWS here: it answers SignatureValid false where AWS throws KMSInvalidSignatureException.
        expect((await verify).SignatureValid).toBe(false);
      } else {
        expect((await rejectionOf(verify)).name).toBe('KMSInvalidSignatureException');
      }
    });

    it('answers NotFoundException for a key id that names no key', async () => {
      expect((await rejectionOf(client.send(new GetPublicKeyCommand({ KeyId: UNKNOWN_KEY })))).name).toBe('NotFoundException');
      const sign = client.send(new SignCommand({ KeyId: UNKNOWN_KEY, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect((await rejectionOf(sign)).name).toBe('NotFoundException');
    });

    it('issues access tokens that verify, with the claims and header they have always had', async () => {
      const keyId = await newKey();
      const issuer = tokens(new KmsKeys(client), keyId);
      const { token, expiresIn } = await issuer.issue(CLAIMS);
      expect(expiresIn).toBe(600);
      expect(await issuer.verify(token)).toEqual(CLAIMS);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const { keys } = await issuer.jwks();
      expect(keys).toHaveLength(1);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', kid: (keys[0] as { kid: string }).kid, typ: 'JWT' });
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      expect(Object.keys(claims)).toEqual(['domain_id', 'email', 'sub', 'iss', 'aud', 'iat', 'exp', 'jti']);
      expect(claims).toMatchObject({ sub: 'usr_1', domain_id: 'dom_1', email: 'ada@example.com', iss: ISSUER, aud: TOKEN_AUDIENCE });
      expect(claims.exp - claims.iat).toBe(600);
      expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    });

    it('verifies tokens of both live keys by kid, and lists both in the JWKS', async () => {
      const [oldKey, newKeyId] = [await newKey(), await newKey()];
      const keys = new KmsKeys(client);
      const before = await tokens(keys, oldKey).issue(CLAIMS);
      // After the switch the old key is the standby: its tokens still verify until they expire.
      const rotated = tokens(keys, newKeyId, oldKey);
      const after = await rotated.issue(CLAIMS);
      expect(await rotated.verify(before.token)).toEqual(CLAIMS);
      expect(await rotated.verify(after.token)).toEqual(CLAIMS);
      const kids = (await rotated.jwks()).keys.map((k) => (k as { kid: string }).kid);
      expect(kids).toHaveLength(2);
      expect(new Set(kids).size).toBe(2);
      const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
      expect(kids).toEqual([kidOf(after.token), kidOf(before.token)]);
      // Once the old key is dropped, its tokens are refused.
      const dropped = await rejectionOf(tokens(keys, newKeyId).verify(before.token));
      expect(dropped).toBeInstanceOf(UnauthenticatedError);
      expect(dropped).toMatchObject({ code: 'invalid_token' });
    });

    it('refuses a token signed by a key it does not trust, and a token whose signature was swapped', async () => {
      const keys = new KmsKeys(client);
      const trusted = tokens(keys, await newKey());
      const stranger = await tokens(keys, await newKey()).issue(CLAIMS);
      const own = await trusted.issue(CLAIMS);
      const [h, p] = own.token.split('.');
      const swapped = `${h}.${p}.${stranger.token.split('.')[2]}`;
      for (const token of [stranger.token, swapped]) {
        const err = await rejectionOf(trusted.verify(token));
        expect(err).toBeInstanceOf(UnauthenticatedError);
        expect(err).toMatchObject({ code: 'invalid_token' });
      }
    });
  });
};
