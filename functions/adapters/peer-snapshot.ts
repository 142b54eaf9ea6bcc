import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PeerSnapshot } from '../core/enrolment/ports.ts';
import type { Peer } from '../core/enrolment/schemas.ts';
import { resourceKeys } from './dynamo/keys.ts';
import type { Table, WriteAction } from './dynamo/table.ts';

// A state pull used to list every node of the domain and read all their Resources, so N nodes
// pulling cost O(N²) reads. Instead the domain's live peers are kept in one partition: a head item
// with a version, and buckets of peers. Every change of the peer set (a registration adds, a
// revocation or a release removes) writes its bucket and moves the version in the same transaction
// as the change itself. A pull reads the head; only a version it has not seen makes it read the
// buckets, once per container.

/**
 * At ~110 bytes a peer, 24 buckets stay under the 400 KB item limit up to ~85,000 nodes (a /16 holds
 * 65,534); with the head that is 25 items, the most one TransactGetItems took before DynamoDB
 * raised it to 100 (moto still holds 25).
 */
export const PEER_BUCKETS = 24;

/** Domains whose snapshot a container keeps (a 10,000-node snapshot is a few MB in memory). */
const CACHED_DOMAINS = 16;

const bucketOf = (nodeId: string): number => (createHash('sha256').update(nodeId).digest()[0] as number) % PEER_BUCKETS;
const attributeOf = (nodeId: string): string => `n_${nodeId}`;

/** Short attribute names: a bucket holds thousands of these. */
const StoredPeerSchema = z.object({ m: z.string(), k: z.string() });
const HeadSchema = z.object({ version: z.number(), complete: z.boolean().optional() });

function moveVersion(domainId: string): WriteAction {
  return {
    Update: { Key: resourceKeys.peerHead(domainId), UpdateExpression: 'ADD version :one', ExpressionAttributeValues: { ':one': 1 } },
  };
}

/** The writes that add a live node to its domain's snapshot; they go in the transaction that makes it live. */
export function addPeerActions(domainId: string, peer: Peer): WriteAction[] {
  return [
    {
      Update: {
        Key: resourceKeys.peerBucket(domainId, bucketOf(peer.node_id)),
        UpdateExpression: 'SET #peer = :peer',
        ExpressionAttributeNames: { '#peer': attributeOf(peer.node_id) },
        ExpressionAttributeValues: { ':peer': { m: peer.mesh_ip, k: peer.public_key } },
      },
    },
    moveVersion(domainId),
  ];
}

/** The writes that take a node out of its domain's snapshot (a no-op on the bucket when it is not there). */
export function removePeerActions(domainId: string, nodeId: string): WriteAction[] {
  return [
    {
      Update: {
        Key: resourceKeys.peerBucket(domainId, bucketOf(nodeId)),
        UpdateExpression: 'REMOVE #peer',
        ExpressionAttributeNames: { '#peer': attributeOf(nodeId) },
      },
    },
    moveVersion(domainId),
  ];
}

function peersOf(buckets: ReadonlyArray<Record<string, unknown> | undefined>): Map<string, Peer> {
  const peers = new Map<string, Peer>();
  for (const bucket of buckets) {
    for (const [name, value] of Object.entries(bucket ?? {})) {
      if (!name.startsWith('n_')) continue;
      const stored = StoredPeerSchema.parse(value);
      const nodeId = name.slice(2);
      peers.set(nodeId, { node_id: nodeId, mesh_ip: stored.m, public_key: stored.k });
    }
  }
  return peers;
}

const byNodeId = (a: Peer, b: Peer) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0);

/** Remembers the last snapshot read per domain, least recently used first out. */
const remembered = new Map<string, PeerSnapshot>();
function remember(domainId: string, snapshot: PeerSnapshot): PeerSnapshot {
  remembered.delete(domainId);
  remembered.set(domainId, snapshot);
  if (remembered.size > CACHED_DOMAINS) remembered.delete(remembered.keys().next().value as string);
  return snapshot;
}

/** Forgets what this container remembers (tests that rewrite the table underneath). */
export function forgetPeerSnapshots(): void {
  remembered.clear();
}

export class PeerSnapshots {
  /** `liveNow` reads the live peers the slow way (the node list and every Resource), for a domain whose snapshot is not complete. */
  constructor(
    private readonly table: Table,
    private readonly liveNow: (domainId: string) => Promise<Peer[]>,
  ) {}

  /** The domain's live peers by node id; one read when this container has seen the current version. */
  async current(domainId: string): Promise<PeerSnapshot> {
    const raw = await this.table.getRaw(resourceKeys.peerHead(domainId));
    const head = raw && HeadSchema.parse(raw);
    const known = remembered.get(domainId);
    if (head?.complete && known?.version === String(head.version)) return remember(domainId, known);
    return this.read(domainId);
  }

  private async read(domainId: string): Promise<PeerSnapshot> {
    const keys = [resourceKeys.peerHead(domainId), ...Array.from({ length: PEER_BUCKETS }, (_, i) => resourceKeys.peerBucket(domainId, i))];
    let live: Peer[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      // One consistent read of head and buckets together: no change is seen half applied.
      const [rawHead, ...buckets] = await this.table.transactGet(keys);
      const head = rawHead && HeadSchema.parse(rawHead);
      const stored = peersOf(buckets);
      if (head?.complete) return remember(domainId, { version: String(head.version), peers: [...stored.values()].sort(byNodeId) });
      // Not complete: nodes registered before the snapshot existed are only in the node list.
      live = await this.liveNow(domainId);
      for (const peer of live) if (!stored.has(peer.node_id)) stored.set(peer.node_id, peer);
      const version = (head?.version ?? 0) + 1;
      if (await this.complete(domainId, stored, head?.version, version)) {
        return remember(domainId, { version: String(version), peers: [...stored.values()].sort(byNodeId) });
      }
    }
    // The peer set kept changing while we merged: answer what is live now, with no version to cache.
    return { version: null, peers: live.sort(byNodeId) };
  }

  /** Stores the merged buckets and marks the head complete, unless a change moved the version since it was read. */
  private async complete(domainId: string, peers: Map<string, Peer>, seen: number | undefined, next: number): Promise<boolean> {
    const buckets = new Map<number, Record<string, unknown>>();
    for (const peer of peers.values()) {
      const index = bucketOf(peer.node_id);
      const item = buckets.get(index) ?? { ...resourceKeys.peerBucket(domainId, index) };
      item[attributeOf(peer.node_id)] = { m: peer.mesh_ip, k: peer.public_key };
      buckets.set(index, item);
    }
    const cancelled = await this.table.transact([
      ...[...buckets.values()].map((Item): WriteAction => ({ Put: { Item: Item as { PK: string; SK: string } } })),
      {
        Update: {
          Key: resourceKeys.peerHead(domainId),
          UpdateExpression: 'SET complete = :true, version = :next',
          ConditionExpression: seen === undefined ? 'attribute_not_exists(PK)' : 'version = :seen',
          ExpressionAttributeValues: { ':true': true, ':next': next, ...(seen !== undefined && { ':seen': seen }) },
        },
      },
    ]);
    return cancelled === undefined;
  }
}
