import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VaultCursorSealer } from '../../functions/adapters/cursor-sealer.ts';
import { BrokerError, ForbiddenError, InvalidInputError } from '../../functions/core/errors.ts';
import { MemoryVault } from '../support/catalog-fakes.ts';

// The cursor sealer against an in-memory vault. A cursor may resume after an item the caller may
// not see (a bounded read filtered it out), so its holder must learn nothing from it but "more".

const SECRET = 'plexsphere/test/cursor-key';
const AFTER = 'prj_01JH7Q3K9Z8X6W5V4T3S2R1P0N';
const BINDING = 'usr_1|GET /v1/projects|domain_id=dom_1';

function sealer(vault = new MemoryVault([])) {
  return { vault, cursors: new VaultCursorSealer(vault, SECRET) };
}

/** The answer the problem mapper would give: 400 for InvalidInputError, 403 for ForbiddenError. */
async function refusal(p: Promise<unknown>): Promise<[number, string] | 'opened'> {
  try {
    await p;
    return 'opened';
  } catch (err) {
    if (err instanceof InvalidInputError) return [400, err.code];
    if (err instanceof ForbiddenError) return [403, err.code];
    if (err instanceof BrokerError) return [0, err.code];
    throw err;
  }
}

describe('VaultCursorSealer', () => {
  it('hides the id it resumes after: the decoded cursor holds neither the id nor its timestamp', async () => {
    const { cursors } = sealer();
    const cursor = await cursors.seal(AFTER, BINDING);
    const decoded = Buffer.from(cursor, 'base64url');
    for (const part of cursor.split('.')) expect(Buffer.from(part, 'base64url').toString('latin1')).not.toContain(AFTER.slice(4, 14));
    expect(decoded.toString('latin1')).not.toContain(AFTER);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]{1,200}$/);
    // Two cursors for the same place differ (fresh nonce), so equal positions do not show either.
    expect(await cursors.seal(AFTER, BINDING)).not.toBe(cursor);
    expect(await cursors.open(cursor, BINDING)).toBe(AFTER);
  });

  it('refuses an edited, truncated, padded or foreign-key cursor as invalid, and a replayed one as a binding mismatch', async () => {
    const { vault, cursors } = sealer();
    const cursor = await cursors.seal(AFTER, BINDING);
    const flip = (i: number) => `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
    for (const edited of [flip(5), flip(20), flip(cursor.length - 1), cursor.slice(0, -4), `${cursor}=`, `${cursor}!`, `${cursor}.x`, 'garbage', '']) {
      expect(await refusal(cursors.open(edited, BINDING)), edited).toEqual([400, 'invalid_cursor']);
    }
    expect(await refusal(cursors.open(cursor, 'usr_2|GET /v1/projects|domain_id=dom_1'))).toEqual([403, 'cursor_binding_mismatch']);

    const other = sealer();
    expect(await refusal(other.cursors.open(cursor, BINDING))).toEqual([400, 'invalid_cursor']);
    // The same stored key in another container opens it: the key is derived, not random per process.
    expect(await new VaultCursorSealer(vault, SECRET).open(cursor, BINDING)).toBe(AFTER);
  });

  it('refuses a version 1 cursor, even one MAC-signed with the stored key', async () => {
    const { vault, cursors } = sealer();
    await cursors.seal(AFTER, BINDING);
    const key = Buffer.from(JSON.parse((await vault.read(SECRET)).value).cursor_key, 'base64');
    const body = Buffer.from(JSON.stringify({ v: 1, a: AFTER, b: 'x' })).toString('base64url');
    const v1 = `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    expect(await refusal(cursors.open(v1, BINDING))).toEqual([400, 'invalid_cursor']);
  });
});
