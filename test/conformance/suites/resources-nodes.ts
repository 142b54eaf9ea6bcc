import { beforeAll, describe, expect, it } from 'vitest';
import { resourceKeys } from '../../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../../functions/adapters/node-store.ts';
import { DynamoResourceStore } from '../../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../../functions/adapters/tenancy-store.ts';
import type { CapabilityManifest, } from '../../../functions/core/enrolment/ports.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Resource } from '../../../functions/core/resources.ts';
import type { Project } from '../../../functions/core/tenancy.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { AT, allPages, LATER, project, rejectionOf, resource, sortedIds } from '../fixtures.ts';
import { nodeFixtures } from '../node-fixtures.ts';
import { contend, values } from './contention.ts';

const T2 = '2026-06-01T00:10:00.000Z';
const T3 = '2026-06-01T00:20:00.000Z';
const SUBSTRATE = { provider: 'aws' as const, region: 'us-east-1', client_token: 'token-1', launch_requested_at: AT };

export const resourceStoreSuite: ConformanceSuite = (backend) => {
  describe('resource store', () => {
    let table: Table;
    let tenancy: DynamoTenancyStore;
    let store: DynamoResourceStore;
    const newProject = async (): Promise<Project> => {
      const p = project(newId());
      await tenancy.createProject(p);
      return p;
    };
    const count = async (p: Project) => (await tenancy.getProject(p.id))?.resource_count;
    const fresh = suiteTable(backend, 'resources');
    beforeAll(async () => {
      table = fresh();
      tenancy = new DynamoTenancyStore(table);
      store = new DynamoResourceStore(table);
    });

    it('creates a Resource counted by its project; a missing project is not found', async () => {
      const p = await newProject();
      const r = resource(p);
      expect(await store.create(r)).toEqual({ resource: r, replayed: false });
      expect(await store.get(r.id)).toEqual(r);
      expect(await count(p)).toBe(1);
      const orphan = await rejectionOf(store.create(resource({ id: newId(), domain_id: p.domain_id })));
      expect(orphan).toMatchObject({ name: 'NotFoundError', code: 'project_not_found' });
    });

    it('replays a create with the same Idempotency-Key and body, and refuses the key with another body', async () => {
      const p = await newProject();
      const first = resource(p);
      const key = `key-${newId()}`;
      expect(await store.create(first, { key, requestHash: 'hash-a' })).toEqual({ resource: first, replayed: false });
      expect(await store.reservedId(p.id, key)).toEqual({ id: first.id, requestHash: 'hash-a' });
      const replay = await store.create(resource(p), { key, requestHash: 'hash-a' });
      expect(replay).toEqual({ resource: first, replayed: true });
      const reused = await rejectionOf(store.create(resource(p), { key, requestHash: 'hash-b' }));
      expect(reused).toMatchObject({ name: 'ConflictError', code: 'idempotency_key_reused' });
      expect(await count(p)).toBe(1);
      expect(await store.reservedId(p.id, 'never-used')).toBeUndefined();
    });

    it('lists a project’s Resources in pages and the Resources with a run in flight', async () => {
      const p = await newProject();
      const created = Array.from({ length: 3 }, () => resource(p));
      for (const r of created) await store.create(r);
      const pages = await allPages((page) => store.listByProject(p.id, page), 2);
      expect(pages.flat().map((r) => r.id)).toEqual(sortedIds(created));
      const active = new Set((await store.listActive()).map((r) => r.id));
      for (const r of created) expect(active.has(r.id)).toBe(true);
    });

    it('moves through phases fenced on phase and generation, and keeps the run’s bookkeeping', async () => {
      const p = await newProject();
      const r = resource(p);
      await store.create(r);
      expect(await store.recordLaunchIntent(r.id, 2, SUBSTRATE, AT)).toBeUndefined();
      expect((await store.recordLaunchIntent(r.id, 1, SUBSTRATE, AT))?.provisioning?.substrate).toEqual(SUBSTRATE);

      expect(await store.changePhase(r.id, { from: ['Pending'], to: 'Provisioning', generation: 2, at: T2, reason: 'stale run' })).toBeUndefined();
      expect(await store.changePhase(r.id, { from: ['Enrolling'], to: 'Ready', generation: 1, at: T2, reason: 'wrong phase' })).toBeUndefined();
      const provisioning = await store.changePhase(r.id, {
        from: ['Pending'],
        to: 'Provisioning',
        generation: 1,
        at: T2,
        reason: 'launching',
        waitingOn: 'machine',
        deadline: LATER,
        substrate: { ...SUBSTRATE, instance_id: 'i-0123456789abcdef0', instance_state: 'pending' },
      });
      expect(provisioning?.provisioning).toMatchObject({
        phase: 'Provisioning',
        reason: 'launching',
        waiting_on: 'machine',
        deadline: LATER,
        substrate: { instance_id: 'i-0123456789abcdef0' },
        transitions: [
          { phase: 'Pending', at: AT },
          { phase: 'Provisioning', at: T2 },
        ],
      });
      expect(provisioning?.updated_at).toBe(T2);

      const annotated = await store.annotate(r.id, 1, { waiting_on: 'enrolment', enrol_task_token: 'task-token' }, T3);
      expect(annotated?.provisioning).toMatchObject({ waiting_on: 'enrolment', enrol_task_token: 'task-token', phase: 'Provisioning' });
      expect(await store.annotate(r.id, 7, { reason: 'late' }, T3)).toBeUndefined();

      const enrolling = await store.changePhase(r.id, { from: ['Provisioning'], to: 'Enrolling', generation: 1, at: T3, reason: 'running' });
      // Fields the change does not name are dropped; the task token too (it belonged to the wait).
      expect(enrolling?.provisioning?.waiting_on).toBeUndefined();
      expect(enrolling?.provisioning?.deadline).toBeUndefined();
      expect(enrolling?.provisioning?.enrol_task_token).toBeUndefined();
      expect(enrolling?.provisioning?.substrate?.instance_id).toBe('i-0123456789abcdef0');
    });

    it('starts a teardown run over a newer generation, revokes credentials, and uncounts the Resource at Deleted', async () => {
      const p = await newProject();
      const r = resource(p);
      await store.create(r);
      const bound = await store.bindBootstrapToken(r.id, 1, { hash: `hash-${newId()}`, issued_at: AT, expires_at: LATER });
      expect(bound?.bootstrap).toMatchObject({ issued_at: AT, expires_at: LATER });
      expect(await store.bindBootstrapToken(r.id, 9, { hash: 'other', issued_at: AT, expires_at: LATER })).toBeUndefined();

      expect(await store.startRun(r.id, { expectedGeneration: 5, run: 'teardown', phase: 'Deregistering', fromPhases: ['Pending'], at: T2, reason: 'x' })).toBeUndefined();
      const teardown = await store.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deregistering', fromPhases: ['Pending'], at: T2, reason: 'delete requested' });
      expect(teardown?.provisioning).toMatchObject({ generation: 2, run: 'teardown', phase: 'Deregistering', reason: 'delete requested' });
      expect(teardown?.provisioning?.transitions.at(-1)).toEqual({ phase: 'Deregistering', at: T2 });

      const revoked = await store.revokeCredentials(r.id, T2);
      expect(revoked?.bootstrap?.revoked_at).toBe(T2);
      expect(await store.revokeCredentials(newId(), T2)).toBeUndefined();

      await store.changePhase(r.id, { from: ['Deregistering'], to: 'Deprovisioning', generation: 2, at: T3, reason: 'terminating' });
      expect(await count(p)).toBe(1);
      const deleted = await store.changePhase(r.id, { from: ['Deprovisioning'], to: 'Deleted', generation: 2, at: LATER, reason: 'gone' });
      expect(deleted?.provisioning?.phase).toBe('Deleted');
      expect(await count(p)).toBe(0);
      expect((await store.listActive()).map((x) => x.id)).not.toContain(r.id);
      // A retried Deleted write is refused and uncounts nothing twice.
      expect(await store.changePhase(r.id, { from: ['Deprovisioning'], to: 'Deleted', generation: 2, at: LATER, reason: 'gone' })).toBeUndefined();
      expect(await count(p)).toBe(0);
      await tenancy.deleteProject(p);
    });

    it('retires an adopted Resource once, off its project’s list and count; a provisioned one is not retired', async () => {
      const p = await newProject();
      // An adopted Resource has no provisioning phases: nothing of it is the broker's to run.
      const { provisioning: _, ...base } = resource(p);
      const adopted: Resource = { ...base, origin: 'adopted', external_ref: 'i-0abc' };
      await store.create(adopted);
      const provisioned = resource(p);
      await store.create(provisioned);
      expect(await count(p)).toBe(2);
      const retired = await store.retireAdopted(adopted.id, T2);
      expect(retired).toMatchObject({ id: adopted.id, deleted_at: T2, updated_at: T2 });
      expect(await store.retireAdopted(adopted.id, T3)).toMatchObject({ deleted_at: T2 });
      expect(await count(p)).toBe(1);
      expect((await store.listByProject(p.id, { limit: 10 })).items.map((r) => r.id)).toEqual([provisioned.id]);
      expect(await store.retireAdopted(provisioned.id, T2)).toBeUndefined();
    });
  });
};

const manifest: CapabilityManifest = {
  binary_version: '1.2.3',
  binary_checksum: Buffer.alloc(32, 7).toString('base64'),
  ssh_host_key_fingerprint: '',
  declared_hooks: [{ name: 'drain', checksum: 'abc' }],
  plexd_hooks: [],
};

export const nodeStoreSuite: ConformanceSuite = (backend) => {
  describe('node store', () => {
    let table: Table;
    let tenancy: DynamoTenancyStore;
    let resources: DynamoResourceStore;
    let nodes: DynamoNodeStore;
    const { tokenBound, enrolment } = nodeFixtures(() => ({ tenancy, resources }));
    const fresh = suiteTable(backend, 'nodes');
    beforeAll(async () => {
      table = fresh();
      tenancy = new DynamoTenancyStore(table);
      resources = new DynamoResourceStore(table);
      nodes = new DynamoNodeStore(table);
    });

    it('reserves a distinct start per registration, and moves the counter past skipped addresses only with an enrolment', async () => {
      const domainId = newId();
      const counter = async () => (await table.getRaw(resourceKeys.meshCounter(domainId)))?.next_index;
      // Concurrent where the backend isolates writes (moto's UpdateItem does not: see contend).
      const starts = values(await contend(backend(), [1, 2, 3].map(() => () => nodes.reserveMeshIndex(domainId))));
      expect(starts.sort()).toEqual([1, 2, 3]);
      const first = await tokenBound(domainId);
      // Two addresses skipped (taken meanwhile), the third one taken.
      expect((await nodes.enrol(enrolment(first.resource, first.tokenHash, '100.64.0.4', undefined, 2))).status).toBe('enrolled');
      expect(await counter()).toBe(5);
      // A refused enrolment moves nothing.
      const second = await tokenBound(domainId, first.project);
      expect((await nodes.enrol(enrolment(second.resource, second.tokenHash, '100.64.0.4', undefined, 2))).status).toBe('refused');
      expect(await counter()).toBe(5);
      expect(await nodes.reserveMeshIndex(newId())).toBe(1);
    });

    it('tells whether a nonce is free in a project, or held by this very registration', async () => {
      const domainId = newId();
      const { resource: r, tokenHash } = await tokenBound(domainId);
      const e = enrolment(r, tokenHash, '100.64.0.9');
      const same = { token_hash: tokenHash, public_key: e.node.public_key };
      expect(await nodes.nonceAvailable(r.project_id, e.nonce, same)).toBe(true);
      expect((await nodes.enrol(e)).status).toBe('enrolled');
      expect(await nodes.nonceAvailable(r.project_id, e.nonce, same)).toBe(true);
      expect(await nodes.nonceAvailable(r.project_id, e.nonce, { ...same, token_hash: 'another' })).toBe(false);
      expect(await nodes.nonceAvailable(newId(), e.nonce, { ...same, token_hash: 'another' })).toBe(true);
    });

    it('enrols a node in one write: token redeemed, nonce and mesh IP taken, pointer written and found', async () => {
      const domainId = newId();
      const { resource: r, tokenHash } = await tokenBound(domainId);
      expect(await nodes.resourceForToken(tokenHash)).toMatchObject({ id: r.id });
      expect(await nodes.resourceForToken('unknown')).toBeUndefined();
      const e = enrolment(r, tokenHash, '100.64.0.1');
      const outcome = await nodes.enrol(e);
      expect(outcome.status).toBe('enrolled');
      expect(outcome.resource?.node).toEqual(e.node);
      expect(outcome.resource?.bootstrap?.consumed_at).toBe(T2);
      expect(await nodes.takenMeshIps(domainId, ['100.64.0.1', '100.64.0.2'])).toEqual(new Set(['100.64.0.1']));
      expect(await nodes.find(e.pointer.node_id)).toEqual({ pointer: e.pointer, resource: outcome.resource });
      expect(await nodes.find(newId())).toBeUndefined();
    });

    it('refuses an enrolment whole, saying which of nonce, mesh IP and token were refused', async () => {
      const domainId = newId();
      const first = await tokenBound(domainId);
      const taken = enrolment(first.resource, first.tokenHash, '100.64.0.1');
      expect((await nodes.enrol(taken)).status).toBe('enrolled');

      // Another Resource of the same project reusing the nonce and the address.
      const second = await tokenBound(domainId, first.project);
      const clash = enrolment(second.resource, second.tokenHash, '100.64.0.1', taken.nonce);
      expect(await nodes.enrol(clash)).toEqual({ status: 'refused', nonceTaken: true, meshIpTaken: true, tokenRefused: false });
      // Nothing of it was written: its token is still unconsumed and its pointer absent.
      expect((await resources.get(second.resource.id))?.bootstrap?.consumed_at).toBeUndefined();
      expect(await nodes.find(clash.pointer.node_id)).toBeUndefined();

      // The first token again: refused, with the Resource as it was.
      const replayed = await nodes.enrol(enrolment(first.resource, first.tokenHash, '100.64.0.9'));
      expect(replayed).toMatchObject({ status: 'refused', nonceTaken: false, meshIpTaken: false, tokenRefused: true });
      expect(replayed.status === 'refused' && replayed.resource?.node?.node_id).toBe(taken.node.node_id);
    });

    it('records heartbeats and capabilities, lists a domain’s nodes, marks a revoked node refused, and releases it', async () => {
      const domainId = newId();
      const { resource: r, tokenHash } = await tokenBound(domainId);
      const e = enrolment(r, tokenHash, '100.64.0.7');
      await nodes.enrol(e);
      const nodeId = e.node.node_id;

      const beat = await nodes.recordHeartbeat(r.id, nodeId, T3, '1.2.3');
      expect(beat?.node).toMatchObject({ first_heartbeat_at: T3, last_heartbeat_at: T3, binary_version: '1.2.3' });
      expect((await nodes.recordHeartbeat(r.id, nodeId, LATER, '1.2.4'))?.node).toMatchObject({ first_heartbeat_at: T3, last_heartbeat_at: LATER });
      expect(await nodes.recordHeartbeat(r.id, newId(), LATER, '1')).toBeUndefined();

      expect(await nodes.getCapabilities(nodeId)).toBeUndefined();
      expect(await nodes.putCapabilities(nodeId, { manifest, accepted_at: T3 })).toBe(true);
      expect(await nodes.getCapabilities(nodeId)).toEqual({ manifest, accepted_at: T3 });
      expect(await nodes.putCapabilities(newId(), { manifest, accepted_at: T3 })).toBe(false);

      const listed = await nodes.domainNodes(domainId);
      expect(listed).toEqual([{ pointer: e.pointer, resource: expect.objectContaining({ id: r.id }) }]);

      await nodes.markRefused(r.id, nodeId, LATER);
      expect((await resources.get(r.id))?.node?.refused_at).toBeUndefined();
      await resources.revokeCredentials(r.id, LATER);
      await nodes.markRefused(r.id, nodeId, LATER);
      expect((await resources.get(r.id))?.node).toMatchObject({ revoked_at: LATER, refused_at: LATER });
      expect(await nodes.recordHeartbeat(r.id, nodeId, LATER, '1.2.5')).toBeUndefined();

      const current = (await resources.get(r.id)) as Resource;
      await resources.releaseNode(current);
      await resources.releaseNode(current);
      expect(await nodes.find(nodeId)).toBeUndefined();
      expect(await nodes.takenMeshIps(domainId, ['100.64.0.7'])).toEqual(new Set());
      expect(await nodes.domainNodes(domainId)).toEqual([]);
    });

    it('releases only its own mesh IP: an address taken over by another node stays that node’s', async () => {
      const domainId = newId();
      const a = await tokenBound(domainId);
      const ea = enrolment(a.resource, a.tokenHash, '100.64.0.20');
      await nodes.enrol(ea);
      await nodes.release(ea.pointer);
      const b = await tokenBound(domainId, a.project);
      const eb = enrolment(b.resource, b.tokenHash, '100.64.0.20');
      expect((await nodes.enrol(eb)).status).toBe('enrolled');
      await nodes.release(ea.pointer);
      expect(await nodes.takenMeshIps(domainId, ['100.64.0.20'])).toEqual(new Set(['100.64.0.20']));
      expect(await nodes.find(eb.node.node_id)).toBeDefined();
    });
  });
};
