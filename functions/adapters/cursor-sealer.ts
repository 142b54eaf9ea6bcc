// List cursors sealed with an HMAC key of their own, kept in the vault apart from any token key:
// every group that lists seals cursors, and none of them needs the token keys for it.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { ForbiddenError, InvalidInputError } from '../core/errors.ts';
import { jsonOrUndefined } from '../core/json-or-undefined.ts';
import type { CursorSealer } from '../core/ports.ts';
import type { Vault } from '../core/vault.ts';
import { cachedKey, loadOrCreateKey } from './vaulted-key.ts';

const CursorKeySchema = z.object({ cursor_key: z.string().min(1) });
const CursorBodySchema = z.object({ v: z.literal(1), a: z.string(), b: z.string() });

export class VaultCursorSealer implements CursorSealer {
  private readonly key: () => Promise<Buffer>;

  constructor(vault: Vault, secretId: string) {
    this.key = cachedKey(async () => {
      const stored = await loadOrCreateKey(vault, secretId, CursorKeySchema, () => ({ cursor_key: randomBytes(32).toString('base64') }));
      return Buffer.from(stored.cursor_key, 'base64');
    });
  }

  private async mac(body: string): Promise<Buffer> {
    return createHmac('sha256', await this.key())
      .update(body)
      .digest();
  }

  // A cursor carries the id to resume after and a digest of who may use it on which query. The
  // MAC covers both: a forged or edited cursor is 400, a genuine one replayed elsewhere is 403.
  async seal(afterId: string, binding: string): Promise<string> {
    const body = Buffer.from(JSON.stringify({ v: 1, a: afterId, b: bindingDigest(binding) })).toString('base64url');
    return `${body}.${(await this.mac(body)).toString('base64url')}`;
  }

  async open(cursor: string, binding: string): Promise<string> {
    const [body, tag, extra] = cursor.split('.');
    const invalid = new InvalidInputError('invalid_cursor', 'The cursor is not valid; start the list again without it.');
    if (!body || !tag || extra !== undefined) throw invalid;
    const expected = await this.mac(body);
    const given = Buffer.from(tag, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    const parsed = CursorBodySchema.safeParse(jsonOrUndefined(Buffer.from(body, 'base64url').toString()));
    if (!parsed.success) throw invalid;
    if (parsed.data.b !== bindingDigest(binding)) {
      throw new ForbiddenError('cursor_binding_mismatch', 'This cursor was issued to another caller or for another query.');
    }
    return parsed.data.a;
  }
}

function bindingDigest(binding: string): string {
  return createHash('sha256').update(binding).digest('base64url').slice(0, 22);
}
