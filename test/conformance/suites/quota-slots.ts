import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../../functions/adapters/assignment-store.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { DynamoResourceStore } from '../../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../../functions/adapters/tenancy-store.ts';
import type { Assignment } from '../../../functions/core/assignments/assignment.ts';
import type { Terms } from '../../../functions/core/assignments/terms.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Resource } from '../../../functions/core/resources.ts';
import type { Project } from '../../../functions/core/tenancy.ts';
import { type ConformanceSuite, dynamoClient, freshTable } from '../backend.ts';
import { AT, assignment, LATER, project, resource } from '../fixtures.ts';
import { contend, tally } from './contention.ts';

// An assignment's quota: a create takes a slot in the transaction that stores the Resource, under
// a condition on the assignment's state, limit, count and allowed versions. Many creates race for
// the last slots; exactly the limit wins and every loser stores nothing.

const CREATES = 50;
const LIMIT = 5;
const VERSION = newId();

export const quotaSlotsSuite: ConformanceSuite = (backend) => {
  describe('quota slots: taken with the Resource, given back at Deleted', () => {
    let client: DynamoDBDocumentClient;
    let table: Table;
    let resources: DynamoResourceStore;
    let assignments: DynamoAssignmentStore;
    let p: Project;

    beforeAll(() => {
      client = dynamoClient(backend());
    });
    beforeEach(async () => {
      table = await freshTable(backend(), client, 'quota');
      resources = new DynamoResourceStore(table);
      assignments = new DynamoAssignmentStore(table);
      p = project(newId());
      await new DynamoTenancyStore(table).createProject(p);
    });

    async function approved(terms?: Terms): Promise<Assignment> {
      const a = assignment({ project_id: p.id, domain_id: p.domain_id, expires_at: LATER });
      await assignments.create(a, async () => true);
      const done = await assignments.transition(a.id, { from: 'requested', to: 'approved', decidedBy: newId(), at: AT, ...(terms && { terms }) });
      if (!done) throw new Error('approval did not land');
      return done;
    }

    const admitted = (a: Assignment, overrides: Partial<Resource> = {}): Resource =>
      resource(p, { blueprint_version_id: VERSION, assignment_id: a.id, quota_slot: a.id, ...overrides });

    it(`${CREATES} concurrent creates against a limit of ${LIMIT} store exactly ${LIMIT}; the rest are quota_exceeded`, async () => {
      const a = await approved({ max_live_resources: LIMIT });
      const racers = Array.from({ length: CREATES }, () => admitted(a));
      const outcomes = await contend(backend(), racers.map((r) => () => resources.create(r)));
      expect(tally(outcomes)).toEqual({ won: LIMIT, codes: Array(CREATES - LIMIT).fill('quota_exceeded') });
      const refusal = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(refusal.reason).toMatchObject({ extra: { limit: LIMIT, live: LIMIT } });
      const stored = (await Promise.all(racers.map((r) => resources.get(r.id)))).filter(Boolean);
      expect(stored).toHaveLength(LIMIT);
      expect((await assignments.get(a.id))?.live_resources).toBe(LIMIT);
      expect((await new DynamoTenancyStore(table).getProject(p.id))?.resource_count).toBe(LIMIT);
    });

    it('a Resource reaching Deleted gives its slot back in the same write, once', async () => {
      const a = await approved({ max_live_resources: 1 });
      const first = admitted(a);
      await resources.create(first);
      await expect(resources.create(admitted(a))).rejects.toMatchObject({ code: 'quota_exceeded' });
      for (const [from, to] of [
        ['Pending', 'Deregistering'],
        ['Deregistering', 'Deprovisioning'],
        ['Deprovisioning', 'Deleted'],
      ] as const) {
        expect(await resources.changePhase(first.id, { from: [from], to, generation: 1, at: LATER, reason: to })).toBeDefined();
      }
      expect((await resources.get(first.id))?.quota_slot).toBeUndefined();
      expect((await assignments.get(a.id))?.live_resources).toBe(0);
      await resources.create(admitted(a));
      expect((await assignments.get(a.id))?.live_resources).toBe(1);
    });

    it('Failed frees the slot only when no launch was ever recorded', async () => {
      const a = await approved({ max_live_resources: 2 });
      const early = admitted(a);
      const launched = admitted(a);
      await resources.create(early);
      await resources.create(launched);
      await resources.recordLaunchIntent(launched.id, 1, { provider: 'aws', region: 'us-east-1', client_token: 't', launch_requested_at: AT }, AT);
      for (const r of [early, launched]) {
        expect(await resources.changePhase(r.id, { from: ['Pending'], to: 'Failed', generation: 1, at: LATER, reason: 'failed' })).toBeDefined();
      }
      expect((await resources.get(early.id))?.quota_slot).toBeUndefined();
      expect((await resources.get(launched.id))?.quota_slot).toBe(a.id);
      expect((await assignments.get(a.id))?.live_resources).toBe(1);
    });

    it('a revoked assignment, or a version its terms leave out, takes no slot and stores nothing', async () => {
      const a = await approved({ allowed_blueprint_version_ids: [newId()] });
      await expect(resources.create(admitted(a))).rejects.toMatchObject({ code: 'blueprint_version_not_allowed' });
      const b = await approved();
      expect(await assignments.transition(b.id, { from: 'approved', to: 'revoked', decidedBy: newId(), at: LATER, reason: 'done' })).toBeDefined();
      const late = admitted(b);
      await expect(resources.create(late)).rejects.toMatchObject({ code: 'credential_not_approved' });
      expect(await resources.get(late.id)).toBeUndefined();
      expect((await assignments.get(b.id))?.live_resources).toBeUndefined();
    });

    it('terms narrowed to zero block new Resources and leave the live ones alone', async () => {
      const a = await approved({ max_live_resources: 3 });
      const running = admitted(a);
      await resources.create(running);
      const narrowed = await assignments.setTerms(a.id, { max_live_resources: 0 }, a.updated_at, LATER);
      expect(narrowed?.terms).toEqual({ max_live_resources: 0 });
      await expect(resources.create(admitted(a))).rejects.toMatchObject({ code: 'quota_exceeded', extra: { limit: 0, live: 1 } });
      expect((await resources.get(running.id))?.provisioning?.phase).toBe('Pending');
      // A narrowing based on a stale read does not land.
      expect(await assignments.setTerms(a.id, { max_live_resources: 2 }, a.updated_at, LATER)).toBeUndefined();
    });
  });
};
