import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { base32Encode, type BootstrapTokenMinter, credentialEnv, formatBootstrapToken } from '../core/bootstrap-tokens.ts';
import type { Vault } from '../core/vault.ts';
import { cachedKey, loadOrCreateKey } from './vaulted-key.ts';

const KeySchema = z.object({ hmac_key: z.string() });

/** The vault secret holding the HMAC key of a stage. */
export function bootstrapTokenKeyId(stage: string): string {
  return `plexsphere/${stage}/bootstrap-token-key`;
}

/** 160 bits of HMAC output: 32 base32 characters of random part. */
const RANDOM_BYTES = 20;

/**
 * Mints bootstrap tokens as HMAC-SHA256(key, resource id | salt): deterministic, so a retried
 * provision step renders the same user data, and unguessable without the key. The key is created
 * once, conditionally, in the vault (`plexsphere/<stage>/bootstrap-token-key`).
 */
export class HmacBootstrapTokenMinter implements BootstrapTokenMinter {
  private readonly key: () => Promise<Buffer>;
  private readonly env: string;

  constructor(vault: Vault, stage: string) {
    this.env = credentialEnv(stage);
    this.key = cachedKey(async () => {
      const secret = await loadOrCreateKey(vault, bootstrapTokenKeyId(stage), KeySchema, () => ({
        hmac_key: randomBytes(32).toString('base64'),
      }));
      return Buffer.from(secret.hmac_key, 'base64');
    });
  }

  async mint(input: { projectId: string; resourceId: string; salt: string }): Promise<{ token: string; hash: string }> {
    const mac = createHmac('sha256', await this.key())
      .update(`${input.resourceId}|${input.salt}`)
      .digest()
      .subarray(0, RANDOM_BYTES);
    const token = formatBootstrapToken({ env: this.env, projectId: input.projectId, random: base32Encode(mac) });
    return { token, hash: this.hash(token) };
  }

  hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}

/** The steps' wiring names the adapter by its role. */
export { HmacBootstrapTokenMinter as BootstrapTokenMinter };
