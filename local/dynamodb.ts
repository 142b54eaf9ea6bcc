import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TABLE_KEYS } from '../functions/adapters/dynamo/table-def.ts';
import { closeServer, listen } from './net.ts';

/** Requests dynalite answered, in total and by operation (X-Amz-Target), for `npm run bench`. */
export interface DynamoStats {
  requests: number;
  byOperation: Record<string, number>;
}

// Keyed by endpoint URL: the stack hands out the URL, and the bench looks the counters up by it.
const statsByUrl = new Map<string, DynamoStats>();

/** The request counters of the dynalite listening at `url`, while it runs. */
export function dynamoStatsFor(url: string): DynamoStats | undefined {
  return statsByUrl.get(url);
}

/** Starts dynalite (the DynamoDB wire protocol over LevelDB) with its data under `dataDir`. */
export async function startDynamo(opts: { dataDir?: string; port?: number }) {
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const server: Server = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const stats: DynamoStats = { requests: 0, byOperation: {} };
  server.on('request', (req: IncomingMessage) => {
    const target = req.headers['x-amz-target'];
    const operation = (typeof target === 'string' && target.split('.').pop()) || 'unknown';
    stats.requests += 1;
    stats.byOperation[operation] = (stats.byOperation[operation] ?? 0) + 1;
  });
  const port = await listen(server, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  statsByUrl.set(url, stats);
  return {
    url,
    port,
    stats,
    close: () => {
      statsByUrl.delete(url);
      return closeServer(server);
    },
  };
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
