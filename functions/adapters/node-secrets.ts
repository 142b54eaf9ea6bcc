import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { NodeSecrets } from '../core/enrolment/ports.ts';
import type { Vault } from '../core/vault.ts';
import { cachedKey, loadOrCreateKey } from './vaulted-key.ts';

const SigningKeySchema = z.object({
  kid: z.string(),
  /** PKCS#8 DER, base64. Held for the signed event bus; only the public half is handed out today. */
  private_pkcs8: z.string(),
  /** The 32 raw Ed25519 bytes, base64. */
  public_raw: z.string(),
});

function newSigningKey(stage: string): z.infer<typeof SigningKeySchema> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x) throw new Error('Ed25519 public key export lacks x');
  return {
    kid: `plexsphere-${stage}-node-signing-${randomBytes(6).toString('hex')}`,
    private_pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    public_raw: Buffer.from(jwk.x, 'base64url').toString('base64'),
  };
}

/** The vault secret holding the node-signing key of a stage. */
export function nodeSigningKeyId(stage: string): string {
  return `plexsphere/${stage}/node-signing-key`;
}

/** NSKs are 32 random bytes stored as their SHA-256; the node-signing key lives in the vault. */
export class VaultNodeSecrets implements NodeSecrets {
  private readonly key: () => Promise<z.infer<typeof SigningKeySchema>>;

  constructor(vault: Vault, stage: string) {
    this.key = cachedKey(() => loadOrCreateKey(vault, nodeSigningKeyId(stage), SigningKeySchema, () => newSigningKey(stage)));
  }

  issueNsk(): { nsk: string; hash: string } {
    const nsk = randomBytes(32);
    return { nsk: nsk.toString('base64'), hash: createHash('sha256').update(nsk).digest('hex') };
  }

  nskMatches(nsk: Uint8Array, hash: string): boolean {
    const presented = createHash('sha256').update(nsk).digest();
    const stored = Buffer.from(hash, 'hex');
    return stored.length === presented.length && timingSafeEqual(presented, stored);
  }

  async signingKey(): Promise<{ keyId: string; publicKey: string }> {
    const key = await this.key();
    return { keyId: key.kid, publicKey: key.public_raw };
  }
}
