import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_KEYS } from '../functions/adapters/dynamo/table-def.ts';
import { errorBody, parseJson, sendJson } from './aws-json-protocol.ts';
import { FileJournal, Gate, journalPath, MemoryJournal } from './dynamo/atomicity.ts';
import { ChangeFeed } from './dynamo/change-feed.ts';
import { type DynamoAnswer, DynaliteClient } from './dynamo/protocol.ts';
import { Transactions } from './dynamo/transactions.ts';
import { closeServer, listen } from './net.ts';
import { readBodyText } from './state-file.ts';

/** Requests the endpoint answered, in total and by operation (X-Amz-Target), for `npm run bench`. */
export interface DynamoStats {
  requests: number;
  byOperation: Record<string, number>;
}

// Keyed by endpoint URL: the stack hands out the URL, and the bench looks the counters up by it.
const statsByUrl = new Map<string, DynamoStats>();
/** Response body bytes by operation: what a read cost on the wire. */
const bytesByUrl = new Map<string, Record<string, number>>();

/** The request counters of the local DynamoDB listening at `url`, while it runs. */
export function dynamoStatsFor(url: string): DynamoStats | undefined {
  return statsByUrl.get(url);
}

/** The bytes the local DynamoDB at `url` answered, by operation, while it runs. */
export function dynamoBytesFor(url: string): Record<string, number> | undefined {
  return bytesByUrl.get(url);
}

// Which lock an operation takes; the rest (describe, list, tags, TTL) take none.
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'CreateTable', 'DeleteTable', 'UpdateTable']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);
const TABLE_CHANGES = new Set(['CreateTable', 'DeleteTable']);
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError' as const;
}

/**
 * Starts the local DynamoDB: dynalite (the DynamoDB wire protocol over LevelDB, data under
 * `dataDir`) behind a front that adds TransactWriteItems and TransactGetItems. The front hands
 * every other request to dynalite's own handler in-process, under a write lock (writes) or a
 * shared read lock (reads); dynalite also listens on a port of its own, used only by the
 * transactions for their single-item steps.
 */
export async function startDynamo(opts: { dataDir?: string; port?: number; now?: () => number; onActionApplied?: (appliedSoFar: number) => void }) {
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const store: Server = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const storePort = await listen(store, 0);
  const client = new DynaliteClient(storePort);
  const gate = new Gate();
  // What DynamoDB Streams would carry: the items transactions insert (the webhook dispatcher's input).
  const feed = new ChangeFeed();
  let transactions: Transactions;
  try {
    const journal = opts.dataDir ? await FileJournal.open(journalPath(opts.dataDir)) : new MemoryJournal();
    transactions = new Transactions({
      client,
      gate,
      journal,
      onCommitted: (inserted) => feed.publish(inserted),
      ...(opts.now && { now: opts.now }),
      ...(opts.onActionApplied && { onActionApplied: opts.onActionApplied }),
    });
    await transactions.recover();
  } catch (err) {
    client.close();
    await closeServer(store);
    throw err;
  }
  const handle = store.listeners('request')[0] as RequestListener;

  const stats: DynamoStats = { requests: 0, byOperation: {} };
  const bytes: Record<string, number> = {};
  const front = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const operation = (typeof target === 'string' && target.split('.').pop()) || 'unknown';
    stats.requests += 1;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
    countBytes(res, (n) => {
      bytes[operation] = (bytes[operation] ?? 0) + n;
    });
    if (target === 'DynamoDB_20120810.TransactWriteItems') return void answer(req, res, (body) => transactions.writeItems(body));
    if (target === 'DynamoDB_20120810.TransactGetItems') return void answer(req, res, (body) => transactions.getItems(body));
    if (TABLE_CHANGES.has(operation)) transactions.forgetTables();
    if (WRITES.has(operation)) gate.write(() => pass(handle, req, res, () => gate.releaseWrite()));
    else if (READS.has(operation)) gate.read(() => pass(handle, req, res, () => gate.releaseRead()));
    else handle(req, res);
  });
  const port = await listen(front, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  statsByUrl.set(url, stats);
  bytesByUrl.set(url, bytes);
  return {
    url,
    port,
    stats,
    feed,
    close: async () => {
      await feed.close();
      statsByUrl.delete(url);
      bytesByUrl.delete(url);
      await closeServer(front);
      client.close();
      await closeServer(store);
    },
  };
}

/** Adds the size of every chunk written to `res` (dynalite and the front write whole bodies). */
function countBytes(res: ServerResponse, add: (bytes: number) => void): void {
  const sized = (chunk: unknown) => (typeof chunk === 'string' || chunk instanceof Uint8Array ? Buffer.byteLength(chunk) : 0);
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    add(sized(chunk));
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    add(sized(chunk));
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
}

/** Hands the request to dynalite; `release` runs once its answer is sent or the client is gone. */
function pass(handle: RequestListener, req: IncomingMessage, res: ServerResponse, release: () => void): void {
  // Gone while it waited for the lock: its 'close' has been and will not come again.
  if (req.socket.destroyed) {
    release();
    return;
  }
  let released = false;
  const once = () => {
    if (released) return;
    released = true;
    release();
  };
  res.once('finish', once);
  res.once('close', once);
  handle(req, res);
}

/** Reads a transaction's JSON body and sends the answer `work` gives, the way dynalite would. */
async function answer(req: IncomingMessage, res: ServerResponse, work: (body: unknown) => Promise<DynamoAnswer>): Promise<void> {
  let result: DynamoAnswer;
  try {
    const text = await readBodyText(req, MAX_BODY_BYTES, () => {
      throw new BodyTooLargeError();
    });
    const body = parseJson(text);
    result = body.ok ? await work(body.value) : { status: 400, body: errorBody('com.amazon.coral.service#SerializationException') };
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      res.statusCode = 413;
      res.end();
      return;
    }
    result = { status: 500, body: errorBody('com.amazonaws.dynamodb.v20120810#InternalServerError', String(err)) };
  }
  sendJson(res, result.status, result.body, { version: '1.0', dynalite: true });
}

/** Creates the single table as the CDK stack declares it; an existing table is left alone. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint });
  const { partitionKey, sortKey, listIndex, secondListIndex } = TABLE_KEYS;
  const indexes = [listIndex, secondListIndex];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [partitionKey, sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
            { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'ALL' as const },
        })),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // dynalite reports CREATING briefly even with createTableMs 0; wait for the fact, not a delay.
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && Table.GlobalSecondaryIndexes?.every((i) => i.IndexStatus === 'ACTIVE')) break;
    await new Promise((r) => setImmediate(r));
  }
  client.destroy();
}
