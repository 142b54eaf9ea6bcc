import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TABLE_KEYS } from '../../../functions/adapters/dynamo/table-def.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { newId } from '../../../functions/core/ids.ts';
import { ensureTable } from '../../../local/dynamodb.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { allPages } from '../fixtures.ts';

const Thing = z.object({ id: z.string(), n: z.number().optional(), tags: z.set(z.string()).optional(), nested: z.unknown().optional() });

/** The single table as ensureTable creates it, and the adapters' Table helper over it. */
export const tableSuite: ConformanceSuite = (backend) => {
  describe('DynamoDB table and the Table helper', () => {
    let table: Table;
    const fresh = suiteTable(backend, 'table');
    beforeAll(async () => {
      table = fresh();
    });

    it('creates the table with its keys and both list indexes (ALL projection), ACTIVE, and a second ensureTable keeps it', async () => {
      await ensureTable(backend().dynamoEndpoint, table.name);
      const raw = new DynamoDBClient({ endpoint: backend().dynamoEndpoint, region: backend().region });
      const { Table: described } = await raw.send(new DescribeTableCommand({ TableName: table.name }));
      raw.destroy();
      expect(described?.TableStatus).toBe('ACTIVE');
      expect(described?.KeySchema).toEqual([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]);
      const indexes = (described?.GlobalSecondaryIndexes ?? []).map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`),
        projection: i.Projection?.ProjectionType,
        status: i.IndexStatus,
      }));
      expect(indexes.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(
        [TABLE_KEYS.listIndex, TABLE_KEYS.secondListIndex].map((i) => ({
          name: i.name,
          keys: [`${i.partitionKey}:HASH`, `${i.sortKey}:RANGE`],
          projection: 'ALL',
          status: 'ACTIVE',
        })),
      );
    });

    it('putNew writes once; get reads the entity without key attributes; sets, maps and numbers round-trip', async () => {
      const id = newId();
      const key = { PK: `THING#${id}`, SK: 'META' };
      const item = { ...key, GSI1PK: 'THINGS', GSI1SK: id, id, n: 3, tags: new Set(['a', 'b']), nested: { list: [1, 'x', { deep: true }], empty: '' } };
      expect(await table.putNew(item)).toBe(true);
      expect(await table.putNew({ ...item, n: 4 })).toBe(false);
      expect(await table.get(key, Thing)).toEqual({ id, n: 3, tags: new Set(['a', 'b']), nested: { list: [1, 'x', { deep: true }], empty: '' } });
      expect(await table.getRaw(key)).toMatchObject({ PK: key.PK, GSI1PK: 'THINGS', n: 3 });
      expect(await table.get({ PK: `THING#${newId()}`, SK: 'META' }, Thing)).toBeUndefined();
    });

    it('update returns the new item, or undefined when its condition fails; a conditional delete says whether it deleted', async () => {
      const id = newId();
      const key = { PK: `THING#${id}`, SK: 'META' };
      await table.put({ ...key, id, n: 1 });
      const bumped = await table.update({
        Key: key,
        UpdateExpression: 'ADD n :one',
        ConditionExpression: 'n = :was',
        ExpressionAttributeValues: { ':one': 1, ':was': 1 },
      });
      expect(bumped).toMatchObject({ id, n: 2 });
      const refused = await table.update({
        Key: key,
        UpdateExpression: 'ADD n :one',
        ConditionExpression: 'n = :was',
        ExpressionAttributeValues: { ':one': 1, ':was': 1 },
      });
      expect(refused).toBeUndefined();
      // An update of a missing item conditioned on its existence creates nothing.
      const missing = { PK: `THING#${newId()}`, SK: 'META' };
      expect(await table.update({ Key: missing, UpdateExpression: 'SET n = :n', ConditionExpression: 'attribute_exists(PK)', ExpressionAttributeValues: { ':n': 1 } })).toBeUndefined();
      expect(await table.getRaw(missing)).toBeUndefined();

      expect(await table.delete(key, { expression: 'n = :n', values: { ':n': 99 } })).toBe(false);
      expect(await table.getRaw(key)).toBeDefined();
      expect(await table.delete(key, { expression: '#n = :n', names: { '#n': 'n' }, values: { ':n': 2 } })).toBe(true);
      expect(await table.getRaw(key)).toBeUndefined();
      // An unconditional delete of nothing is no error.
      expect(await table.delete(key)).toBe(true);
    });

    it('batchGet reads more than one round of 100 keys and leaves out the keys it does not hold', async () => {
      const ids = Array.from({ length: 130 }, () => newId());
      await Promise.all(ids.map((id) => table.put({ PK: `BATCH#${id}`, SK: 'META', id })));
      const absent = Array.from({ length: 20 }, () => ({ PK: `BATCH#${newId()}`, SK: 'META' }));
      const found = await table.batchGet([...ids.map((id) => ({ PK: `BATCH#${id}`, SK: 'META' })), ...absent], Thing);
      expect(found.size).toBe(ids.length);
      expect([...found.keys()].sort()).toEqual(ids.map((id) => `BATCH#${id}|META`).sort());
      expect(found.get(`BATCH#${ids[0]}|META`)).toEqual({ id: ids[0] });
    });

    it('queryPartition reads a whole partition under a sort-key prefix, past the 1 MB a Query answers at once', async () => {
      const pk = `BIG#${newId()}`;
      const filler = 'x'.repeat(100 * 1024);
      const versions = Array.from({ length: 12 }, (_, i) => `VERSION#${String(i).padStart(2, '0')}`);
      for (const sk of versions) await table.client.send(new PutCommand({ TableName: table.name, Item: { PK: pk, SK: sk, id: sk, nested: filler } }));
      await table.put({ PK: pk, SK: 'OTHER#1', id: 'other' });
      const read = await table.queryPartition(pk, 'VERSION#', Thing);
      expect(read.map((t) => t.id)).toEqual(versions);
    });

    it('listPage pages a list index in id order, with a filter that drops items and pages that may come back short', async () => {
      const list = `LIST#${newId()}`;
      const ids = Array.from({ length: 7 }, () => newId()).sort();
      await Promise.all(ids.map((id, i) => table.put({ PK: `ITEM#${id}`, SK: 'META', GSI1PK: list, GSI1SK: id, id, n: i })));
      const pages = await allPages((page) => table.listPage(list, Thing, page), 3);
      expect(pages.map((p) => p.map((t) => t.id))).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);

      const even = await allPages((page) => table.listPage(list, Thing, { ...page, filter: (t) => (t.n ?? 0) % 2 === 0 }), 2);
      expect(even.flat().map((t) => t.n)).toEqual([0, 2, 4, 6]);

      const after = await table.listPage(list, Thing, { limit: 10, afterId: ids[4] });
      expect(after).toEqual({ items: [{ id: ids[5], n: 5 }, { id: ids[6], n: 6 }] });
    });

    it('listPage reads the second list index', async () => {
      const list = `QUEUE#${newId()}`;
      const ids = Array.from({ length: 3 }, () => newId()).sort();
      await Promise.all(ids.map((id) => table.put({ PK: `ITEM#${id}`, SK: 'META', GSI2PK: list, GSI2SK: id, id })));
      const page = await table.listPage(list, Thing, { limit: 2, index: 'secondListIndex' });
      expect(page).toEqual({ items: [{ id: ids[0] }, { id: ids[1] }], lastId: ids[1] });
    });
  });
};
