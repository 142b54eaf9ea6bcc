import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourceKeys } from '../../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../../functions/adapters/node-store.ts';
import { bucketOf, forgetPeerSnapshots, PEER_BUCKETS, PeerSnapshots, VERIFY_EVERY_MS } from '../../../functions/adapters/peer-snapshot.ts';
import { livePeersOf } from '../../../functions/core/enrolment/state.ts';
import type { Enrolment } from '../../../functions/core/enrolment/ports.ts';
import { newId } from '../../../functions/core/ids.ts';
import type { Resource } from '../../../functions/core/resources.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { LATER } from '../fixtures.ts';
import { ENROLLED_AT, nodeFixtures, openNodeStores } from '../node-fixtures.ts';

/** The DynamoDB commands `table` sends while `work` runs. */
async function commandsDuring(table: Table, work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const name = `count-${randomUUID()}`;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await work();
  } finally {
    table.client.middlewareStack.remove(name);
  }
  return sent;
}

const peerOf = (e: Enrolment) => ({ node_id: e.node.node_id, mesh_ip: e.node.mesh_ip, public_key: e.node.public_key });
const byNodeId = (a: { node_id: string }, b: { node_id: string }) => (a.node_id < b.node_id ? -1 : 1);

export const peerSnapshotSuite: ConformanceSuite = (backend) => {
  describe('peer snapshot', () => {
    let s: ReturnType<typeof openNodeStores>;
    const { tokenBound, enrolment } = nodeFixtures(() => s);
    const fresh = suiteTable(backend, 'peers');
    beforeAll(() => {
      s = openNodeStores(fresh());
    });

    /** Enrols the node and takes its Resource to Ready: only then is it a peer. */
    const enrolReady = async (e: Enrolment) => {
      expect((await s.nodes.enrol(e)).status).toBe('enrolled');
      const ready = await s.resources.changePhase(e.pointer.resource_id, { from: ['Pending'], to: 'Ready', generation: 1, at: ENROLLED_AT, reason: 'enrolled' });
      expect(ready?.provisioning?.phase).toBe('Ready');
    };

    /** `count` nodes enrolled (their Resources Ready) in a new domain, one project. */
    const enrolled = async (count: number) => {
      const domainId = newId();
      const first = await tokenBound(domainId);
      const all: Array<{ e: Enrolment; resource: Resource }> = [];
      for (let i = 0; i < count; i++) {
        const bound = i === 0 ? first : await tokenBound(domainId, first.project);
        const e = enrolment(bound.resource, bound.tokenHash, `100.64.0.${i + 1}`);
        await enrolReady(e);
        all.push({ e, resource: bound.resource });
      }
      return { domainId, all, project: first.project };
    };

    it('holds the peers by node id: entering Ready adds, a revocation and a release remove, each moving the version', async () => {
      const { domainId, all } = await enrolled(3);
      const first = await s.nodes.peerSnapshot(domainId);
      expect(first.peers).toEqual(all.map(({ e }) => peerOf(e)).sort(byNodeId));
      expect(first.version).not.toBeNull();

      const [revoked, released] = all;
      await s.resources.revokeCredentials(revoked?.resource.id as string, LATER);
      const afterRevoke = await s.nodes.peerSnapshot(domainId);
      expect(afterRevoke.peers.map((p) => p.node_id)).not.toContain(revoked?.e.node.node_id);
      expect(afterRevoke.peers).toHaveLength(2);
      expect(afterRevoke.version).not.toBe(first.version);

      await s.nodes.release(released?.e.pointer as Enrolment['pointer']);
      const afterRelease = await s.nodes.peerSnapshot(domainId);
      expect(afterRelease.peers).toEqual([peerOf(all[2]?.e as Enrolment)]);
      expect(afterRelease.version).not.toBe(afterRevoke.version);
      // Another domain's snapshot is its own.
      expect((await s.nodes.peerSnapshot(newId())).peers).toEqual([]);
    });

    it('lists a node only while its Resource is Ready: not once registered, not once a teardown starts or the Resource fails', async () => {
      const { domainId, all, project } = await enrolled(2);
      const bound = await tokenBound(domainId, project);
      const registered = enrolment(bound.resource, bound.tokenHash, '100.64.0.60');
      expect((await s.nodes.enrol(registered)).status).toBe('enrolled');
      const peerIds = async () => (await s.nodes.peerSnapshot(domainId)).peers.map((p) => p.node_id);
      expect(await peerIds()).toEqual(all.map(({ e }) => e.node.node_id).sort());

      const [leaving, failing] = all;
      const torn = await s.resources.startRun(leaving?.resource.id as string, {
        expectedGeneration: 1,
        run: 'teardown',
        phase: 'Deregistering',
        fromPhases: ['Ready'],
        at: LATER,
        reason: 'delete requested',
      });
      expect(torn?.provisioning?.phase).toBe('Deregistering');
      const failed = await s.resources.changePhase(failing?.resource.id as string, { from: ['Ready'], to: 'Failed', generation: 1, at: LATER, reason: 'failed' });
      expect(failed?.node?.revoked_at).toBe(LATER);
      expect(await peerIds()).toEqual([]);
      // The truth agrees: a check against it adds none of them back.
      await s.table.update({
        Key: resourceKeys.peerHead(domainId),
        UpdateExpression: 'SET verified_at = :long_ago',
        ExpressionAttributeValues: { ':long_ago': Date.now() - VERIFY_EVERY_MS - 1 },
      });
      forgetPeerSnapshots();
      expect(await peerIds()).toEqual([]);
    });

    it('costs one read while unchanged, and one consistent read of head and buckets (three groups) after a change', async () => {
      const { domainId, project } = await enrolled(2);
      await s.nodes.peerSnapshot(domainId);
      expect(await commandsDuring(s.table, () => s.nodes.peerSnapshot(domainId))).toEqual(['GetItemCommand']);
      // A second store in the same container shares what the first one read.
      expect(await commandsDuring(s.table, () => new DynamoNodeStore(s.table).peerSnapshot(domainId))).toEqual(['GetItemCommand']);

      const bound = await tokenBound(domainId, project);
      await enrolReady(enrolment(bound.resource, bound.tokenHash, '100.64.0.9'));
      let changed: Awaited<ReturnType<DynamoNodeStore['peerSnapshot']>> | undefined;
      expect(
        await commandsDuring(s.table, async () => {
          changed = await s.nodes.peerSnapshot(domainId);
        }),
      ).toEqual(['GetItemCommand', ...SNAPSHOT_READ]);
      expect(changed?.peers).toHaveLength(3);
    });

    it('completes the snapshot of a domain whose nodes registered before it existed, once', async () => {
      const { domainId, all } = await enrolled(3);
      // As a table written before snapshots: nodes and pointers, no head and no buckets.
      for (const key of [resourceKeys.peerHead(domainId), ...Array.from({ length: PEER_BUCKETS }, (_, i) => resourceKeys.peerBucket(domainId, i))]) {
        await s.table.delete(key);
      }
      forgetPeerSnapshots();
      const completed = await s.nodes.peerSnapshot(domainId);
      expect(completed.peers).toEqual(all.map(({ e }) => peerOf(e)).sort(byNodeId));
      expect(await s.table.getRaw(resourceKeys.peerHead(domainId))).toMatchObject({ complete: true });
      forgetPeerSnapshots();
      // Complete now: read from the snapshot, not the node list.
      expect(await commandsDuring(s.table, () => s.nodes.peerSnapshot(domainId))).toEqual(['GetItemCommand', ...SNAPSHOT_READ]);
    });

    it('is brought back to the truth when its check is due: what a writer that kept no snapshot changed is repaired', async () => {
      const { domainId, all, project } = await enrolled(3);
      await s.nodes.peerSnapshot(domainId);
      // An older writer: revokes a node and enrols another without touching the snapshot.
      const [revoked] = all;
      const at = new Date().toISOString();
      await s.table.update({
        Key: resourceKeys.resource(revoked?.resource.id as string),
        UpdateExpression: 'SET #node.revoked_at = :at',
        ExpressionAttributeNames: { '#node': 'node' },
        ExpressionAttributeValues: { ':at': at },
      });
      const bound = await tokenBound(domainId, project);
      const unseen = enrolment(bound.resource, bound.tokenHash, '100.64.0.40');
      await enrolReady(unseen);
      for (let b = 0; b < PEER_BUCKETS; b++) {
        await s.table.update({
          Key: resourceKeys.peerBucket(domainId, b),
          UpdateExpression: 'REMOVE #peer',
          ExpressionAttributeNames: { '#peer': `n_${unseen.node.node_id}` },
        });
      }
      // Not due yet: another container serves the snapshot as it is stored.
      forgetPeerSnapshots();
      const stale = await s.nodes.peerSnapshot(domainId);
      expect(stale.peers.map((p) => p.node_id)).toContain(revoked?.e.node.node_id);
      expect(stale.peers.map((p) => p.node_id)).not.toContain(unseen.node.node_id);
      // Due: the next pull takes the lease and repairs.
      await s.table.update({
        Key: resourceKeys.peerHead(domainId),
        UpdateExpression: 'SET verified_at = :long_ago',
        ExpressionAttributeValues: { ':long_ago': Date.now() - VERIFY_EVERY_MS - 1 },
      });
      const repaired = await s.nodes.peerSnapshot(domainId);
      const expected = [...all.slice(1).map(({ e }) => peerOf(e)), peerOf(unseen)].sort(byNodeId);
      expect(repaired.peers).toEqual(expected);
      expect(repaired.version).not.toBe(stale.version);
      expect(await s.table.getRaw(resourceKeys.peerHead(domainId))).not.toHaveProperty('verifying_until');
      forgetPeerSnapshots();
      expect((await s.nodes.peerSnapshot(domainId)).peers).toEqual(expected);
    });

    it('never overwrites a change that lands while it repairs: the repair starts again', async () => {
      const { domainId, project, all } = await enrolled(2);
      let landed: Enrolment | undefined;
      let ghost: string | undefined;
      const snapshots = new PeerSnapshots(s.table, {
        livePeers: async (id) => {
          // The node list lags (as a GSI does): the node that lands is never in it.
          const truth = livePeersOf(await s.nodes.domainNodes(id)).filter((p) => p.node_id !== landed?.node.node_id);
          if (landed) return truth;
          // A registration commits between the truth being read and the repair writing; the truth
          // also names a peer in the same bucket, so the repair rewrites that very bucket.
          const bound = await tokenBound(domainId, project);
          landed = enrolment(bound.resource, bound.tokenHash, '100.64.0.50');
          await enrolReady(landed);
          do ghost = newId();
          while (bucketOf(ghost) !== bucketOf(landed.node.node_id));
          return [...truth, { node_id: ghost, mesh_ip: '100.64.0.51', public_key: 'ghost' }];
        },
        stillLive: async (ids) => new Set(ids.filter((id) => id !== ghost)),
      });
      const snapshot = await snapshots.current(domainId);
      expect(snapshot.peers.map((p) => p.node_id).sort()).toEqual([...all.map(({ e }) => e.node.node_id), landed?.node.node_id].sort());
    });
  });
};

/** A snapshot read: head and buckets in three groups, each one TransactGetItems. */
const SNAPSHOT_READ = Array.from({ length: PEER_BUCKETS / 8 }, () => 'TransactGetItemsCommand');
