import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { rejectionOf } from './fixtures.ts';

// TransactWriteItems and TransactGetItems as AWS documents them, through the SDK only, so any
// DynamoDB endpoint can be held to them: the local front over dynalite, or moto_server.
// describeTransactions (dynamo-transactions-suite.ts) runs every suite of the two modules against one
// backend; this one holds what they share and the suite for what TransactWriteItems applies and cancels.

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
export const key = (id: string) => ({ PK: `ITEM#${id}`, SK: 'A' });
const CONDITION_FAILED = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };

/**
 * Starts the backend before the tests of the describe block it is called in and stops it after them,
 * and gives the suites their helpers; `started()` answers once that beforeAll has run.
 */
export function transactionsContext(startBackend: () => Promise<TransactionsBackend>, opts: { deviations?: readonly TransactionsDeviation[] } = {}) {
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

  return {
    started: () => ({ backend, raw, doc }),
    documented: (deviation: TransactionsDeviation) => {
      if (!opts.deviations?.includes(deviation)) return it;
      return TIMING_DEPENDENT.has(deviation) ? it.skip : it.fails;
    },
    get: async (table: string, id: string) => (await doc.send(new GetCommand({ TableName: table, Key: key(id), ConsistentRead: true }))).Item,
    put: (table: string, id: string, attrs: Record<string, unknown>) => doc.send(new PutCommand({ TableName: table, Item: { ...key(id), ...attrs } })),
    transact: (input: TransactWriteCommandInput) => doc.send(new TransactWriteCommand(input)),
    snapshot: (table: string) => tableSnapshot(backend.url, table),
  };
}

export type TransactionsContext = ReturnType<typeof transactionsContext>;
/** A group of tests run inside describeTransactions' describe block, against its backend. */
export type TransactionsSuite = (tx: TransactionsContext) => void;

/** TransactWriteItems: actions that apply together, cancellations with their reasons, and requests refused whole. */
export const transactWritesSuite: TransactionsSuite = (tx) => {
  const { get, put, transact, snapshot } = tx;
  let backend: TransactionsBackend;
  let doc: DynamoDBDocumentClient;
  beforeAll(() => {
    ({ backend, doc } = tx.started());
  });

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

    const err = await rejectionOf(
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

    const onPresent = await rejectionOf(
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

    const onMissing = await rejectionOf(
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
    const err = await rejectionOf(
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
    const err = await rejectionOf(transact({ TransactItems: [{ Put: { TableName: 'no-such-table-anywhere', Item: { ...key('a') } } }] }));
    expect(err.name).toBe('ResourceNotFoundException');
  });
};
