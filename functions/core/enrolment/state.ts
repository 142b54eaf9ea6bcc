import { NotFoundError } from '../errors.ts';
import type { EnrolledNode, Resource } from '../resources.ts';
import type { NodeIdentity } from './node-auth.ts';
import type { EnrolmentPorts, NodePointer } from './ports.ts';
import type { NodeStateView, Peer, Reachability } from './schemas.ts';

// What a node pulls to reconcile: its peers and its reachability (GET /v1/nodes/{id}/state).

const STALE_AFTER_MS = 90_000;
const UNREACHABLE_AFTER_MS = 300_000;

/** A node is a peer while its pointer exists, its Resource records it, is Ready, and it is not revoked. */
function isLiveNode(pointer: NodePointer, resource: Resource | undefined): resource is Resource & { node: EnrolledNode } {
  return resource?.node?.node_id === pointer.node_id && !resource.node.revoked_at && resource.provisioning?.phase === 'Ready';
}

/** The peers among a domain's node pointers and their Resources (Ready, not revoked), by node id ascending. */
export function livePeersOf(entries: ReadonlyArray<{ pointer: NodePointer; resource: Resource | undefined }>): Peer[] {
  return entries
    .filter(({ pointer, resource }) => isLiveNode(pointer, resource))
    .map(({ resource }) => {
      const node = (resource as Resource & { node: EnrolledNode }).node;
      return { node_id: node.node_id, mesh_ip: node.mesh_ip, public_key: node.public_key };
    })
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
}

/** The other live nodes of the domain, by node id ascending (so two pulls compare byte-equal). */
export async function livePeers(nodes: EnrolmentPorts['nodes'], domainId: string, selfId: string): Promise<Peer[]> {
  return (await nodes.peerSnapshot(domainId)).peers.filter((peer) => peer.node_id !== selfId);
}

/** Derived from the heartbeat facts: healthy under 90 s, stale under 300 s, unreachable beyond or before any. */
export function reachabilityOf(node: EnrolledNode, now: Date): Reachability {
  const last = node.last_heartbeat_at;
  if (!last) return { state: 'unreachable', changed_at: node.registered_at };
  const age = now.getTime() - Date.parse(last);
  const shifted = (ms: number) => new Date(Date.parse(last) + ms).toISOString();
  if (age < STALE_AFTER_MS) return { state: 'healthy', last_heartbeat_at: last, changed_at: node.first_heartbeat_at ?? last };
  if (age < UNREACHABLE_AFTER_MS) return { state: 'stale', last_heartbeat_at: last, changed_at: shifted(STALE_AFTER_MS) };
  return { state: 'unreachable', last_heartbeat_at: last, changed_at: shifted(UNREACHABLE_AFTER_MS) };
}

const emptyReports = () => ({ metadata: [], data: [], reports: [] });

/**
 * A weak validator: it names the peer set's version and the reachability state, not the time of
 * the last heartbeat, which moves on every beat and is not what a pull is for. A snapshot read
 * while the set was changing has no version, and so no validator.
 */
function entityTag(version: string | null, reachability: Reachability): string | undefined {
  return version === null ? undefined : `W/"p${version}.${reachability.state}.${Date.parse(reachability.changed_at)}"`;
}

/** If-None-Match holds the tag (weak comparison), or is `*`. */
function matches(ifNoneMatch: string | undefined, tag: string | undefined): boolean {
  if (!ifNoneMatch || !tag) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((given) => given.trim() === '*' || opaque(given) === opaque(tag));
}

export type NodeStateAnswer = { notModified: true; etag: string } | { notModified: false; view: NodeStateView; etag?: string };

/**
 * The reconciliation pull: every block present; the ones the broker does not drive yet are empty
 * or null. The node was read when the call was authenticated; the peers come from the domain's
 * snapshot, so an unchanged pull costs the same at 10 or 10,000 nodes.
 */
export async function nodeState(
  ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>,
  identity: NodeIdentity,
  ifNoneMatch?: string,
): Promise<NodeStateAnswer> {
  const node = identity.node ?? (await ports.nodes.find(identity.nodeId))?.resource.node;
  if (node?.node_id !== identity.nodeId) throw new NotFoundError('node_not_found', 'The node no longer exists.');
  const snapshot = await ports.nodes.peerSnapshot(identity.domainId);
  const reachability = reachabilityOf(node, ports.clock.now());
  const etag = entityTag(snapshot.version, reachability);
  if (etag && matches(ifNoneMatch, etag)) return { notModified: true, etag };
  const view: NodeStateView = {
    peers: snapshot.peers.filter((peer) => peer.node_id !== identity.nodeId),
    reachability,
    policy: null,
    bridge: null,
    state: emptyReports(),
    reports: emptyReports(),
  };
  return { notModified: false, view, ...(etag && { etag }) };
}
