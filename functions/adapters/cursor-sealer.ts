// List cursors sealed with a key of their own, kept in the vault apart from any token key: every
// group that lists seals cursors, and none of them needs the token keys for it.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ForbiddenError, InvalidInputError } from '../core/errors.ts';
import type { CursorSealer } from '../core/ports.ts';
import type { Vault } from '../core/vault.ts';
import { cachedKey, loadOrCreateKey } from './vaulted-key.ts';

const CursorKeySchema = z.object({ cursor_key: z.string().min(1) });

// Version 1 cursors were signed but readable: one resumes after the last item *read*, which a
// bounded read may have filtered out, so its id leaked. Version 2 encrypts the body. A version 1
// cursor is refused as invalid rather than honoured: cursors live minutes, so a caller restarts its
// list at worst once.
const VERSION = 2;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DIGEST_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class VaultCursorSealer implements CursorSealer {
  private readonly key: () => Promise<Buffer>;

  constructor(vault: Vault, secretId: string) {
    this.key = cachedKey(async () => {
      const stored = await loadOrCreateKey(vault, secretId, CursorKeySchema, () => ({ cursor_key: randomBytes(32).toString('base64') }));
      // Derived, not used as stored: the stored key once keyed an HMAC, and one key serves one purpose.
      return Buffer.from(hkdfSync('sha256', Buffer.from(stored.cursor_key, 'base64'), Buffer.alloc(0), 'plexsphere cursor v2', 32));
    });
  }

  // A cursor carries the id to resume after and a digest of who may use it on which query, both
  // encrypted with AES-256-GCM, whose tag also authenticates them: a forged or edited cursor is
  // 400, a genuine one replayed elsewhere is 403, and none reveals the id to its holder.
  async seal(afterId: string, binding: string): Promise<string> {
    const header = Buffer.from([VERSION]);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', await this.key(), nonce).setAAD(header);
    const body = Buffer.concat([cipher.update(Buffer.concat([bindingDigest(binding), Buffer.from(afterId)])), cipher.final()]);
    return Buffer.concat([header, nonce, body, cipher.getAuthTag()]).toString('base64url');
  }

  async open(cursor: string, binding: string): Promise<string> {
    const invalid = new InvalidInputError('invalid_cursor', 'The cursor is not valid; start the list again without it.');
    const sealed = decodeStrict(cursor);
    if (!sealed || sealed.length < 1 + NONCE_BYTES + DIGEST_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw invalid;
    const plain = await this.decrypt(sealed);
    if (!plain) throw invalid;
    if (!plain.subarray(0, DIGEST_BYTES).equals(bindingDigest(binding))) {
      throw new ForbiddenError('cursor_binding_mismatch', 'This cursor was issued to another caller or for another query.');
    }
    return plain.subarray(DIGEST_BYTES).toString();
  }

  private async decrypt(sealed: Buffer): Promise<Buffer | undefined> {
    const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', await this.key(), nonce, { authTagLength: TAG_BYTES })
      .setAAD(sealed.subarray(0, 1))
      .setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}

// Node's base64url decoder skips characters it does not know; only the canonical spelling of the
// bytes is accepted, so two strings never open as one cursor.
function decodeStrict(cursor: string): Buffer | undefined {
  if (cursor.length > 1024 || !BASE64URL.test(cursor)) return undefined;
  const bytes = Buffer.from(cursor, 'base64url');
  return bytes.toString('base64url') === cursor ? bytes : undefined;
}

function bindingDigest(binding: string): Buffer {
  return createHash('sha256').update(binding).digest().subarray(0, DIGEST_BYTES);
}
