import { ConflictError } from '../../core/errors.ts';
import type { Cancellation, Table, WriteAction } from './table.ts';
import { putNewAction } from './table.ts';

// A unique name (a slug) is an item of its own naming the id of the entity that holds it. The name
// and its entity are written, and deleted, in one transaction, so neither is ever left without the
// other.

type Key = { PK: string; SK: string };

/**
 * Writes `entity` with its own item keys and the item that reserves its slug, in one transaction.
 * ConflictError `<noun>_slug_conflict` when the slug is held (`scope` ends its message, e.g. " in this
 * domain"), `<noun>_exists` when an entity with this id exists.
 */
export async function createNamed(
  table: Table,
  noun: string,
  entity: { id: string; slug: string } & Record<string, unknown>,
  keys: { slug: Key; item: Key & Record<string, unknown> },
  scope = '',
): Promise<void> {
  const cancelled = await table.transact([putNewAction({ ...keys.slug, id: entity.id }), putNewAction({ ...keys.item, ...entity })]);
  if (!cancelled) return;
  throw cancelled[0]?.failed
    ? new ConflictError(`${noun}_slug_conflict`, `A ${noun} with slug "${entity.slug}" already exists${scope}.`)
    : new ConflictError(`${noun}_exists`, `A ${noun} with this id already exists.`);
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
