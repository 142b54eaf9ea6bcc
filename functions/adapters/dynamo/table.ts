import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  TransactGetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod';
import type { Page } from '../../core/pagination.ts';
import { TABLE_KEYS } from './table-def.ts';

type Key = { PK: string; SK: string };
export type Item = Record<string, unknown>;

const BATCH_GET_LIMIT = 100;

const KEY_ATTRIBUTES = new Set<string>(['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'ttl']);

/** Strips the table's key attributes so the entity schema sees only its own fields. */
export function entityOf(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRIBUTES.has(k)));
}

export function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type WithoutTable<T> = T extends object ? Omit<T, 'TableName' | 'ReturnValuesOnConditionCheckFailure'> : never;

/** One action of a transaction on the table: exactly one of Put, Update, Delete, ConditionCheck, without the table's name. */
export type WriteAction =
  | { Put: WithoutTable<TransactItem['Put']> }
  | { Update: WithoutTable<TransactItem['Update']> }
  | { Delete: WithoutTable<TransactItem['Delete']> }
  | { ConditionCheck: WithoutTable<TransactItem['ConditionCheck']> };

/**
 * How each action of a cancelled transaction fared, in the order given: `failed` when its own
 * condition failed, with the item as it was then (undefined when there was none).
 */
export type Cancellation = Array<{ failed: boolean; item?: Item | undefined }>;

/** A Put that must create its item: the condition every "new item" action of a transaction carries. */
export function putNewAction(item: Key & Item): WriteAction {
  return { Put: { Item: item, ConditionExpression: 'attribute_not_exists(PK)' } };
}

/** The SET of an update: each field given a value (undefined ones are left as they are), by placeholder. */
export function setFields(
  fields: Record<string, unknown>,
): Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** Cancellations that say nothing about our conditions (a concurrent transaction, throttling) are retried. */
const TRANSIENT_CANCELLATION = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const TRANSACT_ATTEMPTS = 5;

/** A cancelled transaction, however the SDK build names its class. */
function isCancellation(err: unknown): err is TransactionCanceledException {
  return err instanceof TransactionCanceledException || (err as { name?: string })?.name === 'TransactionCanceledException';
}

/** Waits before attempt `attempt + 1`: exponential, with full jitter so contenders spread out. */
function backOff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
}

let sharedClient: DynamoDBDocumentClient | undefined;

/** One document client per container; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set. */
export function documentClient(): DynamoDBDocumentClient {
  sharedClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return sharedClient;
}

/** Drops the shared client, so the next one reads the endpoint afresh (a local stack started again in one process). */
export function resetDocumentClient(): void {
  sharedClient?.destroy();
  sharedClient = undefined;
}

/**
 * Most items one list page reads, however many its filter drops: a filter that keeps few rows of a
 * big partition (another tenant's approvals, a rare status) must not turn one request into a read
 * of the whole partition. Five pages' worth, and never under 500 so small pages still get far.
 */
export function listReadBudget(limit: number): number {
  return Math.max(limit * 5, 500);
}

/** Thin typed access to the single table. Stores compose these; they own the key layout. */
export class Table {
  constructor(
    readonly name: string,
    readonly client: DynamoDBDocumentClient = documentClient(),
  ) {}

  async get<S extends z.ZodType>(key: Key, schema: S): Promise<z.infer<S> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return out.Item ? schema.parse(entityOf(out.Item)) : undefined;
  }

  /**
   * Many items by key, read consistently, in rounds of 100 (BatchGetItem's limit); keys the table
   * does not hold are absent from the answer. Unprocessed keys (throttling) are asked again.
   */
  async batchGet<S extends z.ZodType>(keys: readonly Key[], schema: S): Promise<Map<string, z.infer<S>>> {
    const found = new Map<string, z.infer<S>>();
    for (let at = 0; at < keys.length; at += BATCH_GET_LIMIT) {
      let pending: Key[] = keys.slice(at, at + BATCH_GET_LIMIT);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
        const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.name] ?? []) found.set(`${item.PK}|${item.SK}`, schema.parse(entityOf(item)));
        pending = (out.UnprocessedKeys?.[this.name]?.Keys ?? []) as Key[];
      }
    }
    return found;
  }

  async getRaw(key: Key): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  /** Puts an item if `condition` holds; returns false when it did not. */
  async putIf(item: Key & Item, condition: string, values?: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression: condition,
          ...(values && { ExpressionAttributeValues: values }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Puts an item that must not exist yet; returns false when it does. */
  putNew(item: Key & Item): Promise<boolean> {
    return this.putIf(item, 'attribute_not_exists(PK)');
  }

  async put(item: Key & Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.name, Item: item }));
  }

  /** Runs a conditional update; returns the new item, or undefined when the condition failed. */
  async update(input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>): Promise<Item | undefined> {
    try {
      const out = await this.client.send(new UpdateCommand({ ...input, TableName: this.name, ReturnValues: 'ALL_NEW' }));
      return out.Attributes;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  /** Deletes an item; with a condition, returns false when it failed. */
  async delete(key: Key, condition?: { expression: string; values?: Item; names?: Record<string, string> }): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.name,
          Key: key,
          ...(condition && {
            ConditionExpression: condition.expression,
            ExpressionAttributeValues: condition.values,
            ExpressionAttributeNames: condition.names,
          }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * Writes several items all or nothing (TransactWriteItems): undefined when committed, or, when a
   * condition failed, every action's outcome with the item it saw (ALL_OLD), so the caller says
   * why without re-reading. Cancellations by a concurrent transaction are retried with backoff.
   */
  async transact(actions: readonly WriteAction[]): Promise<Cancellation | undefined> {
    const TransactItems = actions.map((action) => {
      const [kind, body] = Object.entries(action)[0] as [string, object];
      return { [kind]: { ...body, TableName: this.name, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } } as TransactItem;
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems }));
        return undefined;
      } catch (err) {
        if (!isCancellation(err)) throw err;
        const reasons = err.CancellationReasons ?? [];
        if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) {
          return actions.map((_, i) => {
            const reason = reasons[i];
            const failed = reason?.Code === 'ConditionalCheckFailed';
            return { failed, item: failed && reason?.Item ? unmarshall(reason.Item as Record<string, AttributeValue>) : undefined };
          });
        }
        const transient = reasons.length > 0 && reasons.every((r) => !r.Code || r.Code === 'None' || TRANSIENT_CANCELLATION.has(r.Code));
        if (!transient || attempt >= TRANSACT_ATTEMPTS) throw err;
        await backOff(attempt);
      }
    }
  }

  /**
   * Reads up to 100 items as of one instant (TransactGetItems): no transaction is seen half
   * applied across them. Keys the table does not hold answer undefined, in the keys' order.
   */
  async transactGet(keys: readonly Key[]): Promise<Array<Item | undefined>> {
    const TransactItems = keys.map((Key) => ({ Get: { TableName: this.name, Key } }));
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.client.send(new TransactGetCommand({ TransactItems }));
        return keys.map((_, i) => out.Responses?.[i]?.Item);
      } catch (err) {
        // Cancelled because a write transaction held one of the items: read again.
        if (!isCancellation(err) || attempt >= TRANSACT_ATTEMPTS) throw err;
        await backOff(attempt);
      }
    }
  }

  /** Queries the items sharing a partition key, optionally under a sort-key prefix. */
  async queryPartition<S extends z.ZodType>(pk: string, skPrefix: string, schema: S): Promise<z.infer<S>[]> {
    const items: z.infer<S>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.name,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
          ExpressionAttributeValues: { ':pk': pk, ':sk': skPrefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) items.push(schema.parse(entityOf(item)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * One page of a list index partition, in id order, starting after `afterId`.
   * `filter` drops items after the read (visibility); pages may then come back short, or empty
   * with a cursor: a page stops after `listReadBudget(limit)` items read, and then answers the last
   * item read as `lastId`, so the next page starts after it.
   */
  async listPage<S extends z.ZodType>(
    gsiPk: string,
    schema: S,
    opts: {
      limit: number;
      afterId?: string;
      filter?: (entity: z.infer<S>) => boolean | Promise<boolean>;
      index?: 'listIndex' | 'secondListIndex';
    },
  ): Promise<Page<z.infer<S>>> {
    const { name, partitionKey, sortKey } = TABLE_KEYS[opts.index ?? 'listIndex'];
    const items: z.infer<S>[] = [];
    const budget = listReadBudget(opts.limit);
    let read = 0;
    let lastSeen = opts.afterId;
    for (;;) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.name,
          IndexName: name,
          KeyConditionExpression: lastSeen ? '#pk = :pk AND #sk > :after' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': partitionKey, ...(lastSeen && { '#sk': sortKey }) },
          ExpressionAttributeValues: { ':pk': gsiPk, ...(lastSeen && { ':after': lastSeen }) },
          Limit: Math.min(opts.limit + 1 - items.length, budget - read),
        }),
      );
      for (const raw of out.Items ?? []) {
        const entity = schema.parse(entityOf(raw));
        lastSeen = String(raw[sortKey]);
        read++;
        if (opts.filter && !(await opts.filter(entity))) continue;
        items.push(entity);
        if (items.length > opts.limit) {
          items.pop();
          const last = items[items.length - 1] as { id: string } | undefined;
          return { items, lastId: last?.id ?? lastSeen };
        }
      }
      // Each round restarts after the last item seen, so filtered-out items are never re-read.
      if (!out.LastEvaluatedKey) return { items };
      // The budget is at least 500 items, so lastSeen is set: the next page starts after the last one read.
      if (read >= budget) return { items, lastId: lastSeen };
    }
  }
}
