import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { PeerSnapshot } from '../core/enrolment/ports.ts';
import type { Peer } from '../core/enrolment/schemas.ts';
import { resourceKeys } from './dynamo/keys.ts';
import type { Table, WriteAction } from './dynamo/table.ts';

// A state pull used to list every node of the domain and read all their Resources, so N nodes
// pulling cost O(N²) reads. Instead the domain's live peers are kept in one partition: a head item
// with a version, and buckets of peers, each with its own version. Peers are the nodes of Ready
// Resources: every change of the peer set (entering Ready adds; leaving Ready, a revocation or a
// release removes) writes its bucket and moves both versions in the same transaction as the change
// itself. A pull reads the head; only a version it has not
// seen makes it read the buckets, once per container.
//
// A writer that does not keep the snapshot (an older version of the code while a deploy rolls, a
// rollback) could leave it behind the truth, so the snapshot is checked against the truth (the node
// list and every Resource) when it is first built and again every VERIFY_EVERY_MS, by one pull
// that takes a short lease for it. A repair writes each bucket whole, conditioned on the bucket's
// own version, so a change that lands meanwhile is never overwritten.

/**
 * At ~110 bytes a peer, 24 buckets stay under the 400 KB item limit up to ~85,000 nodes (a /16 holds
 * 65,534). They are read in groups of 8 with the head (9 items, at most ~3.2 MB: TransactGetItems
 * takes 4 MB and, on moto, 25 items); the same head version in every group means no change fell
 * between them.
 */
export const PEER_BUCKETS = 24;
const BUCKETS_PER_READ = 8;

/** How long a complete snapshot goes without being checked against the truth. */
export const VERIFY_EVERY_MS = 15 * 60_000;
const VERIFY_LEASE_MS = 60_000;

/** Domains whose snapshot a container keeps (a 10,000-node snapshot is a few MB in memory). */
const CACHED_DOMAINS = 16;

/** Which bucket holds a node: a hash, so buckets fill evenly whatever the ids. */
export const bucketOf = (nodeId: string): number => (createHash('sha256').update(nodeId).digest()[0] as number) % PEER_BUCKETS;
const attributeOf = (nodeId: string): string => `n_${nodeId}`;

/** Short attribute names: a bucket holds thousands of these. */
const StoredPeerSchema = z.object({ m: z.string(), k: z.string() });
const HeadSchema = z.object({
  version: z.number(),
  complete: z.boolean().optional(),
  verified_at: z.number().optional(),
  verifying_until: z.number().optional(),
});
type Head = z.infer<typeof HeadSchema>;

function moveVersion(domainId: string): WriteAction {
  return {
    Update: { Key: resourceKeys.peerHead(domainId), UpdateExpression: 'ADD version :one', ExpressionAttributeValues: { ':one': 1 } },
  };
}

/** The writes that add a node to its domain's snapshot; they go in the transaction that makes its Resource Ready. */
export function addPeerActions(domainId: string, peer: Peer): WriteAction[] {
  return [
    {
      Update: {
        Key: resourceKeys.peerBucket(domainId, bucketOf(peer.node_id)),
        UpdateExpression: 'SET #peer = :peer ADD v :one',
        ExpressionAttributeNames: { '#peer': attributeOf(peer.node_id) },
        ExpressionAttributeValues: { ':peer': { m: peer.mesh_ip, k: peer.public_key }, ':one': 1 },
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
        UpdateExpression: 'REMOVE #peer ADD v :one',
        ExpressionAttributeNames: { '#peer': attributeOf(nodeId) },
        ExpressionAttributeValues: { ':one': 1 },
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

/** What the truth says, read the slow way: the live peers from the node list, and which of some nodes are live. */
export interface PeerTruth {
  livePeers(domainId: string): Promise<Peer[]>;
  stillLive(nodeIds: readonly string[]): Promise<Set<string>>;
}

interface Read {
  head: Head | undefined;
  /** Each bucket's stored version (0: no item). */
  versions: number[];
  peers: Map<string, Peer>;
}

export class PeerSnapshots {
  constructor(
    private readonly table: Table,
    private readonly truth: PeerTruth,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The domain's live peers by node id; one read when this container has seen the current version
   * and the snapshot is not due for a check against the truth.
   */
  async current(domainId: string): Promise<PeerSnapshot> {
    const raw = await this.table.getRaw(resourceKeys.peerHead(domainId));
    const head = raw && HeadSchema.parse(raw);
    // Not complete yet: every pull repairs until one succeeds. Complete: one pull in a while checks it.
    const check = head?.complete ? await this.verifyDue(domainId, head) : true;
    const known = remembered.get(domainId);
    if (head?.complete && !check && known?.version === String(head.version)) return remember(domainId, known);
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await this.read(domainId);
      if (!read) continue;
      if (read.head?.complete && !check) return remember(domainId, snapshotOf(read.head.version, read.peers));
      const repaired = await this.repair(domainId, read);
      if (repaired) return remember(domainId, repaired);
    }
    // The peer set kept changing while we read or repaired: answer the truth, with no version to cache.
    return { version: null, peers: (await this.truth.livePeers(domainId)).sort(byNodeId) };
  }

  /** Head and buckets as of one instant, or undefined when a change fell between the groups read. */
  private async read(domainId: string): Promise<Read | undefined> {
    const headKey = resourceKeys.peerHead(domainId);
    const groups: number[][] = [];
    for (let i = 0; i < PEER_BUCKETS; i += BUCKETS_PER_READ) groups.push(Array.from({ length: BUCKETS_PER_READ }, (_, j) => i + j));
    const answers = await Promise.all(
      groups.map((group) => this.table.transactGet([headKey, ...group.map((b) => resourceKeys.peerBucket(domainId, b))])),
    );
    const heads = answers.map(([head]) => (head ? HeadSchema.parse(head).version : undefined));
    if (new Set(heads).size > 1) return undefined;
    const buckets = answers.flatMap(([, ...items]) => items);
    const first = answers[0]?.[0];
    return {
      head: first ? HeadSchema.parse(first) : undefined,
      versions: buckets.map((b) => (typeof b?.v === 'number' ? b.v : 0)),
      peers: peersOf(buckets),
    };
  }

  /** True when this pull should check the snapshot against the truth, and it took the lease to. */
  private async verifyDue(domainId: string, head: Head): Promise<boolean> {
    const now = this.now();
    if (head.verified_at !== undefined && now - head.verified_at < VERIFY_EVERY_MS) return false;
    if (head.verifying_until !== undefined && head.verifying_until > now) return false;
    try {
      const leased = await this.table.update({
        Key: resourceKeys.peerHead(domainId),
        UpdateExpression: 'SET verifying_until = :until',
        ConditionExpression: 'attribute_not_exists(verifying_until) OR verifying_until <= :now',
        ExpressionAttributeValues: { ':until': now + VERIFY_LEASE_MS, ':now': now },
      });
      return leased !== undefined;
    } catch {
      // A transaction holding the head: another pull checks it later.
      return false;
    }
  }

  /**
   * Brings the stored snapshot to the truth: the live peers of the node list, and those of the
   * stored ones the node list did not show (it lags) that are still live. Undefined when a change
   * landed meanwhile (a bucket's or the head's version moved).
   */
  private async repair(domainId: string, read: Read): Promise<PeerSnapshot | undefined> {
    const truth = new Map((await this.truth.livePeers(domainId)).map((p) => [p.node_id, p]));
    const unlisted = [...read.peers.keys()].filter((id) => !truth.has(id));
    const live = await this.truth.stillLive(unlisted);
    for (const id of unlisted) if (live.has(id)) truth.set(id, read.peers.get(id) as Peer);
    const want = byBucket(truth.values());
    const have = byBucket(read.peers.values());
    let changed = false;
    for (let b = 0; b < PEER_BUCKETS; b++) {
      if (samePeers(want[b] ?? [], have[b] ?? [])) continue;
      changed = true;
      if (!(await this.writeBucket(domainId, b, read.versions[b] ?? 0, want[b] ?? []))) return undefined;
    }
    const seen = read.head?.version;
    const version = changed || seen === undefined ? (seen ?? 0) + 1 : seen;
    const marked = await this.table.update({
      Key: resourceKeys.peerHead(domainId),
      UpdateExpression: 'SET complete = :true, version = :version, verified_at = :now REMOVE verifying_until',
      ConditionExpression: seen === undefined ? 'attribute_not_exists(PK)' : 'version = :seen',
      ExpressionAttributeValues: { ':true': true, ':version': version, ':now': this.now(), ...(seen !== undefined && { ':seen': seen }) },
    });
    return marked ? snapshotOf(version, truth) : undefined;
  }

  /** Writes a bucket whole, only if no change reached it since it was read at `seen`. */
  private async writeBucket(domainId: string, bucket: number, seen: number, peers: readonly Peer[]): Promise<boolean> {
    const item: Record<string, unknown> = { ...resourceKeys.peerBucket(domainId, bucket), v: seen + 1 };
    for (const peer of peers) item[attributeOf(peer.node_id)] = { m: peer.mesh_ip, k: peer.public_key };
    const key = item as { PK: string; SK: string };
    return seen === 0 ? this.table.putIf(key, 'attribute_not_exists(PK)') : this.table.putIf(key, 'v = :seen', { ':seen': seen });
  }
}

function snapshotOf(version: number, peers: ReadonlyMap<string, Peer>): PeerSnapshot {
  return { version: String(version), peers: [...peers.values()].sort(byNodeId) };
}

/** Peers sorted into their buckets, each hashed once. */
function byBucket(peers: Iterable<Peer>): Peer[][] {
  const buckets: Peer[][] = Array.from({ length: PEER_BUCKETS }, () => []);
  for (const peer of peers) buckets[bucketOf(peer.node_id)]?.push(peer);
  return buckets;
}

function samePeers(a: readonly Peer[], b: readonly Peer[]): boolean {
  if (a.length !== b.length) return false;
  const key = (p: Peer) => `${p.node_id}|${p.mesh_ip}|${p.public_key}`;
  const seen = new Set(b.map(key));
  return a.every((p) => seen.has(key(p)));
}
