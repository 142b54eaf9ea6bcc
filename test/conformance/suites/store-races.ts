import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../../functions/adapters/assignment-store.ts';
import { keys, resourceKeys } from '../../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../../functions/adapters/node-store.ts';
import { DynamoResourceStore } from '../../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../../functions/adapters/tenancy-store.ts';
import type { Enrolment } from '../../../functions/core/enrolment/ports.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type Resource, ResourceSchema } from '../../../functions/core/resources.ts';
import type { Project } from '../../../functions/core/tenancy.ts';
import { type ConformanceSuite, dynamoClient, freshTable } from '../backend.ts';
import { AT, assignment, LATER, project, rejectionOf, resource } from '../fixtures.ts';
import { contend, tally, values } from './contention.ts';

// Each invariant that spans items is one TransactWriteItems. Many writers race for it at once,
// and exactly one may win; every loser leaves nothing behind. Against a backend that ignored a
// transaction's conditions (or applied half of one), these fail: two winners, or debris.

const RACERS = 8;

export const storeRaces: ConformanceSuite = (backend) => {
  describe('races on the invariants that span items', () => {
    let client: DynamoDBDocumentClient;
    let table: Table;
    let tenancy: DynamoTenancyStore;
    const domainId = newId();

    beforeAll(() => {
      client = dynamoClient(backend());
    });
    beforeEach(async () => {
      table = await freshTable(backend(), client, 'races');
      tenancy = new DynamoTenancyStore(table);
    });

    it('one project per (domain, slug): of concurrent creates one wins, the others store nothing', async () => {
      const racers = Array.from({ length: RACERS }, () => project(domainId, { slug: 'contested' }));
      expect(tally(await contend(backend(), racers.map((p) => () => tenancy.createProject(p))))).toEqual({
        won: 1,
        codes: Array(RACERS - 1).fill('project_slug_conflict'),
      });
      const stored = (await Promise.all(racers.map((p) => tenancy.getProject(p.id)))).filter(Boolean);
      expect(stored).toHaveLength(1);
      expect(await table.getRaw(keys.projectSlug(domainId, 'contested'))).toMatchObject({ id: stored[0]?.id });
    });

    it('a project and its slug go together: once deleted, the slug is free again', async () => {
      const first = project(domainId, { slug: 'reused' });
      await tenancy.createProject(first);
      await tenancy.deleteProject(first);
      expect(await table.getRaw(keys.projectSlug(domainId, 'reused'))).toBeUndefined();
      await tenancy.createProject(project(domainId, { slug: 'reused' }));
    });

    it('one live assignment per (project, credential): of concurrent requests one wins', async () => {
      const store = new DynamoAssignmentStore(table);
      const projectId = newId();
      const credentialId = newId();
      const racers = Array.from({ length: RACERS }, () => assignment({ project_id: projectId, cloud_credential_id: credentialId, domain_id: domainId }));
      const live = async () => true;
      expect(tally(await contend(backend(), racers.map((a) => () => store.create(a, live))))).toEqual({
        won: 1,
        codes: Array(RACERS - 1).fill('duplicate_live_assignment'),
      });
      const stored = (await Promise.all(racers.map((a) => store.get(a.id)))).filter(Boolean);
      expect(stored).toHaveLength(1);
      expect((await store.findLive(projectId, credentialId))?.id).toBe(stored[0]?.id);
    });

    it('a decided assignment frees its slot in the same write, and an expired request is taken over', async () => {
      const store = new DynamoAssignmentStore(table);
      const first = assignment({ domain_id: domainId, expires_at: LATER });
      await store.create(first, async () => true);
      const rejected = await store.transition(first.id, { from: 'requested', to: 'rejected', decidedBy: newId(), at: AT, reason: 'no' });
      expect(rejected?.state).toBe('rejected');
      expect(await store.findLive(first.project_id, first.cloud_credential_id)).toBeUndefined();

      const second = { ...assignment({ domain_id: domainId }), project_id: first.project_id, cloud_credential_id: first.cloud_credential_id };
      await store.create(second, async () => true);
      // The holder is past its expiry: the caller's judgement expires it, and the slot changes hands.
      const third = { ...assignment({ domain_id: domainId }), project_id: first.project_id, cloud_credential_id: first.cloud_credential_id };
      await store.create(third, async (holder) => {
        await store.expire(holder.id, LATER);
        return false;
      });
      expect((await store.get(second.id))?.state).toBe('rejected');
      expect((await store.findLive(first.project_id, first.cloud_credential_id))?.id).toBe(third.id);
    });

    describe('a Resource, its project count and its Idempotency-Key', () => {
      let owner: Project;
      let resources: DynamoResourceStore;
      const count = async () => (await table.getRaw(keys.project(owner.id)))?.resource_count;

      beforeEach(async () => {
        owner = project(domainId);
        await tenancy.createProject(owner);
        resources = new DynamoResourceStore(table);
      });

      it('concurrent creates with one key and one body make one Resource, counted once', async () => {
        const racers = Array.from({ length: RACERS }, () => resource(owner));
        const idempotency = { key: 'same-key', requestHash: 'h1' };
        const outcomes = values(await contend(backend(), racers.map((r) => () => resources.create(r, idempotency))));
        expect(new Set(outcomes.map((o) => o.resource.id)).size).toBe(1);
        expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
        expect(await count()).toBe(1);
        const stored = (await Promise.all(racers.map((r) => resources.get(r.id)))).filter(Boolean);
        expect(stored).toHaveLength(1);
      });

      it('the same key with another body is refused and stores nothing', async () => {
        await resources.create(resource(owner), { key: 'k', requestHash: 'h1' });
        const other = resource(owner);
        expect((await rejectionOf(resources.create(other, { key: 'k', requestHash: 'h2' }))).code).toBe('idempotency_key_reused');
        expect(await resources.get(other.id)).toBeUndefined();
        expect(await count()).toBe(1);
      });

      it('a project is deleted or holds a Resource, never both: delete and create race', async () => {
        const r = resource(owner);
        const [created, deleted] = (await contend<unknown>(backend(), [() => resources.create(r), () => tenancy.deleteProject(owner)])) as [
          PromiseSettledResult<unknown>,
          PromiseSettledResult<unknown>,
        ];
        const projectLeft = await tenancy.getProject(owner.id);
        const resourceLeft = await resources.get(r.id);
        if (created.status === 'fulfilled') {
          expect(deleted).toMatchObject({ status: 'rejected', reason: { code: 'project_not_empty' } });
          expect(projectLeft?.resource_count).toBe(1);
          expect(resourceLeft?.id).toBe(r.id);
        } else {
          expect(created.reason).toMatchObject({ code: 'project_not_found' });
          expect(deleted.status).toBe('fulfilled');
          expect(projectLeft).toBeUndefined();
          expect(resourceLeft).toBeUndefined();
        }
      });

      it('reaching Deleted frees the count once, however often the step is retried', async () => {
        const r = resource(owner);
        await resources.create(r);
        const toDeleted = { from: ['Pending' as const], to: 'Deleted' as const, generation: 1, at: LATER, reason: 'gone' };
        const outcomes = values(await contend(backend(), [1, 2, 3].map(() => () => resources.changePhase(r.id, toDeleted))));
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await count()).toBe(0);
        await tenancy.deleteProject(owner);
      });
    });

    describe('a node, its mesh IP, its nonce and its token', () => {
      const tokenHash = (r: Resource) => `hash-${r.id}`;
      let owner: Project;
      let nodes: DynamoNodeStore;

      beforeEach(async () => {
        owner = project(domainId);
        await tenancy.createProject(owner);
        nodes = new DynamoNodeStore(table);
      });

      /** A Resource waiting for its node, with an unconsumed token bound to it. */
      async function enrolling(): Promise<Resource> {
        const r = resource(owner);
        await new DynamoResourceStore(table).create(r);
        await table.put({
          ...resourceKeys.resource(r.id),
          ...r,
          bootstrap: { hash: tokenHash(r), issued_at: AT, expires_at: '2999-01-01T00:00:00.000Z' },
        });
        return r;
      }

      const enrolment = (r: Resource, ip: string, nonce: string): Enrolment => {
        const nodeId = newId();
        return {
          pointer: { node_id: nodeId, resource_id: r.id, project_id: owner.id, domain_id: domainId, mesh_ip: ip },
          node: { node_id: nodeId, mesh_ip: ip, public_key: `key-${r.id}`, nsk_hash: 'nsk', registered_at: LATER },
          tokenHash: tokenHash(r),
          nonce,
          at: LATER,
          meshCounterAdvance: 0,
        };
      };

      it('one node per mesh IP: of concurrent enrolments at one address one wins, the others write nothing', async () => {
        const racers = await Promise.all(Array.from({ length: RACERS }, () => enrolling()));
        const attempts = racers.map((r, i) => enrolment(r, '100.64.0.9', `nonce-${i}`));
        const outcomes = values(await contend(backend(), attempts.map((e) => () => nodes.enrol(e))));
        const winners = outcomes.filter((o) => o.status === 'enrolled');
        expect(winners).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'refused') expect(o).toMatchObject({ meshIpTaken: true, nonceTaken: false, tokenRefused: false });
        for (const [i, e] of attempts.entries()) {
          const won = outcomes[i]?.status === 'enrolled';
          expect(await table.getRaw(resourceKeys.node(e.pointer.node_id)), `pointer ${i}`).toEqual(won ? expect.anything() : undefined);
          expect((await table.get(resourceKeys.resource(e.pointer.resource_id), ResourceSchema))?.node?.node_id, `resource ${i}`).toBe(won ? e.pointer.node_id : undefined);
        }
        expect(await table.getRaw(resourceKeys.meshIp(domainId, '100.64.0.9'))).toMatchObject({ node_id: winners[0]?.resource.node?.node_id });
      });

      it('a token enrols one node: the second registration is refused with the Resource as it was', async () => {
        const r = await enrolling();
        expect((await nodes.enrol(enrolment(r, '100.64.0.1', 'a'))).status).toBe('enrolled');
        const again = await nodes.enrol(enrolment(r, '100.64.0.2', 'b'));
        expect(again).toMatchObject({ status: 'refused', tokenRefused: true, meshIpTaken: false });
        expect(again.status === 'refused' && again.resource?.bootstrap?.consumed_at).toBe(LATER);
        expect(await table.getRaw(resourceKeys.meshIp(domainId, '100.64.0.2'))).toBeUndefined();
      });

      it('a nonce is used once in a project, except by a retry of the same registration', async () => {
        const [a, b] = [await enrolling(), await enrolling()];
        const first = enrolment(a, '100.64.0.1', 'shared');
        expect(await nodes.enrol(enrolment(b, '100.64.0.2', 'shared'))).toMatchObject({ status: 'enrolled' });
        expect(await nodes.enrol(first)).toMatchObject({ status: 'refused', nonceTaken: true });
        expect(await table.getRaw(resourceKeys.meshIp(domainId, '100.64.0.1'))).toBeUndefined();
      });

      it('releasing a node frees its address and pointer together, and leaves a newer holder alone', async () => {
        const r = await enrolling();
        const e = enrolment(r, '100.64.0.3', 'n');
        await nodes.enrol(e);
        await nodes.release(e.pointer);
        await nodes.release(e.pointer);
        expect(await table.getRaw(resourceKeys.node(e.pointer.node_id))).toBeUndefined();
        expect(await table.getRaw(resourceKeys.meshIp(domainId, '100.64.0.3'))).toBeUndefined();
        const next = enrolment(await enrolling(), '100.64.0.3', 'm');
        await nodes.enrol(next);
        await nodes.release({ ...e.pointer });
        expect(await table.getRaw(resourceKeys.meshIp(domainId, '100.64.0.3'))).toMatchObject({ node_id: next.pointer.node_id });
      });
    });
  });
};
