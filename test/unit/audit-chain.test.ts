import { canonicalJson } from '../../functions/core/canonical-json.ts';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../functions/adapters/audit-log.ts';
import {
  AuditChainVerdictViewSchema,
  CHAIN_BREAKS,
  type ChainHead,
  entryHash,
  GENESIS_HASH,
  nextLink,
  verifyChain,
} from '../../functions/core/audit-chain.ts';

// The chain's rules, without a table: canonical JSON, each entry's hash, and how each kind of
// tampering (an edit, a deletion in the middle or at the end, a move) is found and named.

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

type Entry = Record<string, unknown>;

/** A chain of `n` entries as the log writes them, and its head. */
function chain(n: number): { entries: Entry[]; head: ChainHead } {
  const entries: Entry[] = [];
  let head: ChainHead | undefined;
  for (let i = 1; i <= n; i++) {
    const link = nextLink({ id: `e${i}`, domain_id: 'd', at: `2026-06-01T00:00:0${i}.000Z`, action: 'credential_assignment.request', outcome: 'succeeded' }, head, sha256);
    entries.push(link);
    head = { seq: link.seq, hash: link.hash };
  }
  return { entries, head: head ?? { seq: 0, hash: GENESIS_HASH } };
}

/** The entry rewritten with `fields`, its hash computed afresh as if whoever changed it knew how. */
const rehashed = (entry: Entry, fields: Entry): Entry => {
  const changed = { ...entry, ...fields };
  return { ...changed, hash: entryHash(changed, sha256) };
};

describe('canonical JSON', () => {
  it('sorts keys at every depth, keeps array order, and has no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x', c: { y: true, x: false } })).toBe(
      '{"a":"x","b":[3,{"a":null,"z":1}],"c":{"x":false,"y":true}}',
    );
  });

  it('orders keys by UTF-16 code units, as RFC 8785 does (not by code points)', () => {
    // U+1F600 is the surrogate pair D83D DE00: before U+FB33 in UTF-16, after it as a code point.
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2, '\u20ac': 3, a: 4 })).toBe('{"a":4,"€":3,"😀":2,"דּ":1}');
  });

  it('escapes strings as JSON does and writes integers plainly', () => {
    expect(canonicalJson({ s: 'line\n"quoted"\\', n: 12, neg: -0, f: 1.5 })).toBe('{"f":1.5,"n":12,"neg":0,"s":"line\\n\\"quoted\\"\\\\"}');
  });

  it('leaves out undefined fields, as a stored item has no such attribute', () => {
    expect(canonicalJson({ a: 1, reason: undefined })).toBe('{"a":1}');
  });

  it('refuses what JSON cannot say', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => canonicalJson({ s: new Set(['a']) })).toThrow(TypeError);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});

describe('an entry’s hash', () => {
  it('is SHA-256 (hex) of the canonical JSON of every field but hash', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(entryHash({ seq: 1, a: 'x', hash: 'ignored' }, sha256Hex)).toBe(sha256('{"a":"x","seq":1}'));
  });

  it('covers seq and prev_hash', () => {
    const base = { id: 'e', seq: 1, prev_hash: GENESIS_HASH };
    expect(entryHash({ ...base, seq: 2 }, sha256)).not.toBe(entryHash(base, sha256));
    expect(entryHash({ ...base, prev_hash: 'f'.repeat(64) }, sha256)).not.toBe(entryHash(base, sha256));
  });

  it('links each entry to the one before it, the first to the genesis hash', () => {
    const { entries, head } = chain(3);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries.map((e) => e.prev_hash)).toEqual([GENESIS_HASH, entries[0]?.hash, entries[1]?.hash]);
    expect(head).toEqual({ seq: 3, hash: entries[2]?.hash });
  });
});

describe('verifying a chain', () => {
  it('finds a whole chain valid, with its length and head', () => {
    const { entries, head } = chain(5);
    expect(verifyChain(entries, head, sha256)).toEqual({ valid: true, entries: 5, head: head.hash });
    expect(verifyChain([], undefined, sha256)).toEqual({ valid: true, entries: 0, head: null });
  });

  it('names an edited entry: hash_mismatch', () => {
    const { entries, head } = chain(5);
    entries[2] = { ...entries[2], outcome: 'denied' };
    expect(verifyChain(entries, head, sha256)).toEqual({ valid: false, entries: 5, head: head.hash, first_broken: { id: 'e3', reason: 'hash_mismatch' } });
  });

  it('counts a field added to an entry as an edit', () => {
    const { entries, head } = chain(3);
    entries[1] = { ...entries[1], note: 'added later' };
    expect(verifyChain(entries, head, sha256).first_broken).toEqual({ id: 'e2', reason: 'hash_mismatch' });
  });

  it('names an entry that cannot be hashed any more (an attribute JSON cannot say) instead of failing', () => {
    const { entries, head } = chain(3);
    entries[1] = { ...entries[1], tags: new Set(['x']) };
    expect(verifyChain(entries, head, sha256).first_broken).toEqual({ id: 'e2', reason: 'hash_mismatch' });
  });

  it('names the entry after an edited one whose hash was recomputed: prev_hash_mismatch', () => {
    const { entries, head } = chain(5);
    entries[2] = rehashed(entries[2] as Entry, { outcome: 'denied' });
    expect(verifyChain(entries, head, sha256).first_broken).toEqual({ id: 'e4', reason: 'prev_hash_mismatch' });
  });

  it('names the entry after a deleted one: seq_gap', () => {
    const { entries, head } = chain(5);
    entries.splice(2, 1);
    expect(verifyChain(entries, head, sha256)).toMatchObject({ valid: false, entries: 4, first_broken: { id: 'e4', reason: 'seq_gap' } });
  });

  it('names the last entry left when the newest were deleted: head_mismatch', () => {
    const { entries, head } = chain(5);
    entries.pop();
    expect(verifyChain(entries, head, sha256)).toEqual({ valid: false, entries: 4, head: head.hash, first_broken: { id: 'e4', reason: 'head_mismatch' } });
    // Every entry gone, the head still there: nothing to name.
    expect(verifyChain([], head, sha256).first_broken).toEqual({ id: null, reason: 'head_mismatch' });
  });

  it('names a chain whose head is gone, or lags behind its entries: head_mismatch', () => {
    const { entries, head } = chain(3);
    expect(verifyChain(entries, undefined, sha256)).toMatchObject({ head: null, first_broken: { id: 'e3', reason: 'head_mismatch' } });
    const behind = { seq: 2, hash: entries[1]?.hash as string };
    expect(verifyChain(entries, behind, sha256).first_broken).toEqual({ id: 'e3', reason: 'head_mismatch' });
    expect(verifyChain(entries, { ...head, hash: 'f'.repeat(64) }, sha256).first_broken).toEqual({ id: 'e3', reason: 'head_mismatch' });
  });

  it('names two swapped entries: seq_gap where the later one now stands', () => {
    const { entries, head } = chain(5);
    [entries[1], entries[2]] = [entries[2] as Entry, entries[1] as Entry];
    expect(verifyChain(entries, head, sha256).first_broken).toEqual({ id: 'e3', reason: 'seq_gap' });
  });

  it('names two swapped entries renumbered and rehashed: prev_hash_mismatch', () => {
    const { entries, head } = chain(5);
    const [second, third] = [entries[1] as Entry, entries[2] as Entry];
    entries[1] = rehashed(third, { seq: 2 });
    entries[2] = rehashed(second, { seq: 3 });
    expect(verifyChain(entries, head, sha256).first_broken).toEqual({ id: 'e3', reason: 'prev_hash_mismatch' });
  });

  it('answers only the documented reason codes', () => {
    const reasons = AuditChainVerdictViewSchema.shape.first_broken.unwrap().shape.reason.options;
    expect([...reasons].sort()).toEqual(Object.keys(CHAIN_BREAKS).sort());
    expect(reasons).toEqual(['hash_mismatch', 'seq_gap', 'prev_hash_mismatch', 'head_mismatch']);
  });
});
