import type { BootstrapTokenMinter } from '../bootstrap-tokens.ts';
import type { Clock } from '../clock.ts';
import type { TenancyStore } from '../ports.ts';
import type { EnrolledNode, Resource } from '../resources.ts';
import type { Peer } from './schemas.ts';

// Node enrolment: a node redeems its bootstrap token at POST /v1/register and earns an NSK; from
// then on it authenticates with the NSK envelope, heartbeats, and pulls its state. Enrolment is
// complete (Enrolling → Ready) once the node is registered and its first heartbeat was accepted.
// This module holds the ports every enrolment use case takes.

/** The node's own item: a pointer from its id to its Resource, listed per domain for peer lists. */
export interface NodePointer {
  node_id: string;
  resource_id: string;
  project_id: string;
  domain_id: string;
  mesh_ip: string;
}

/** A node's capability manifest as stored: every field present, defaults filled in. */
export interface CapabilityManifest {
  binary_version: string;
  binary_checksum: string;
  ssh_host_key_fingerprint: string;
  declared_hooks: Array<{ name: string; checksum: string }>;
  plexd_hooks: Array<{
    name: string;
    image_digest: string;
    parameters?: Record<string, string>;
    timeout_seconds?: number;
    sandbox?: boolean;
  }>;
}

export interface StoredCapabilities {
  manifest: CapabilityManifest;
  accepted_at: string;
}

export interface NodeStore {
  /** The Resource a token (by hash) was bound to, through the token's pointer item. */
  resourceForToken(tokenHash: string): Promise<Resource | undefined>;
  /**
   * Adds one to the domain's mesh-IP counter and returns the new value (1, 2, …): where this
   * registration's search for a free address starts, apart from every concurrent one's. The counter
   * only says where to start; it grows past the host range and wraps.
   */
  reserveMeshIndex(domainId: string): Promise<number>;
  /** False when the nonce was used in the project by another registration (another token or key). */
  nonceAvailable(projectId: string, nonce: string, by: { token_hash: string; public_key: string }): Promise<boolean>;
  /** Which of these mesh IPs of a domain are held now (read consistently). */
  takenMeshIps(domainId: string, ips: readonly string[]): Promise<Set<string>>;
  /**
   * The one all-or-nothing write that enrols a node: the nonce is taken within the project (or
   * found taken by this very registration: same token and key, a retry), the mesh IP is taken for
   * the node, the node's pointer is written, the domain's mesh-IP counter moves past the addresses
   * the search skipped (`meshCounterAdvance`), the token is redeemed on the Resource (only if its hash matches and
   * it is unconsumed, unrevoked and unexpired, and no node is recorded yet), and the node joins its domain's peer snapshot.
   * When any of these is refused nothing is written, and the outcome says which were refused
   * (with the Resource as it was, when the token was).
   */
  enrol(enrolment: Enrolment): Promise<EnrolOutcome>;
  /** Releases the node's pointer and its mesh IP (only if still its own), and takes it out of the peer snapshot, together. Idempotent. */
  release(pointer: Pick<NodePointer, 'node_id' | 'domain_id' | 'mesh_ip'>): Promise<void>;
  /**
   * The node's pointer and its Resource. The Resource is read consistently; the pointer, which never
   * changes while it exists, may come from what the container remembers, and is read again whenever
   * the Resource no longer vouches for the node (revoked, gone), so a released node is not found.
   */
  find(nodeId: string): Promise<{ pointer: NodePointer; resource: Resource } | undefined>;
  /** Records, once, that a revoked node was refused (teardown waits on this fact). */
  markRefused(resourceId: string, nodeId: string, at: string): Promise<void>;
  /** Records an accepted heartbeat on the Resource's node, unless the node was revoked or replaced. */
  recordHeartbeat(resourceId: string, nodeId: string, at: string, binaryVersion: string): Promise<Resource | undefined>;
  /**
   * The domain's live peers (registered, not revoked, not released), sorted by node id, with a
   * version that moves on every change of that set. Its cost does not grow with the domain's size
   * while the set is unchanged.
   */
  peerSnapshot(domainId: string): Promise<PeerSnapshot>;
  getCapabilities(nodeId: string): Promise<StoredCapabilities | undefined>;
  /** Stores the manifest on the node's item; false when the node is gone. */
  putCapabilities(nodeId: string, stored: StoredCapabilities): Promise<boolean>;
}

export interface PeerSnapshot {
  /** Moves whenever the set changes; null when it was read while changing (nothing to compare with). */
  version: string | null;
  peers: readonly Peer[];
}

export interface Enrolment {
  pointer: NodePointer;
  node: EnrolledNode;
  tokenHash: string;
  nonce: string;
  at: string;
  /** How many taken addresses the search skipped: the counter moves past them too (0: no move). */
  meshCounterAdvance: number;
}

export type EnrolOutcome =
  | { status: 'enrolled'; resource: Resource }
  | { status: 'refused'; nonceTaken: boolean; meshIpTaken: boolean; tokenRefused: boolean; resource?: Resource | undefined };

/** NSKs and the broker's node-signing key; hashing and randomness live in the adapter. */
export interface NodeSecrets {
  /** A fresh NSK: 32 random bytes, base64 (shown once), and the SHA-256 that is stored. */
  issueNsk(): { nsk: string; hash: string };
  /** Compares presented NSK bytes with a stored hash in constant time. */
  nskMatches(nsk: Uint8Array, hash: string): boolean;
  /** The broker's node-signing Ed25519 public key (32 raw bytes, base64) and its key id. */
  signingKey(): Promise<{ keyId: string; publicKey: string }>;
}

/**
 * Completes the Enrolling wait of a provision run (a Step Functions task token). The output is the
 * wait's result: `status: 'done'` like the step outcomes (the ASL's Choice after the wait reads
 * `$.result.status`, and a Choice on a missing path fails the execution), and the node's id.
 */
export interface EnrolmentNotifier {
  /** Sends task success; a wait that already ended (timed out, stopped) counts as done. */
  enrolled(taskToken: string, output: { status: 'done'; node_id: string }): Promise<void>;
}

export interface EnrolmentPorts {
  nodes: NodeStore;
  tenancy: Pick<TenancyStore, 'getDomain'>;
  bootstrapTokens: Pick<BootstrapTokenMinter, 'hash'>;
  nodeSecrets: NodeSecrets;
  enrolmentNotifier: EnrolmentNotifier;
  clock: Clock;
}
