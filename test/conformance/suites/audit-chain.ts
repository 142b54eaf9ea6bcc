import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../functions/adapters/audit-log.ts';
import { auditKeys } from '../../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import type { AuditEntry } from '../../../functions/core/assignments/audit.ts';
import { GENESIS_HASH } from '../../../functions/core/audit-chain.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { allPages, auditEntry } from '../fixtures.ts';
import { contend, values } from './contention.ts';

// The audit log as a hash chain: appends racing in one domain take turns on its head, so every
// one lands under the next seq and links to the one before it; verification reads the chain back
// whole, and an item changed or removed behind the log's back is named.

const APPENDS = 50;

export const auditChainSuite: ConformanceSuite = (backend) => {
  describe('audit chain', () => {
    let table: Table;
    let log: DynamoAuditLog;
    const fresh = suiteTable(backend, 'audit-chain');
    beforeAll(() => {
      table = fresh();
      log = new DynamoAuditLog(table);
    });

    /** A domain whose chain holds `n` entries, appended one after another. */
    async function domainWith(n: number): Promise<{ domainId: string; entries: AuditEntry[] }> {
      const domainId = newId();
      const entries = Array.from({ length: n }, () => auditEntry(domainId));
      for (const e of entries) await log.append(e);
      return { domainId, entries };
    }

    it(`${APPENDS} concurrent appends in one domain all land, with seqs 1..${APPENDS} and a valid chain`, async () => {
      const domainId = newId();
      const entries = Array.from({ length: APPENDS }, () => auditEntry(domainId));
      values(await contend(backend(), entries.map((e) => () => log.append(e))));

      const { entries: stored, head } = await log.readChain(domainId);
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: APPENDS }, (_, i) => i + 1));
      expect(stored.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
      expect(stored[0]?.prev_hash).toBe(GENESIS_HASH);
      for (let i = 1; i < stored.length; i++) expect(stored[i]?.prev_hash).toBe(stored[i - 1]?.hash);
      expect(head).toEqual({ seq: APPENDS, hash: stored.at(-1)?.hash });
      expect(await log.verify(domainId)).toEqual({ valid: true, entries: APPENDS, head: head?.hash });
    });

    it('keeps each domain’s chain apart, and lists entries by id as before, with their chain fields', async () => {
      const [a, b] = await Promise.all([domainWith(3), domainWith(2)]);
      expect(await log.verify(a.domainId)).toMatchObject({ valid: true, entries: 3 });
      expect(await log.verify(b.domainId)).toMatchObject({ valid: true, entries: 2 });
      const listed = (await allPages((page) => log.list(a.domainId, page), 2)).flat();
      expect(listed.map((e) => e.id)).toEqual(a.entries.map((e) => e.id).sort());
      for (const e of listed) expect(e).toMatchObject({ seq: expect.any(Number), prev_hash: expect.any(String), hash: expect.any(String) });
      // The head is not an entry: it is not listed.
      expect(listed).toHaveLength(3);
    });

    it('checks as valid while appends are still landing (the head is read after the entries)', async () => {
      const domainId = newId();
      await log.append(auditEntry(domainId));
      const writes = Array.from({ length: 20 }, () => () => log.append(auditEntry(domainId)).then(() => undefined));
      const checks = Array.from({ length: 10 }, () => () => log.verify(domainId));
      const outcomes = values(await contend(backend(), [...writes, ...checks].sort(() => Math.random() - 0.5)));
      for (const verdict of outcomes) if (verdict) expect(verdict).toMatchObject({ valid: true });
      expect(await log.verify(domainId)).toMatchObject({ valid: true, entries: 21 });
    });

    it('names an entry changed in the table: hash_mismatch', async () => {
      const { domainId, entries } = await domainWith(4);
      await table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: auditKeys.entry(domainId, 2),
          UpdateExpression: 'SET outcome = :denied',
          ExpressionAttributeValues: { ':denied': 'denied' },
        }),
      );
      expect(await log.verify(domainId)).toMatchObject({ valid: false, entries: 4, first_broken: { id: entries[1]?.id, reason: 'hash_mismatch' } });
    });

    it('names the entry after one deleted from the middle (seq_gap), and the last left when the newest is deleted (head_mismatch)', async () => {
      const middle = await domainWith(4);
      await table.client.send(new DeleteCommand({ TableName: table.name, Key: auditKeys.entry(middle.domainId, 2) }));
      expect(await log.verify(middle.domainId)).toMatchObject({ valid: false, entries: 3, first_broken: { id: middle.entries[2]?.id, reason: 'seq_gap' } });

      const newest = await domainWith(4);
      await table.client.send(new DeleteCommand({ TableName: table.name, Key: auditKeys.entry(newest.domainId, 4) }));
      expect(await log.verify(newest.domainId)).toMatchObject({ valid: false, entries: 3, first_broken: { id: newest.entries[2]?.id, reason: 'head_mismatch' } });
    });

    it('names a chain whose head was deleted: head_mismatch', async () => {
      const { domainId, entries } = await domainWith(2);
      await table.client.send(new DeleteCommand({ TableName: table.name, Key: auditKeys.head(domainId) }));
      expect(await log.verify(domainId)).toEqual({ valid: false, entries: 2, head: null, first_broken: { id: entries[1]?.id, reason: 'head_mismatch' } });
      // An append would start the chain again at seq 1, where an entry already stands: it refuses.
      await expect(log.append(auditEntry(domainId))).rejects.toThrow(/beyond its head/);
    });
  });
};
