import type { Cancellation, Table, WriteAction } from './table.ts';
import { putNewAction } from './table.ts';

// A unique name (a slug) is an item of its own naming the id of the entity that holds it. The name
// and its entity are written, and deleted, in one transaction, so neither is ever left without the
// other.

type Key = { PK: string; SK: string };

/**
 * Writes `entity` and the item that reserves its name in one transaction. Throws `nameTaken` when
 * the name is held, `idTaken` when an entity with this id exists.
 */
export async function createNamed(
  table: Table,
  name: { key: Key; holderId: string },
  entity: Key & Record<string, unknown>,
  errors: { nameTaken: () => Error; idTaken: () => Error },
): Promise<void> {
  const cancelled = await table.transact([putNewAction({ ...name.key, id: name.holderId }), putNewAction(entity)]);
  if (!cancelled) return;
  throw cancelled[0]?.failed ? errors.nameTaken() : errors.idTaken();
}

/**
 * The action that frees a name together with its holder's delete. A name now held by another id
 * would mean the invariant broke: its condition then refuses the whole transaction.
 */
export function releaseNameAction(key: Key, holderId: string): WriteAction {
  return {
    Delete: {
      Key: key,
      ConditionExpression: 'attribute_not_exists(PK) OR #id = :holder',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':holder': holderId },
    },
  };
}

/** For a refused delete-with-release: the holder's own outcome (the name's cannot fail while it holds it). */
export function holderOutcome(cancelled: Cancellation, what: string): { failed: boolean; item?: Record<string, unknown> | undefined } {
  const seen = cancelled[0];
  if (!seen?.failed) throw new Error(`the name of ${what} is held by another id`);
  return seen;
}
