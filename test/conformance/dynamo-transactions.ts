import {
  DynamoDBClient,
  IdempotentParameterMismatchException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactGetCommand,
  type TransactGetCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableSnapshot } from '../support/table-snapshot.ts';

// TransactWriteItems and TransactGetItems as AWS documents them, through the SDK only, so any
// DynamoDB endpoint can be held to them: the local front over dynalite, or moto_server.

/** A DynamoDB endpoint to test, with fresh tables keyed PK and SK (strings). */
export interface TransactionsBackend {
  url: string;
  /** A new, empty table; returns its name. */
  freshTableName(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Documented behaviours a backend is known to miss. Their tests run as `it.fails`: the suite stays
 * green while the gap is there, and turns red (so the entry can go) once the backend closes it.
 * The isolation gaps show only under some thread timings, so their tests are skipped instead.
 */
export type TransactionsDeviation =
  /** ClientRequestToken: a replay applies again, a changed request under the same token is accepted. */
  | 'client-request-token'
  /** An empty TransactItems list is accepted instead of refused. */
  | 'empty-list'
  /** An entry naming none of Put, Update, Delete, ConditionCheck is cancelled instead of refused. */
  | 'entry-without-action'
  /** More than 4 MB of items in one transaction is accepted. */
  | 'size-limit'
  /** TransactGetItems ignores ProjectionExpression. */
  | 'get-projection'
  /** TransactGetItems can see a TransactWriteItems half-applied (timing-dependent: skipped). */
  | 'get-isolation'
  /** Concurrent transactions and writes can lose updates (timing-dependent: skipped). */
  | 'serialisation';

const TIMING_DEPENDENT: ReadonlySet<TransactionsDeviation> = new Set(['get-isolation', 'serialisation']);

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const key = (id: string) => ({ PK: `ITEM#${id}`, SK: 'A' });
const CONDITION_FAILED = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };

/** The error a request failed with; fails the test when it succeeded. */
async function rejection(request: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await request;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the request to fail, and it succeeded');
}

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

/** The TransactWriteItems / TransactGetItems suite against the endpoint `startBackend` gives. */
export function describeTransactions(
  name: string,
  startBackend: () => Promise<TransactionsBackend>,
  opts: { deviations?: readonly TransactionsDeviation[] } = {},
): void {
  const documented = (deviation: TransactionsDeviation) => {
    if (!opts.deviations?.includes(deviation)) return it;
    return TIMING_DEPENDENT.has(deviation) ? it.skip : it.fails;
  };

  describe(`DynamoDB transactions: ${name}`, () => {
    let backend: TransactionsBackend;
    let raw: DynamoDBClient;
    let doc: DynamoDBDocumentClient;

    beforeAll(async () => {
      backend = await startBackend();
      // One attempt: a retry would hide what the endpoint answered the first time.
      raw = new DynamoDBClient({ endpoint: backend.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
      doc = DynamoDBDocumentClient.from(raw);
    });
    afterAll(async () => {
      raw?.destroy();
      await backend?.close();
    });

    const get = async (table: string, id: string) => (await doc.send(new GetCommand({ TableName: table, Key: key(id), ConsistentRead: true }))).Item;
    const put = (table: string, id: string, attrs: Record<string, unknown>) => doc.send(new PutCommand({ TableName: table, Item: { ...key(id), ...attrs } }));
    const transact = (input: TransactWriteCommandInput) => doc.send(new TransactWriteCommand(input));
    const snapshot = (table: string) => tableSnapshot(backend.url, table);

    it('applies a mix of Put, Update, Delete and ConditionCheck together', async () => {
      const table = await backend.freshTableName('tx-mix');
      await put(table, 'counter', { n: 1 });
      await put(table, 'doomed', { note: 'delete me' });
      await put(table, 'guard', { state: 'open' });

      await transact({
        TransactItems: [
          { Put: { TableName: table, Item: { ...key('fresh'), label: 'new' }, ConditionExpression: 'attribute_not_exists(PK)' } },
          {
            Update: {
              TableName: table,
              Key: key('counter'),
              UpdateExpression: 'SET n = n + :one',
              ConditionExpression: 'n = :was',
              ExpressionAttributeValues: { ':one': 1, ':was': 1 },
            },
          },
          { Delete: { TableName: table, Key: key('doomed'), ConditionExpression: 'attribute_exists(PK)' } },
          {
            ConditionCheck: {
              TableName: table,
              Key: key('guard'),
              ConditionExpression: '#s = :open',
              ExpressionAttributeNames: { '#s': 'state' },
              ExpressionAttributeValues: { ':open': 'open' },
            },
          },
        ],
      });

      expect(await get(table, 'fresh')).toEqual({ ...key('fresh'), label: 'new' });
      expect(await get(table, 'counter')).toEqual({ ...key('counter'), n: 2 });
      expect(await get(table, 'doomed')).toBeUndefined();
      expect(await get(table, 'guard')).toEqual({ ...key('guard'), state: 'open' });
    });

    it('changes nothing when conditions fail, and gives every action its reason, with the old item where ALL_OLD asked', async () => {
      const table = await backend.freshTableName('tx-cancel');
      const counter = { ...key('counter'), n: 5, tags: ['a', 'b'], meta: { on: true, note: null } };
      const guard = { ...key('guard'), state: 'closed', size: 3.5 };
      await doc.send(new PutCommand({ TableName: table, Item: counter }));
      await doc.send(new PutCommand({ TableName: table, Item: guard }));
      await put(table, 'doomed', { note: 'keep me' });
      await put(table, 'quiet', { n: 1 });
      const before = await snapshot(table);

      const err = await rejection(
        transact({
          TransactItems: [
            // 0: would succeed on its own.
            { Put: { TableName: table, Item: { ...key('fresh'), label: 'new' }, ConditionExpression: 'attribute_not_exists(PK)' } },
            // 1: fails, ALL_OLD.
            {
              Update: {
                TableName: table,
                Key: key('counter'),
                UpdateExpression: 'SET n = n + :one',
                ConditionExpression: 'n = :was',
                ExpressionAttributeValues: { ':one': 1, ':was': 4 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            // 2: would succeed on its own.
            { Delete: { TableName: table, Key: key('doomed'), ConditionExpression: 'attribute_exists(PK)' } },
            // 3: fails, ALL_OLD.
            {
              ConditionCheck: {
                TableName: table,
                Key: key('guard'),
                ConditionExpression: '#s = :open',
                ExpressionAttributeNames: { '#s': 'state' },
                ExpressionAttributeValues: { ':open': 'open' },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            // 4: fails on a missing item, ALL_OLD: there is no old item to give.
            {
              Put: {
                TableName: table,
                Item: { ...key('absent'), label: 'x' },
                ConditionExpression: 'attribute_exists(PK)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            // 5: fails, without ALL_OLD: no item.
            { Update: { TableName: table, Key: key('quiet'), UpdateExpression: 'SET n = :two', ConditionExpression: 'n = :two', ExpressionAttributeValues: { ':two': 2 } } },
          ],
        }),
      );

      expect(err).toBeInstanceOf(TransactionCanceledException);
      expect(err.name).toBe('TransactionCanceledException');
      expect(err.message).toBe(
        'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None, ConditionalCheckFailed, ConditionalCheckFailed, ConditionalCheckFailed]',
      );
      expect((err as unknown as TransactionCanceledException).CancellationReasons).toEqual([
        { Code: 'None' },
        { ...CONDITION_FAILED, Item: marshall(counter) },
        { Code: 'None' },
        { ...CONDITION_FAILED, Item: marshall(guard) },
        CONDITION_FAILED,
        CONDITION_FAILED,
      ]);
      expect(err.$metadata).toMatchObject({ httpStatusCode: 400 });
      expect(await snapshot(table)).toEqual(before);
    });

    it('checks a condition against the item as it was, not as an earlier action in the same transaction left it', async () => {
      const table = await backend.freshTableName('tx-before');
      await put(table, 'a', { v: 1 });
      await put(table, 'b', { v: 1 });
      // Each condition holds for its own item before the transaction: both apply.
      await transact({
        TransactItems: ['a', 'b'].map((id) => ({
          Update: { TableName: table, Key: key(id), UpdateExpression: 'SET v = :two', ConditionExpression: 'v = :one', ExpressionAttributeValues: { ':one': 1, ':two': 2 } },
        })),
      });
      expect([await get(table, 'a'), await get(table, 'b')]).toEqual([
        { ...key('a'), v: 2 },
        { ...key('b'), v: 2 },
      ]);
    });

    it('lets a ConditionCheck that holds pass, on a present and on a missing item, and writes neither', async () => {
      const table = await backend.freshTableName('tx-check-pass');
      await put(table, 'present', { state: 'open' });
      const before = await snapshot(table);

      await transact({
        TransactItems: [
          { ConditionCheck: { TableName: table, Key: key('present'), ConditionExpression: 'attribute_exists(PK)' } },
          { ConditionCheck: { TableName: table, Key: key('missing'), ConditionExpression: 'attribute_not_exists(PK)' } },
          { Put: { TableName: table, Item: { ...key('written'), ok: true } } },
        ],
      });

      expect(await get(table, 'written')).toEqual({ ...key('written'), ok: true });
      expect(await get(table, 'missing')).toBeUndefined();
      const after = (await snapshot(table)).filter((item) => !item.includes('ITEM#written'));
      expect(after).toEqual(before);
    });

    it('cancels on a ConditionCheck that fails, on a present item (with its old item) and on a missing one', async () => {
      const table = await backend.freshTableName('tx-check-fail');
      await put(table, 'present', { state: 'closed' });
      const before = await snapshot(table);
      const write = { Put: { TableName: table, Item: { ...key('written'), ok: true } } };

      const onPresent = await rejection(
        transact({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: table,
                Key: key('present'),
                ConditionExpression: '#s = :open',
                ExpressionAttributeNames: { '#s': 'state' },
                ExpressionAttributeValues: { ':open': 'open' },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            write,
          ],
        }),
      );
      expect((onPresent as unknown as TransactionCanceledException).CancellationReasons).toEqual([
        { ...CONDITION_FAILED, Item: marshall({ ...key('present'), state: 'closed' }) },
        { Code: 'None' },
      ]);

      const onMissing = await rejection(
        transact({
          TransactItems: [
            write,
            { ConditionCheck: { TableName: table, Key: key('missing'), ConditionExpression: 'attribute_exists(PK)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          ],
        }),
      );
      expect((onMissing as unknown as TransactionCanceledException).CancellationReasons).toEqual([{ Code: 'None' }, CONDITION_FAILED]);
      expect(await snapshot(table)).toEqual(before);
    });

    it('refuses the whole transaction when one action is invalid, and changes nothing', async () => {
      const table = await backend.freshTableName('tx-invalid');
      await put(table, 'a', { v: 1 });
      const before = await snapshot(table);
      const err = await rejection(
        transact({
          TransactItems: [
            { Put: { TableName: table, Item: { ...key('b'), v: 1 } } },
            // :missing is not among the values.
            { Update: { TableName: table, Key: key('a'), UpdateExpression: 'SET v = :missing', ExpressionAttributeValues: { ':other': 1 } } },
          ],
        }),
      );
      expect(err.name).toBe('ValidationException');
      expect(await snapshot(table)).toEqual(before);
    });

    it('answers ResourceNotFoundException for an action on a table that does not exist', async () => {
      const err = await rejection(transact({ TransactItems: [{ Put: { TableName: 'no-such-table-anywhere', Item: { ...key('a') } } }] }));
      expect(err.name).toBe('ResourceNotFoundException');
    });

    describe('validation', () => {
      it('refuses two actions on one item', async () => {
        const table = await backend.freshTableName('tx-dup');
        await put(table, 'a', { v: 1 });
        const before = await snapshot(table);
        const err = await rejection(
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
        const err = await rejection(
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
        const err = await rejection(transact({ TransactItems: [] }));
        expect(err.name).toBe('ValidationException');
        expect(err.message).toMatch(/transactItems.*Member must have length greater than or equal to 1/);
      });

      it('refuses an entry naming two actions', async () => {
        const table = await backend.freshTableName('tx-two-kinds');
        const err = await rejection(
          transact({
            TransactItems: [{ Put: { TableName: table, Item: { ...key('a') } }, Delete: { TableName: table, Key: key('b') } }],
          }),
        );
        expect(err.name).toBe('ValidationException');
        expect(await snapshot(table)).toEqual([]);
      });

      documented('entry-without-action')('refuses an entry naming no action', async () => {
        const table = await backend.freshTableName('tx-no-kind');
        const err = await rejection(transact({ TransactItems: [{ Put: { TableName: table, Item: { ...key('a') } } }, {}] }));
        expect(err.name).toBe('ValidationException');
        expect(await snapshot(table)).toEqual([]);
      });

      documented('size-limit')('refuses more than 4 MB of items in one transaction', async () => {
        const table = await backend.freshTableName('tx-4mb');
        // Each item is under the 400 KB item limit; eleven of them are over 4 MB.
        const blob = 'x'.repeat(390 * 1024);
        const err = await rejection(
          transact({ TransactItems: Array.from({ length: 11 }, (_, i) => ({ Put: { TableName: table, Item: { ...key(`big${i}`), blob } } })) }),
        );
        expect(err.name).toBe('ValidationException');
        expect(await snapshot(table)).toEqual([]);
      });
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
        const err = await rejection(raw.send(new TransactWriteItemsCommand(increment(table, 5, 'mismatch-token'))));
        expect(err).toBeInstanceOf(IdempotentParameterMismatchException);
        expect(await get(table, 'counter')).toEqual({ ...key('counter'), n: 1 });
      });
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
        const err = await rejection(
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
  });
}
