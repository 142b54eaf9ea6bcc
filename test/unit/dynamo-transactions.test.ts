import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Gate, journalPath } from '../../local/dynamo/atomicity.ts';
import { ensureTable, startDynamo } from '../../local/dynamodb.ts';
import { describeTransactions } from '../conformance/dynamo-transactions-suite.ts';
import { LOCAL_AWS_ENV, startTestDynamo } from '../support/dynamo.ts';
import { waitFor } from '../support/wait.ts';

describeTransactions('the local front over dynalite', startTestDynamo);

describe('the gate of the front', () => {
  it('lets an exclusive holder in only once the reads in flight are done, and holds new reads until it leaves', async () => {
    const gate = new Gate();
    const events: string[] = [];
    gate.read(() => events.push('read 1 runs'));
    let exclusive = false;
    const entered = gate.exclusive().then(() => {
      exclusive = true;
      events.push('exclusive');
    });
    gate.read(() => events.push('read 2 runs'));
    await Promise.resolve();
    expect(exclusive).toBe(false);
    gate.releaseRead();
    await entered;
    expect(events).toEqual(['read 1 runs', 'exclusive']);
    gate.releaseExclusive();
    expect(events).toEqual(['read 1 runs', 'exclusive', 'read 2 runs']);
    gate.releaseRead();
  });

  it('runs writers one at a time, in arrival order', () => {
    const gate = new Gate();
    const events: string[] = [];
    for (const name of ['a', 'b', 'c']) gate.write(() => events.push(name));
    expect(events).toEqual(['a']);
    gate.releaseWrite();
    expect(events).toEqual(['a', 'b']);
    gate.releaseWrite();
    gate.releaseWrite();
    expect(events).toEqual(['a', 'b', 'c']);
    gate.write(() => events.push('d'));
    expect(events).toEqual(['a', 'b', 'c', 'd']);
  });
});

/**
 * A request to the endpoint whose body is held back: the front has taken its lock (the request
 * is counted), and dynalite answers only once `finish` sends the rest.
 */
function heldRequest(url: string, operation: string, input: object) {
  const payload = JSON.stringify(input);
  const req = request(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': Buffer.byteLength(payload),
      'X-Amz-Target': `DynamoDB_20120810.${operation}`,
      'X-Amz-Date': '20260101T000000Z',
      Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    });
  });
  req.write(payload.slice(0, 1));
  return { answer, finish: () => req.end(payload.slice(1)) };
}

// What only the local front promises: its counters, its data dir and journal, its clock, and
// reads (not only TransactGetItems) that never see half a transaction.
describe('the local DynamoDB front', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  const key = (id: string) => ({ PK: `ITEM#${id}`, SK: 'A' });
  const TABLE = 'local-tx';

  beforeAll(() => {
    Object.assign(process.env, LOCAL_AWS_ENV);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynamo-tx-'));
    dirs.push(dir);
    return dir;
  };

  /** A local DynamoDB with the test table, and a document client on it; closed after the test. */
  async function start(opts: Parameters<typeof startDynamo>[0] = {}) {
    const dynamo = await startDynamo(opts);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.url, maxAttempts: 1 }));
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      doc.destroy();
      await dynamo.close();
    };
    closers.push(close);
    await ensureTable(dynamo.url, TABLE);
    const get = async (id: string) => (await doc.send(new GetCommand({ TableName: TABLE, Key: key(id), ConsistentRead: true }))).Item;
    return { dynamo, doc, get, close };
  }

  it('counts a transaction as one request, not the steps it takes inside', async () => {
    const { dynamo, doc } = await start();
    const before = { requests: dynamo.stats.requests, byOperation: { ...dynamo.stats.byOperation } };
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { ...key('a'), v: 1 }, ConditionExpression: 'attribute_not_exists(PK)' } },
          { Update: { TableName: TABLE, Key: key('b'), UpdateExpression: 'SET v = :one', ExpressionAttributeValues: { ':one': 1 } } },
        ],
      }),
    );
    expect(dynamo.stats.requests - before.requests).toBe(1);
    expect(dynamo.stats.byOperation).toEqual({ ...before.byOperation, TransactWriteItems: 1 });
  });

  it('keeps what a transaction wrote across a restart, and leaves no journal behind', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await first.doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('gone'), v: 0 } }));
    await first.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { ...key('a'), v: 1 } } },
          { Update: { TableName: TABLE, Key: key('b'), UpdateExpression: 'SET v = :two', ExpressionAttributeValues: { ':two': 2 } } },
          { Delete: { TableName: TABLE, Key: key('gone') } },
        ],
      }),
    );
    expect(existsSync(journalPath(dataDir))).toBe(false);
    await first.close();

    const second = await start({ dataDir });
    expect(await second.get('a')).toEqual({ ...key('a'), v: 1 });
    expect(await second.get('b')).toEqual({ ...key('b'), v: 2 });
    expect(await second.get('gone')).toBeUndefined();
  });

  it('undoes, on start, a transaction that a crash left half-applied, from its journal', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await first.doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('a'), v: 'before' } }));
    await first.doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('bystander'), v: 'kept' } }));
    // The crash: a transaction [Put a, Put c] had journalled both before-images and applied a only.
    await first.doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('a'), v: 'after' } }));
    await first.close();
    const journal = {
      images: [
        { TableName: TABLE, Key: marshall(key('a')), Item: marshall({ ...key('a'), v: 'before' }) },
        { TableName: TABLE, Key: marshall(key('c')) },
      ],
    };
    writeFileSync(journalPath(dataDir), JSON.stringify(journal));
    // And a later save that the crash cut short, half-written under its temp name.
    writeFileSync(`${journalPath(dataDir)}.4242.cut-short.tmp`, '{"images":[{"TableName"');

    const second = await start({ dataDir });
    expect(await second.get('a')).toEqual({ ...key('a'), v: 'before' });
    expect(await second.get('c')).toBeUndefined();
    expect(await second.get('bystander')).toEqual({ ...key('bystander'), v: 'kept' });
    expect(readdirSync(dataDir).filter((name) => name.startsWith('transaction-journal'))).toEqual([]);
  });

  it('undoes on start a Put of a new item that a crash left applied', async () => {
    const dataDir = tempDir();
    const first = await start({ dataDir });
    await first.doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('c'), v: 'half' } }));
    await first.close();
    writeFileSync(journalPath(dataDir), JSON.stringify({ images: [{ TableName: TABLE, Key: marshall(key('c')) }] }));

    const second = await start({ dataDir });
    expect(await second.get('c')).toBeUndefined();
    expect(existsSync(journalPath(dataDir))).toBe(false);
  });

  it('forgets a ClientRequestToken 10 minutes after its request completed', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { doc, get } = await start({ now: () => now });
    const increment = new TransactWriteCommand({
      TransactItems: [{ Update: { TableName: TABLE, Key: key('counter'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } }],
      ClientRequestToken: 'ten-minute-token',
    });
    await doc.send(increment);
    now += 10 * 60 * 1000 - 1;
    await doc.send(increment);
    expect(await get('counter')).toEqual({ ...key('counter'), n: 1 });
    now += 2;
    await doc.send(increment);
    expect(await get('counter')).toEqual({ ...key('counter'), n: 2 });
  });

  it('applies a transaction only once the reads in flight are answered, which see it not at all', async () => {
    const dataDir = tempDir();
    const { dynamo, doc, get } = await start({ dataDir });
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('a'), v: 0 } }));
    const reads = dynamo.stats.byOperation.GetItem ?? 0;
    const read = heldRequest(dynamo.url, 'GetItem', { TableName: TABLE, Key: marshall(key('a')), ConsistentRead: true });
    await waitFor(async () => ((dynamo.stats.byOperation.GetItem ?? 0) > reads ? true : undefined), { what: 'the held read to reach the front', intervalMs: 5, timeoutMs: 10_000 });

    const transaction = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: TABLE, Item: { ...key('a'), v: 1 } } },
          { Put: { TableName: TABLE, Item: { ...key('b'), v: 1 } } },
        ],
      }),
    );
    // The journal is written just before the transaction asks to apply; it stays until it has.
    await waitFor(async () => (existsSync(journalPath(dataDir)) ? true : undefined), { what: 'the transaction to journal', intervalMs: 5, timeoutMs: 10_000 });
    read.finish();
    expect(await read.answer).toEqual({ Item: marshall({ ...key('a'), v: 0 }) });
    await transaction;
    expect(await get('a')).toEqual({ ...key('a'), v: 1 });
  });

  it('applies a transaction after the single-item write in flight, never across it', async () => {
    const { dynamo, doc, get } = await start();
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('a'), v: 0 } }));
    const write = heldRequest(dynamo.url, 'PutItem', { TableName: TABLE, Item: marshall({ ...key('a'), v: 5 }) });
    await waitFor(async () => (dynamo.stats.byOperation.PutItem === 2 ? true : undefined), { what: 'the held write to reach the front', intervalMs: 5, timeoutMs: 10_000 });
    const transaction = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: { TableName: TABLE, Key: key('a'), UpdateExpression: 'SET v = v + :one', ExpressionAttributeValues: { ':one': 1 } } },
          { Put: { TableName: TABLE, Item: { ...key('b'), v: 1 } } },
        ],
      }),
    );
    await waitFor(async () => (dynamo.stats.byOperation.TransactWriteItems === 1 ? true : undefined), { what: 'the transaction to reach the front', intervalMs: 5, timeoutMs: 10_000 });
    write.finish();
    await write.answer;
    await transaction;
    expect(await get('a')).toEqual({ ...key('a'), v: 6 });
  });

  it('answers a TransactGetItems after the writes in flight', async () => {
    const { dynamo, doc } = await start();
    await doc.send(new PutCommand({ TableName: TABLE, Item: { ...key('a'), v: 0 } }));
    const write = heldRequest(dynamo.url, 'PutItem', { TableName: TABLE, Item: marshall({ ...key('a'), v: 1 }) });
    await waitFor(async () => (dynamo.stats.byOperation.PutItem === 2 ? true : undefined), { what: 'the held write to reach the front', intervalMs: 5, timeoutMs: 10_000 });
    const read = doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key('a') } }, { Get: { TableName: TABLE, Key: key('b') } }] }));
    await waitFor(async () => (dynamo.stats.byOperation.TransactGetItems === 1 ? true : undefined), { what: 'the read to reach the front', intervalMs: 5, timeoutMs: 10_000 });
    write.finish();
    await write.answer;
    expect((await read).Responses).toEqual([{ Item: { ...key('a'), v: 1 } }, {}]);
  });

  it('a BatchGetItem never sees half of a transaction either', async () => {
    const { doc } = await start();
    const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
    for (let i = 0; i < ids.length; i += 25) {
      await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: ids.slice(i, i + 25).map((id) => ({ PutRequest: { Item: { ...key(id), v: 0 } } })) } }));
    }
    const rounds = 6;
    let writing = true;
    const writer = (async () => {
      try {
        for (let round = 1; round <= rounds; round++) {
          await doc.send(
            new TransactWriteCommand({
              TransactItems: ids.map((id) => ({
                Put: { TableName: TABLE, Item: { ...key(id), v: round }, ConditionExpression: 'v = :was', ExpressionAttributeValues: { ':was': round - 1 } },
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
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: ids.map(key), ConsistentRead: true } } }));
      const versions = [...new Set((out.Responses?.[TABLE] ?? []).map((item) => item.v as number))];
      if (versions.length === 1) seen.add(versions[0] as number);
      else torn.push(versions.join(', '));
    }
    await writer;
    expect(torn, 'reads that saw several versions at once').toEqual([]);
    expect([...seen].some((v) => v > 0 && v < rounds), `versions read: ${[...seen].join(', ')}`).toBe(true);
  });
});
