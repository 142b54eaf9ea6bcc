// A domain's audit trail as a hash chain. Each entry carries its place (`seq`, 1, 2, 3 … with no
// gaps), the hash of the entry before it (`prev_hash`) and its own `hash`: SHA-256 over the
// canonical JSON of every field but `hash`. A head item records the newest seq and hash, so
// entries removed from the end show too. Editing, removing or moving an entry breaks the chain at
// that entry; only someone who rewrites every later entry and the head hides it, which is what
// anchoring the head somewhere else is for (README, "Tamper-evident audit trail").
//
// Core stays free of node built-ins: the hash function is handed in by the adapter that stores
// the chain, so writing and checking use the same one.
import * as z from 'zod';
import { canonicalJson } from './canonical-json.ts';

/** Hex SHA-256 of a UTF-8 string. */
export type Sha256Hex = (text: string) => string;

/** The `prev_hash` of the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields the chain adds to an entry. */
export type ChainFields = { seq: number; prev_hash: string; hash: string };

/** What the head item holds: the newest entry's place and hash. */
export const ChainHeadSchema = z.object({ seq: z.number().int().positive(), hash: z.string() });
export type ChainHead = z.infer<typeof ChainHeadSchema>;

/** Why a chain is broken, each a stable code, and what it means. */
export const CHAIN_BREAKS = {
  hash_mismatch: 'its fields no longer hash to its stored hash: it was changed after it was written',
  seq_gap: 'its seq is not the next number: an entry before it is missing or out of place',
  prev_hash_mismatch: 'its prev_hash is not the hash of the entry before it: that entry was replaced, or entries were reordered',
  head_mismatch: 'the head records another newest entry: entries after this one were removed, or the head was changed',
} as const;
export type ChainBreak = keyof typeof CHAIN_BREAKS;

const breakList = Object.entries(CHAIN_BREAKS)
  .map(([code, meaning]) => `${code}: ${meaning}`)
  .join('; ');

export const AuditChainVerdictViewSchema = z.object({
  valid: z.boolean().describe('Whether every entry links to the one before it and the last one matches the head.'),
  entries: z.number().int().nonnegative().describe('How many chained entries were read.'),
  head: z.string().nullable().describe("The head's hash (the newest entry's), or null before the first entry."),
  first_broken: z
    .object({
      id: z.string().nullable().describe('The entry where the chain breaks (head_mismatch: the last entry found; null when none was).'),
      reason: z.enum(Object.keys(CHAIN_BREAKS) as [ChainBreak, ...ChainBreak[]]).describe(breakList),
    })
    .optional()
    .describe('Present only when the chain is broken: the first place it breaks.'),
});
export type ChainVerdict = z.infer<typeof AuditChainVerdictViewSchema>;

/** An entry's hash: over every field but `hash` itself (so `seq` and `prev_hash` are covered). */
export function entryHash(entry: Record<string, unknown>, sha256: Sha256Hex): string {
  const { hash: _own, ...hashed } = entry;
  return sha256(canonicalJson(hashed));
}

/** `entry` as the next link after `head` (none: the first of the chain). */
export function nextLink<E extends Record<string, unknown>>(entry: E, head: ChainHead | undefined, sha256: Sha256Hex): E & ChainFields {
  const linked = { ...entry, seq: (head?.seq ?? 0) + 1, prev_hash: head?.hash ?? GENESIS_HASH };
  return { ...linked, hash: entryHash(linked, sha256) };
}

/** The hash recomputed over a stored entry, or undefined when it holds something JSON cannot say. */
function recomputed(entry: Record<string, unknown>, sha256: Sha256Hex): string | undefined {
  try {
    return entryHash(entry, sha256);
  } catch {
    return undefined;
  }
}

/** What is wrong with the entry at `seq`, given the hash of the one before it; undefined when nothing is. */
function breakAt(entry: Record<string, unknown>, seq: number, prevHash: string, sha256: Sha256Hex): ChainBreak | undefined {
  // Its own hash first: a changed seq or prev_hash is an edit too, and is named as one.
  if (typeof entry.hash !== 'string' || recomputed(entry, sha256) !== entry.hash) return 'hash_mismatch';
  if (entry.seq !== seq) return 'seq_gap';
  if (entry.prev_hash !== prevHash) return 'prev_hash_mismatch';
  return undefined;
}

const idOf = (entry: Record<string, unknown> | undefined): string | null => (typeof entry?.id === 'string' ? entry.id : null);

/**
 * Checks a chain read back in seq order against its head item (undefined: none stored). Every
 * stored field counts, including any the entry schema does not know, so an added field is an edit.
 */
export function verifyChain(entries: readonly Record<string, unknown>[], head: ChainHead | undefined, sha256: Sha256Hex): ChainVerdict {
  const verdict = { entries: entries.length, head: head?.hash ?? null };
  let prevHash = GENESIS_HASH;
  for (const [i, entry] of entries.entries()) {
    const reason = breakAt(entry, i + 1, prevHash, sha256);
    if (reason) return { valid: false, ...verdict, first_broken: { id: idOf(entry), reason } };
    prevHash = entry.hash as string;
  }
  const last = entries.at(-1);
  const headMatches = head ? head.seq === entries.length && head.hash === prevHash : entries.length === 0;
  if (!headMatches) return { valid: false, ...verdict, first_broken: { id: idOf(last), reason: 'head_mismatch' } };
  return { valid: true, ...verdict };
}
