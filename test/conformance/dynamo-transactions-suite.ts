import {
  IdempotentParameterMismatchException,
  type TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient, TransactGetCommand, type TransactGetCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  key,
  type TransactionsBackend,
  transactionsContext,
  type TransactionsDeviation,
  type TransactionsSuite,
  transactWritesSuite,
} from './dynamo-transactions.ts';
import { rejectionOf } from './fixtures.ts';

// The suites for what TransactWriteItems refuses, ClientRequestToken, TransactGetItems and isolation,
// and describeTransactions, which runs them with the write suite of dynamo-transactions.ts.

/** AWS cancels or refuses a write that collides with a transaction in flight; the caller retries. */
function conflicted(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e.name === 'TransactionConflictException' || e.name === 'TransactionInProgressException') return true;
  return e.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

async function retryingConflicts<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!conflicted(err) || attempt >= 20) throw err;
    }
  }
}

/** TransactWriteItems requests refused whole: their shape and their limits. */
export const transactValidationSuite: TransactionsSuite = (tx) => {
  const { put, transact, snapshot, documented } = tx;
  let backend: TransactionsBackend;
  beforeAll(() => {
    backend = tx.started().backend;
  });

  describe('validation', () => {
    it('refuses two actions on one item', async () => {
      const table = await backend.freshTableName('tx-dup');
      await put(table, 'a', { v: 1 });
      const before = await snapshot(table);
      const err = await rejectionOf(
        transact({
          TransactItems: [
            { Put: { TableName: table, Item: { ...key('a'), v: 2 } } },
            { ConditionCheck: { TableName: table, Key: key('a'), ConditionExpression: 'attribute_exists(PK)' } },
          ],
        }),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/Transaction request cannot include multiple operations on one item/);
      expect(await snapshot(table)).toEqual(before);
    });

    it('refuses more than 100 actions', async () => {
      const table = await backend.freshTableName('tx-101');
      const err = await rejectionOf(
        transact({ TransactItems: Array.from({ length: 101 }, (_, i) => ({ Put: { TableName: table, Item: { ...key(`i${i}`) } } })) }),
      );
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/transactItems.*Member must have length less than or equal to 100/);
      expect(await snapshot(table)).toEqual([]);
    });

    it('accepts exactly 100 actions', async () => {
      const table = await backend.freshTableName('tx-100');
      await transact({ TransactItems: Array.from({ length: 100 }, (_, i) => ({ Put: { TableName: table, Item: { ...key(`i${i}`) } } })) });
      expect(await snapshot(table)).toHaveLength(100);
    });

    documented('empty-list')('refuses an empty list of actions', async () => {
      const err = await rejectionOf(transact({ TransactItems: [] }));
      expect(err.name).toBe('ValidationException');
      expect(err.message).toMatch(/transactItems.*Member must have length greater than or equal to 1/);
    });

    it('refuses an entry naming two actions', async () => {
      const table = await backend.freshTableName('tx-two-kinds');
      const err = await rejectionOf(
        transact({
          TransactItems: [{ Put: { TableName: table, Item: { ...key('a') } }, Delete: { TableName: table, Key: key('b') } }],
        }),
      );
      expect(err.name).toBe('ValidationException');
      expect(await snapshot(table)).toEqual([]);
    });

    documented('entry-without-action')('refuses an entry naming no action', async () => {
      const table = await backend.freshTableName('tx-no-kind');
      const err = await rejectionOf(transact({ TransactItems: [{ Put: { TableName: table, Item: { ...key('a') } } }, {}] }));
      expect(err.name).toBe('ValidationException');
      expect(await snapshot(table)).toEqual([]);
    });

    documented('size-limit')('refuses more than 4 MB of items in one transaction', async () => {
      const table = await backend.freshTableName('tx-4mb');
      // Each item is under the 400 KB item limit; eleven of them are over 4 MB.
      const blob = 'x'.repeat(390 * 1024);
      const err = await rejectionOf(
        transact({ TransactItems: Array.from({ length: 11 }, (_, i) => ({ Put: { TableName: table, Item: { ...key(`big${i}`), blob } } })) }),
      );
      expect(err.name).toBe('ValidationException');
      expect(await snapshot(table)).toEqual([]);
    });
  });
};

/** ClientRequestToken: a replay applies once; another request under the same token is refused. */
export const clientRequestTokenSuite: TransactionsSuite = (tx) => {
  const { get, documented } = tx;
  let backend: TransactionsBackend;
  let raw: DynamoDBClient;
  beforeAll(() => {
    ({ backend, raw } = tx.started());
  });

  describe('ClientRequestToken', () => {
    const increment = (table: string, by: number, token?: string): TransactWriteItemsCommandInput => ({
      TransactItems: [
        {
          Update: {
            TableName: table,
            Key: marshall(key('counter')),
            UpdateExpression: 'ADD n :by',
            ExpressionAttributeValues: { ':by': { N: String(by) } },
          },
        },
      ],
      ...(token && { ClientRequestToken: token }),
    });

    documented('client-request-token')('answers a replay with success and applies it once', async () => {
      const table = await backend.freshTableName('tx-token');
      await raw.send(new TransactWriteItemsCommand(increment(table, 1, 'replay-token-1')));
      await raw.send(new TransactWriteItemsCommand(increment(table, 1, 'replay-token-1')));
      expect(await get(table, 'counter')).toEqual({ ...key('counter'), n: 1 });
      // Another token is another request: it applies again.
      await raw.send(new TransactWriteItemsCommand(increment(table, 1, 'replay-token-2')));
      expect(await get(table, 'counter')).toEqual({ ...key('counter'), n: 2 });
    });

    documented('client-request-token')('refuses another request under a token already used', async () => {
      const table = await backend.freshTableName('tx-token-mismatch');
      await raw.send(new TransactWriteItemsCommand(increment(table, 1, 'mismatch-token')));
      const err = await rejectionOf(raw.send(new TransactWriteItemsCommand(increment(table, 5, 'mismatch-token'))));
      expect(err).toBeInstanceOf(IdempotentParameterMismatchException);
      expect(await get(table, 'counter')).toEqual({ ...key('counter'), n: 1 });
    });
  });
};

/** TransactGetItems, and what concurrent transactions, writes and reads may see of each other. */
export const transactReadsSuite: TransactionsSuite = (tx) => {
  const { get, put, transact, documented } = tx;
  let doc: DynamoDBDocumentClient;
  let backend: TransactionsBackend;
  beforeAll(() => {
    ({ doc, backend } = tx.started());
  });

  describe('TransactGetItems', () => {
    documented('get-projection')('reads several items at once, with a projection, and an empty answer for a missing one', async () => {
      const table = await backend.freshTableName('tx-get');
      await put(table, 'a', { name: 'alpha', secret: 's1', rating: 1 });
      await put(table, 'b', { name: 'beta', flags: ['x'] });
      const input: TransactGetCommandInput = {
        TransactItems: [
          { Get: { TableName: table, Key: key('a'), ProjectionExpression: '#n, #r', ExpressionAttributeNames: { '#n': 'name', '#r': 'rating' } } },
          { Get: { TableName: table, Key: key('missing') } },
          { Get: { TableName: table, Key: key('b') } },
        ],
      };
      const out = await doc.send(new TransactGetCommand(input));
      expect(out.Responses).toEqual([{ Item: { name: 'alpha', rating: 1 } }, {}, { Item: { ...key('b'), name: 'beta', flags: ['x'] } }]);
    });

    it('refuses more than 100 reads', async () => {
      const table = await backend.freshTableName('tx-get-101');
      const err = await rejectionOf(
        doc.send(new TransactGetCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => ({ Get: { TableName: table, Key: key(`i${i}`) } })) })),
      );
      expect(err.name).toBe('ValidationException');
    });
  });

  describe('isolation', () => {
    documented('serialisation')('serialises transactions with each other and with single-item writes: counts come out exact', async () => {
      const table = await backend.freshTableName('tx-serial');
      await put(table, 'p', { n: 0 });
      await put(table, 'q', { n: 0 });
      const rounds = 45;
      const bump = (id: string) => ({
        Update: { TableName: table, Key: key(id), UpdateExpression: 'SET n = n + :one', ConditionExpression: 'attribute_exists(PK)', ExpressionAttributeValues: { ':one': 1 } },
      });
      // Every third transaction fails on its last action after the bumps: what it undoes must be
      // its own bumps only, never a write that landed meanwhile.
      const transactions = Array.from({ length: rounds }, (_, i) =>
        retryingConflicts(() =>
          transact({
            TransactItems: [
              bump('p'),
              bump('q'),
              ...(i % 3 === 0 ? [{ ConditionCheck: { TableName: table, Key: key(`missing${i}`), ConditionExpression: 'attribute_exists(PK)' } }] : []),
            ],
          }),
        ).then(
          () => 'committed' as const,
          (err: unknown) => {
            const reasons = (err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
            if (reasons?.join() === 'None,None,ConditionalCheckFailed') return 'cancelled' as const;
            throw err;
          },
        ),
      );
      const singles = Array.from({ length: rounds }, () =>
        retryingConflicts(() =>
          doc.send(new UpdateCommand({ TableName: table, Key: key('p'), UpdateExpression: 'ADD n :one, singles :one', ExpressionAttributeValues: { ':one': 1 } })),
        ),
      );
      const outcomes = await Promise.all(transactions);
      await Promise.all(singles);

      const committed = outcomes.filter((o) => o === 'committed').length;
      expect(committed).toBe(rounds - rounds / 3);
      expect(await get(table, 'q')).toEqual({ ...key('q'), n: committed });
      expect(await get(table, 'p')).toEqual({ ...key('p'), n: committed + rounds, singles: rounds });
    });

    documented('get-isolation')('a TransactGetItems never sees one item of a transaction updated without the others', async () => {
      const table = await backend.freshTableName('tx-reader');
      const ids = Array.from({ length: 25 }, (_, i) => `m${i}`);
      await doc.send(new BatchWriteCommand({ RequestItems: { [table]: ids.map((id) => ({ PutRequest: { Item: { ...key(id), v: 0 } } })) } }));
      const rounds = 15;
      let writing = true;
      const writer = (async () => {
        try {
          for (let round = 1; round <= rounds; round++) {
            await retryingConflicts(() =>
              transact({
                TransactItems: ids.map((id) => ({
                  Update: { TableName: table, Key: key(id), UpdateExpression: 'SET v = :now', ConditionExpression: 'v = :was', ExpressionAttributeValues: { ':was': round - 1, ':now': round } },
                })),
              }),
            );
          }
        } finally {
          writing = false;
        }
      })();
      const seen = new Set<number>();
      const torn: string[] = [];
      while (writing) {
        const out = await retryingConflicts(() => doc.send(new TransactGetCommand({ TransactItems: ids.map((id) => ({ Get: { TableName: table, Key: key(id) } })) })));
        const versions = [...new Set(out.Responses?.map((r) => r.Item?.v as number))];
        if (versions.length === 1) seen.add(versions[0] as number);
        else torn.push(versions.join(', '));
      }
      await writer;
      expect(torn, 'reads that saw several versions at once').toEqual([]);
      // The reads overlapped the writes: some read fell between two transactions.
      expect([...seen].some((v) => v > 0 && v < rounds), `versions read: ${[...seen].join(', ')}`).toBe(true);
    });
  });
};

/** The TransactWriteItems / TransactGetItems suite against the endpoint `startBackend` gives. */
export function describeTransactions(
  name: string,
  startBackend: () => Promise<TransactionsBackend>,
  opts: { deviations?: readonly TransactionsDeviation[] } = {},
): void {
  describe(`DynamoDB transactions: ${name}`, () => {
    const tx = transactionsContext(startBackend, opts);
    for (const suite of [transactWritesSuite, transactValidationSuite, clientRequestTokenSuite, transactReadsSuite]) suite(tx);
  });
}
