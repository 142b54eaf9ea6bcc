import { z } from 'zod';
import type { Table } from './table.ts';

// Claim items: one item per unique name (a slug, a project's live credential slot) naming the id
// of the entity that holds it, written before that entity. Every change to a claim is one
// conditional write to the claim item; the entity is a separate item, so the order of the writes
// and the checks around them keep the invariant "at most one entity holds the name":
//
//   1. claim: create the claim item, or take over an abandoned one with a write conditioned on
//      the previous holder's id;
//   2. write the entity (with no condition on the claim: DynamoDB cannot check two items at once);
//   3. confirm: re-read the claim. If it names someone else now, our claim was taken over while
//      we were writing, so we delete our own entity and give up.
//
// A claim whose entity is missing may belong to a create between steps 1 and 2, so it is held
// until it is older than STALE_CLAIM_MS. Even then a taker re-checks, after its takeover, that the
// previous holder's entity is still missing, and gives the claim back when it appeared. So of a
// first writer F and a taker T, whichever order their steps interleave in, at most one keeps its
// entity: if F wrote before T's re-check, T gives up; if F wrote after it, F's confirm (which comes
// after F's write, so after T's takeover) sees T's id and F rolls back.

/**
 * A claim younger than this may belong to a create still in flight and is never taken over when
 * its entity is missing. It far exceeds the longest a function can run, so an older claim without
 * its entity is a crash's leftover.
 */
export const STALE_CLAIM_MS = 15 * 60 * 1000;

type Key = { PK: string; SK: string };

const ClaimSchema = z.object({ id: z.string(), claimed_at: z.number().optional() });

/**
 * Where the holder of a claim stands, as its store sees it:
 * - `holds`: its entity exists and still holds the name (a conflict);
 * - `released`: its entity exists but no longer holds the name, for good (a decided assignment
 *   whose release was lost): the claim is taken over at once;
 * - `missing`: there is no entity: a create in flight, or a crash's leftover once stale.
 */
export type HolderStanding = 'holds' | 'released' | 'missing';

export interface ClaimSpec {
  table: Table;
  key: Key;
  /** The id of the entity being created. */
  id: string;
  /** Epoch milliseconds, recorded on the claim as `claimed_at`. */
  now: number;
  standing: (holderId: string) => Promise<HolderStanding>;
  /** The error for a name that is taken; `holderId` when the holder is known. */
  conflict: (holderId: string | undefined) => Error;
}

/** A lost race may change the claim under us a few times; past this many reads we give up. */
const MAX_ROUNDS = 4;

/**
 * Step 1: claims `key` for `id`. Our own claim (a retry of the same create) is fine; a holder that
 * holds, or a young claim without its entity, is a conflict; a released claim, or a stale one
 * without its entity, is taken over by a write conditioned on the previous holder.
 */
export async function claim(spec: ClaimSpec): Promise<void> {
  const { table, key, id, now } = spec;
  if (await table.putNew({ ...key, id, claimed_at: now })) return;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const holder = await table.get(key, ClaimSchema);
    if (!holder) {
      // Released between our write and our read: claim it afresh (the read is repeated if
      // someone else got there first).
      if (await table.putNew({ ...key, id, claimed_at: now })) return;
      continue;
    }
    if (holder.id === id) return;
    const standing = await spec.standing(holder.id);
    if (standing === 'holds') throw spec.conflict(holder.id);
    // A claim written before claimed_at existed is older than any create in flight.
    const young = holder.claimed_at !== undefined && now - holder.claimed_at < STALE_CLAIM_MS;
    if (standing === 'missing' && young) throw spec.conflict(holder.id);
    if (!(await replaceHolder(table, key, holder.id, { id, claimed_at: now }))) continue;
    // A `released` holder never holds again; a `missing` one may have written its entity between
    // our read of it and our takeover. Then it keeps the name: give the claim back.
    if (standing === 'missing' && (await spec.standing(holder.id)) === 'holds') {
      await replaceHolder(table, key, id, holder);
      throw spec.conflict(holder.id);
    }
    return;
  }
  throw spec.conflict(undefined);
}

/**
 * Step 3, after the entity is written: true when the claim still names `id`. A missing claim is
 * ours only if our entity released it itself (its standing is no longer `holds`). On false the
 * caller deletes its entity and reports the conflict.
 */
export async function confirmClaim(spec: Pick<ClaimSpec, 'table' | 'key' | 'id' | 'standing'>): Promise<boolean> {
  const holder = await spec.table.get(spec.key, ClaimSchema);
  if (holder) return holder.id === spec.id;
  return (await spec.standing(spec.id)) !== 'holds';
}

/**
 * The whole protocol: claim, write the entity, confirm, and on a lost confirm delete our entity
 * and throw the conflict. `write` throws its own error when the entity already exists (a retry).
 */
export async function createClaimed(spec: ClaimSpec & { write: () => Promise<void>; undo: () => Promise<void> }): Promise<void> {
  await claim(spec);
  await spec.write();
  if (await confirmClaim(spec)) return;
  await spec.undo();
  const holder = await spec.table.get(spec.key, ClaimSchema);
  throw spec.conflict(holder?.id);
}

/** One conditional write: the claim moves from `from` to `to` only if it still names `from`. */
async function replaceHolder(table: Table, key: Key, from: string, to: { id: string; claimed_at?: number | undefined }): Promise<boolean> {
  const values: Record<string, unknown> = { ':to': to.id, ':from': from };
  if (to.claimed_at !== undefined) values[':at'] = to.claimed_at;
  const updated = await table.update({
    Key: key,
    UpdateExpression: to.claimed_at !== undefined ? 'SET #id = :to, claimed_at = :at' : 'SET #id = :to REMOVE claimed_at',
    ConditionExpression: '#id = :from',
    ExpressionAttributeNames: { '#id': 'id' },
    ExpressionAttributeValues: values,
  });
  return updated !== undefined;
}
