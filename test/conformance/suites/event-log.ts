import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../../functions/adapters/assignment-store.ts';
import { eventKeys } from '../../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { appendInOrder, DynamoEventLog } from '../../../functions/adapters/event-log.ts';
import { eventDraft } from '../../../functions/core/events/event.ts';
import { DynamoResourceStore } from '../../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../../functions/adapters/tenancy-store.ts';
import type { DomainEvent } from '../../../functions/core/events/event.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Phase, Resource } from '../../../functions/core/resources.ts';
import type { Project } from '../../../functions/core/tenancy.ts';
import { type ConformanceSuite, dynamoClient, freshTable } from '../backend.ts';
import { AT, assignment, LATER, project, resource } from '../fixtures.ts';
import { contend, values } from './contention.ts';

// The event log: each change writes its event in its own transaction, under the domain's next
// seq. Many writers race for the seq; every committed change has exactly one event, the seqs have
// no gaps, and a change that did not happen took none.

const PROVISIONS = 100;
const ARC: Phase[] = ['Provisioning', 'Enrolling', 'Ready'];

export const eventLogSuite: ConformanceSuite = (backend) => {
  describe('event log: one event per change, gap-free seq per domain', () => {
    let client: DynamoDBDocumentClient;
    let table: Table;
    let resources: DynamoResourceStore;
    let events: DynamoEventLog;
    let p: Project;

    beforeAll(() => {
      client = dynamoClient(backend());
    });
    beforeEach(async () => {
      table = await freshTable(backend(), client, 'events');
      resources = new DynamoResourceStore(table);
      events = new DynamoEventLog(table);
      p = project(newId());
      await new DynamoTenancyStore(table).createProject(p);
    });

    /** Every event of the domain, read in pages of `limit`, checking that pages chain. */
    async function all(domainId: string, limit = 200): Promise<DomainEvent[]> {
      const out: DomainEvent[] = [];
      let after = 0;
      for (;;) {
        const page = await events.listByDomain(domainId, { afterSeq: after, limit });
        out.push(...page.items);
        if (page.items.length === 0) return out;
        expect(page.lastSeq).toBe(page.items.at(-1)?.seq);
        after = page.lastSeq;
      }
    }

    async function walk(r: Resource): Promise<void> {
      let at = Date.parse(AT);
      const from: Phase[] = ['Pending', ...ARC];
      for (const [i, to] of ARC.entries()) {
        at += 1000;
        const moved = await resources.changePhase(r.id, { from: [from[i] as Phase], to, generation: 1, at: new Date(at).toISOString(), reason: `to ${to}` });
        if (!moved) throw new Error(`${r.id} did not reach ${to}`);
      }
    }

    it(`${PROVISIONS} concurrent provisions (25 on moto): each create and phase change has one event, and seq runs 1..n with no gap`, { timeout: 600_000 }, async () => {
      // moto runs contenders one after another (see contention.ts), slowly: a quarter of them there.
      const racers = Array.from({ length: backend().name === 'moto' ? PROVISIONS / 4 : PROVISIONS }, () => resource(p));
      values(await contend(backend(), racers.map((r) => () => resources.create(r))));
      values(await contend(backend(), racers.map((r) => () => walk(r))));
      const log = await all(p.domain_id);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: racers.length * 4 }, (_, i) => i + 1));
      for (const r of racers) {
        const own = log.filter((e) => e.subject.id === r.id);
        expect(own.map((e) => [e.type, e.data.phase])).toEqual([
          ['resource.created', 'Pending'],
          ['resource.phase_changed', 'Provisioning'],
          ['resource.phase_changed', 'Enrolling'],
          ['resource.phase_changed', 'Ready'],
        ]);
        expect(own.map((e) => e.data.from).slice(1)).toEqual(['Pending', 'Provisioning', 'Enrolling']);
      }
      expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
      expect(await table.getRaw(eventKeys.counter(p.domain_id))).toMatchObject({ seq: racers.length * 4 });
    });

    it('writers in other processes (no turn taken) race on the counter and still leave no gap', { timeout: 300_000 }, async () => {
      const writers = backend().name === 'moto' ? 10 : 40;
      const drafts = Array.from({ length: writers }, (_, i) =>
        eventDraft({ domain_id: p.domain_id, subject: { kind: 'project', id: p.id } }, 'resource.create_refused', AT, { code: `race-${i}` }),
      );
      values(await contend(backend(), drafts.map((d) => () => appendInOrder(table, [], [d]))));
      const log = await all(p.domain_id);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: writers }, (_, i) => i + 1));
      expect(log.map((e) => e.data.code).sort()).toEqual(drafts.map((d) => d.data.code).sort());
    });

    it('a change that does not happen writes no event and takes no seq', async () => {
      const r = resource(p);
      await resources.create(r);
      // A stale generation, a phase it is not in, a second create of the same id: all refused.
      expect(await resources.changePhase(r.id, { from: ['Pending'], to: 'Provisioning', generation: 7, at: LATER, reason: 'stale' })).toBeUndefined();
      expect(await resources.changePhase(r.id, { from: ['Enrolling'], to: 'Ready', generation: 1, at: LATER, reason: 'wrong phase' })).toBeUndefined();
      await expect(resources.create(r)).rejects.toMatchObject({ code: 'resource_exists' });
      expect(await resources.changePhase(r.id, { from: ['Pending'], to: 'Provisioning', generation: 1, at: LATER, reason: 'real' })).toBeDefined();
      expect((await all(p.domain_id)).map((e) => [e.seq, e.type])).toEqual([
        [1, 'resource.created'],
        [2, 'resource.phase_changed'],
      ]);
    });

    it('assignment decisions carry their events, with the deciding person as actor', async () => {
      const assignments = new DynamoAssignmentStore(table);
      const a = assignment({ project_id: p.id, domain_id: p.domain_id, expires_at: LATER });
      await assignments.create(a, async () => true);
      const approver = newId();
      await assignments.transition(a.id, { from: 'requested', to: 'approved', decidedBy: approver, at: AT, terms: { max_live_resources: 3 } });
      const approved = await assignments.get(a.id);
      await assignments.setTerms(a.id, { max_live_resources: 1 }, approved?.updated_at ?? AT, LATER, approver);
      // Refused: already approved.
      expect(await assignments.transition(a.id, { from: 'requested', to: 'rejected', decidedBy: approver, at: AT })).toBeUndefined();
      await assignments.transition(a.id, { from: 'approved', to: 'revoked', decidedBy: approver, at: LATER, reason: 'done' });
      const log = await all(p.domain_id);
      expect(log.map((e) => [e.seq, e.type, e.actor?.id])).toEqual([
        [1, 'assignment.requested', a.requested_by],
        [2, 'assignment.approved', approver],
        [3, 'assignment.terms_changed', approver],
        [4, 'assignment.revoked', approver],
      ]);
      expect(log[2]?.data).toEqual({ from: { max_live_resources: 3 }, terms: { max_live_resources: 1 } });
      expect(log.every((e) => e.subject.kind === 'credential_assignment' && e.project_id === p.id)).toBe(true);
    });

    it('pages after a seq, filters by type (the next page starts after what the filter skipped), and lists a project', async () => {
      const rs = [resource(p), resource(p)];
      for (const r of rs) {
        await resources.create(r);
        await walk(r);
      }
      const other = project(p.domain_id);
      await new DynamoTenancyStore(table).createProject(other);
      await resources.create(resource(other));
      const ready = await events.listByDomain(p.domain_id, { afterSeq: 0, types: ['resource.created'], limit: 2 });
      expect(ready.items.map((e) => e.seq)).toEqual([1, 5]);
      expect(ready.lastSeq).toBe(5);
      const rest = await events.listByDomain(p.domain_id, { afterSeq: ready.lastSeq, types: ['resource.created'], limit: 2 });
      expect(rest.items.map((e) => e.seq)).toEqual([9]);
      expect(rest.lastSeq).toBe(9);
      const nothingNew = await events.listByDomain(p.domain_id, { afterSeq: 9, limit: 10 });
      expect(nothingNew).toEqual({ items: [], lastSeq: 9 });
      const mine = await events.listByProject(p.id, { afterSeq: 2, limit: 50 });
      expect(mine.items.map((e) => [e.seq, e.project_seq])).toEqual([3, 4, 5, 6, 7, 8].map((n) => [n, n]));
      expect(mine.lastSeq).toBe(8);
      expect((await events.listByProject(other.id, { afterSeq: 0, limit: 50 })).items.map((e) => [e.seq, e.project_seq])).toEqual([[9, 1]]);
    });

    it("ends a project's page before a number its index does not show yet, so a follower never skips one", async () => {
      const r = resource(p);
      await resources.create(r);
      await walk(r);
      // An index may show a later event before an earlier one: here project_seq 6 before 5.
      const early = { ...(await events.listByProject(p.id, { afterSeq: 3, limit: 1 })).items[0], seq: 99, project_seq: 6 };
      await table.put({ PK: `EVENTS#${p.domain_id}`, SK: '000000000099', GSI1PK: `PROJECT#${p.id}#EVENTS`, GSI1SK: '000000000006', ...early });
      const page = await events.listByProject(p.id, { afterSeq: 0, limit: 50 });
      expect(page.items.map((e) => e.project_seq)).toEqual([1, 2, 3, 4]);
      expect(page.lastSeq).toBe(4);
      expect(await events.listByProject(p.id, { afterSeq: 4, limit: 50 })).toEqual({ items: [], lastSeq: 4 });
    });

    it("keeps each domain's seq apart", async () => {
      const q = project(newId());
      await new DynamoTenancyStore(table).createProject(q);
      await resources.create(resource(p));
      await resources.create(resource(q));
      await resources.create(resource(p));
      expect((await all(p.domain_id)).map((e) => e.seq)).toEqual([1, 2]);
      expect((await all(q.domain_id)).map((e) => e.seq)).toEqual([1]);
    });
  });
};
