import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoStatsFor, startDynamo } from '../../local/dynamodb.ts';
import { check } from '../../scripts/bench/budgets.ts';
import { diff, sum } from '../../scripts/bench/counters.ts';
import { percentile, summarize } from '../../scripts/bench/stats.ts';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(summarize([3, 1, 2])).toMatchObject({ n: 3, p50: 2, max: 3, mean: 2 });
  });

  it('diffs counters by key and leaves unchanged keys out', () => {
    const a = { stateTransitions: 1, executionsStarted: 0, apiInvocations: { nodes: 2 }, stepInvocations: {}, dynamoRequests: 5, dynamoByOperation: { GetItem: 5 }, ec2Requests: 0 };
    const b = { ...a, stateTransitions: 8, apiInvocations: { nodes: 2, resources: 3 }, dynamoRequests: 9, dynamoByOperation: { GetItem: 6, PutItem: 3 } };
    const d = diff(a, b);
    expect(d).toMatchObject({ stateTransitions: 7, apiInvocations: { resources: 3 }, dynamoRequests: 4, dynamoByOperation: { GetItem: 1, PutItem: 3 } });
    expect(sum(d.dynamoByOperation)).toBe(d.dynamoRequests);
  });

  it('reports a budget as pass, fail or n/a', () => {
    expect(check('x', 10, 15, 'ms').pass).toBe(true);
    expect(check('x', 15, 15, 'ms').pass).toBe(false);
    expect(check('x', 12, 12, '').pass).toBe(true);
    expect(check('x', undefined, 15, 'ms')).toMatchObject({ pass: undefined, value: 'n/a' });
  });
});

describe('local DynamoDB request counter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dynamo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts each request dynalite answers, by operation, while it runs', async () => {
    const dynamo = await startDynamo({ dataDir: dir });
    const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new ListTablesCommand({}));
    await client.send(new ListTablesCommand({}));
    expect(dynamoStatsFor(dynamo.url)).toEqual({ requests: 2, byOperation: { ListTables: 2 } });
    client.destroy();
    await dynamo.close();
    expect(dynamoStatsFor(dynamo.url)).toBeUndefined();
  });
});
