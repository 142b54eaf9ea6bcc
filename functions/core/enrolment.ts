import { z } from 'zod';
import { type BootstrapTokenMinter, bootstrapTokenKind, bytesToUuid, parseBootstrapToken, uuidToBytes } from './bootstrap-tokens.ts';
import type { Clock } from './clock.ts';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError, UnavailableError, UnprocessableError } from './errors.ts';
import { IdSchema, newId, UUID_PATTERN } from './ids.ts';
import type { TenancyStore } from './ports.ts';
import type { EnrolledNode, Resource } from './resources.ts';
import type { Domain } from './tenancy.ts';

// Node enrolment: a node redeems its bootstrap token at POST /v1/register and earns an NSK; from
// then on it authenticates with the NSK envelope, heartbeats, and pulls its state. Enrolment is
// complete (Enrolling → Ready) once the node is registered and its first heartbeat was accepted.

// ---- ports -----------------------------------------------------------------------------------

/** The node's own item: a pointer from its id to its Resource, listed per domain for peer lists. */
export interface NodePointer {
  node_id: string;
  resource_id: string;
  project_id: string;
  domain_id: string;
  mesh_ip: string;
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
   * the search skipped (`meshCounterAdvance`), and the token is redeemed on the Resource (only if its hash matches and
   * it is unconsumed, unrevoked and unexpired, and no node is recorded yet).
   * When any of these is refused nothing is written, and the outcome says which were refused
   * (with the Resource as it was, when the token was).
   */
  enrol(enrolment: Enrolment): Promise<EnrolOutcome>;
  /** Releases the node's pointer and its mesh IP (only if still its own), together. Idempotent. */
  release(pointer: Pick<NodePointer, 'node_id' | 'domain_id' | 'mesh_ip'>): Promise<void>;
  /** The node's pointer and its Resource (both read consistently). */
  find(nodeId: string): Promise<{ pointer: NodePointer; resource: Resource } | undefined>;
  /** Records, once, that a revoked node was refused (teardown waits on this fact). */
  markRefused(resourceId: string, nodeId: string, at: string): Promise<void>;
  /** Records an accepted heartbeat on the Resource's node, unless the node was revoked or replaced. */
  recordHeartbeat(resourceId: string, nodeId: string, at: string, binaryVersion: string): Promise<Resource | undefined>;
  /** The domain's node pointers, each with its Resource as read now. */
  domainNodes(domainId: string): Promise<Array<{ pointer: NodePointer; resource: Resource | undefined }>>;
  getCapabilities(nodeId: string): Promise<StoredCapabilities | undefined>;
  /** Stores the manifest on the node's item; false when the node is gone. */
  putCapabilities(nodeId: string, stored: StoredCapabilities): Promise<boolean>;
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

// ---- encodings -------------------------------------------------------------------------------

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

const STD_BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** A 32-byte value in canonical standard base64 (44 characters, one `=`); undefined otherwise. */
export function decodeBase64Key(text: string): Uint8Array | undefined {
  if (!STD_BASE64_32.test(text)) return undefined;
  const bytes = fromBase64(text);
  // The canonical form only: the last character's two spare bits must be zero.
  return bytes.length === 32 && toBase64(bytes) === text ? bytes : undefined;
}

/** A node's WireGuard (X25519) public key: 32 bytes, not the all-zero small-order point. */
export function isValidX25519PublicKey(text: string): boolean {
  const bytes = decodeBase64Key(text);
  return bytes?.some((b) => b !== 0) ?? false;
}

/** A SHA-256 digest as 64 hex characters or 44 base64 characters. */
function isSha256Digest(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text) || decodeBase64Key(text) !== undefined;
}

export interface NskCredential {
  env: string;
  nodeId: string;
  nsk: Uint8Array;
}

/** `nsk_<env>_<base64url, no padding, of the node id's 16 bytes then the 32 NSK bytes>`. */
export function formatNskBearer(env: string, nodeId: string, nskBase64: string): string {
  const nsk = fromBase64(nskBase64);
  if (nsk.length !== 32) throw new Error('an NSK is 32 bytes');
  const joined = new Uint8Array(48);
  joined.set(uuidToBytes(nodeId), 0);
  joined.set(nsk, 16);
  return `nsk_${env}_${toBase64(joined).replaceAll('+', '-').replaceAll('/', '_')}`;
}

export function parseNskBearer(token: string): NskCredential | undefined {
  // 48 bytes are exactly 64 base64 characters: no padding to strip.
  const match = /^nsk_([a-z]+)_([A-Za-z0-9_-]{64})$/.exec(token);
  if (!match) return undefined;
  const bytes = fromBase64((match[2] as string).replaceAll('-', '+').replaceAll('_', '/'));
  return { env: match[1] as string, nodeId: bytesToUuid(bytes.subarray(0, 16)), nsk: bytes.slice(16) };
}

// ---- mesh addresses --------------------------------------------------------------------------

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** An IPv4 CIDR's network address and how many host addresses it holds (network and broadcast excluded). */
export function cidrHosts(cidr: string): { network: number; hosts: number } {
  const [addr, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const base = addr === undefined ? undefined : parseIpv4(addr);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  // /31 and /32 have no room once network and broadcast are skipped.
  return { network, hosts: Math.max(0, size - 2) };
}

/** The index-th host address of a CIDR (1 = the first after the network address); undefined past the last. */
export function meshAddress(cidr: string, index: number): string | undefined {
  const { network, hosts } = cidrHosts(cidr);
  if (!Number.isInteger(index) || index < 1 || index > hosts) return undefined;
  return formatIpv4(network + index);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const value = parseIpv4(ip);
  const { network, hosts } = cidrHosts(cidr);
  return value !== undefined && value > network && value <= network + hosts;
}

// ---- registration ----------------------------------------------------------------------------

export const RegisterBodySchema = z.strictObject({
  project_id: z.string(),
  resource_handle: z.string(),
  bootstrap_token: z.string(),
  nonce: z.string(),
  public_key: z.string(),
  /** Accepted for plexd's sake; the broker resolves the Resource by its handle only. */
  requested_resource_id: z.string().max(4096).optional(),
});
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

export const PeerViewSchema = z.object({ node_id: IdSchema, mesh_ip: z.string(), public_key: z.string() });
export type Peer = z.infer<typeof PeerViewSchema>;

/** The answer to POST /v1/register; `nsk` is shown this once. */
export const RegistrationViewSchema = z.object({
  node_id: IdSchema,
  mesh_ip: z.string(),
  signing_public_key: z.string(),
  signing_key_id: z.string(),
  nsk: z.string(),
  peer_snapshot: z.array(PeerViewSchema),
  domain_mesh_cidr: z.string(),
});
export type Registration = z.infer<typeof RegistrationViewSchema>;

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** How many claims one read looks at when the address at the counter is taken (BatchGetItem's limit). */
const IP_PROBE_WINDOW = 100;

function denied(code: string, detail: string): ForbiddenError {
  return new ForbiddenError(code, detail);
}

/** The state of a token as the Resource records it, in the contract's precedence. */
function tokenRefusal(resource: Resource, tokenHash: string, now: Date): ForbiddenError | undefined {
  const token = resource.bootstrap;
  if (!token || token.hash !== tokenHash) return denied('token_invalid', 'No bootstrap token with this value is bound to a resource.');
  if (token.consumed_at || resource.node) return denied('token_consumed', 'This bootstrap token was already redeemed.');
  if (Date.parse(token.expires_at) <= now.getTime()) return denied('token_expired', 'This bootstrap token has expired.');
  if (token.revoked_at) return denied('token_revoked', 'This bootstrap token was revoked.');
  return undefined;
}

/**
 * Redeems a bootstrap token for a node identity. Primary course:
 * 1. the public key is checked before anything else, so a bad key cannot waste the token;
 * 2. the token names the body's project, and resolves (by hash) to a Resource whose handle is the body's;
 * 3. the token is unconsumed, unexpired and unrevoked;
 * 4. one transaction at a free mesh IP (searched from the domain's counter): the nonce, the mesh
 *    IP, the node's pointer, and the conditional write on the Resource that consumes the token and
 *    records the node. All or nothing: a lost race or a crash leaves nothing to clean up.
 * The phase does not matter: a fast agent may register before the Resource reaches Enrolling.
 */
export async function registerNode(ports: EnrolmentPorts, body: RegisterBody): Promise<Registration> {
  if (!isValidX25519PublicKey(body.public_key)) {
    throw new InvalidInputError(
      'public_key_invalid',
      'public_key must be a 32-byte X25519 key in standard base64 (44 characters), not all zeros.',
    );
  }
  const projectId = body.project_id.toLowerCase();
  const invariants: Array<[boolean, string]> = [
    [UUID_PATTERN.test(projectId) && projectId !== NIL_UUID, 'project_id must be a non-nil UUID'],
    [body.resource_handle.length >= 1 && body.resource_handle.length <= 4096, 'resource_handle must be 1-4096 characters'],
    [body.bootstrap_token.length >= 1 && body.bootstrap_token.length <= 4096, 'bootstrap_token must be 1-4096 characters'],
    [body.nonce.length >= 1 && body.nonce.length <= 4096, 'nonce must be 1-4096 characters'],
  ];
  const broken = invariants.filter(([ok]) => !ok).map(([, message]) => message);
  if (broken.length) throw new UnprocessableError('invalid_register_request', `The registration is invalid: ${broken.join('; ')}.`);

  const parts = parseBootstrapToken(body.bootstrap_token);
  if (!parts) {
    const kind = bootstrapTokenKind(body.bootstrap_token);
    if (kind && kind !== 'node') throw denied('kind_mismatch', `A ${kind} bootstrap token cannot enrol a node.`);
    throw new UnprocessableError('bootstrap_token_malformed', 'bootstrap_token is not a psb_<env>_<project>_node_<random> token.');
  }
  if (parts.projectId !== projectId) throw denied('project_mismatch', 'The bootstrap token was issued for another project.');

  const tokenHash = ports.bootstrapTokens.hash(body.bootstrap_token);
  const resource = await ports.nodes.resourceForToken(tokenHash);
  if (!resource || resource.bootstrap?.hash !== tokenHash)
    throw denied('token_invalid', 'No bootstrap token with this value is bound to a resource.');
  if (resource.project_id !== projectId) throw denied('project_mismatch', 'The bootstrap token was issued for another project.');
  if (!resource.external_ref || resource.external_ref !== body.resource_handle) {
    throw new NotFoundError('resource_not_found', 'No resource of the project has this handle.');
  }
  const now = ports.clock.now();
  const refusal = tokenRefusal(resource, tokenHash, now);
  if (refusal) throw refusal;

  const at = now.toISOString();
  // Read first, so that a refused nonce writes nothing; the transaction holds it against a race.
  if (!(await ports.nodes.nonceAvailable(projectId, body.nonce, { token_hash: tokenHash, public_key: body.public_key }))) {
    throw denied('nonce_collision', 'This nonce was already used in the project.');
  }
  const domain = await ports.tenancy.getDomain(resource.domain_id);
  if (!domain) throw new NotFoundError('resource_not_found', 'The resource belongs to no domain.');
  const nodeId = newId(now.getTime());
  const { nsk, hash: nskHash } = ports.nodeSecrets.issueNsk();
  const meshIp = await enrolAtFreeMeshIp(
    ports.nodes,
    domain,
    (ip, meshCounterAdvance) => ({
      pointer: { node_id: nodeId, resource_id: resource.id, project_id: projectId, domain_id: domain.id, mesh_ip: ip },
      node: { node_id: nodeId, mesh_ip: ip, public_key: body.public_key, nsk_hash: nskHash, registered_at: at },
      tokenHash,
      nonce: body.nonce,
      at,
      meshCounterAdvance,
    }),
    (refused) => {
      if (refused.nonceTaken) return denied('nonce_collision', 'This nonce was already used in the project.');
      if (!refused.tokenRefused) return undefined;
      return (
        (refused.resource && tokenRefusal(refused.resource, tokenHash, ports.clock.now())) ??
        denied('token_consumed', 'This bootstrap token was already redeemed.')
      );
    },
  );
  const signing = await ports.nodeSecrets.signingKey();
  return {
    node_id: nodeId,
    mesh_ip: meshIp,
    signing_public_key: signing.publicKey,
    signing_key_id: signing.keyId,
    nsk,
    peer_snapshot: await livePeers(ports.nodes, domain.id, nodeId),
    domain_mesh_cidr: domain.mesh_cidr,
  };
}

/**
 * Enrols the node at a free mesh IP of the domain: the address at the counter first, then, when
 * that one is taken, the following ones in windows read consistently, wrapping around the host
 * range, so addresses released by teardowns are used again. Each try is one enrolment transaction
 * (a racing registration may still win a free-looking address; then the search goes on); a refusal
 * other than a taken address ends the search with the error `stop` names. 503 pool_exhausted only
 * when a full wrap finds none free. Each registration reserves its own start (concurrent ones do
 * not all contend for one address), and its enrolment moves the counter past what it skipped, so
 * the next registration does not search the same run of taken addresses again.
 */
async function enrolAtFreeMeshIp(
  nodes: NodeStore,
  domain: Domain,
  enrolment: (ip: string, meshCounterAdvance: number) => Enrolment,
  stop: (refused: Extract<EnrolOutcome, { status: 'refused' }>) => Error | undefined,
): Promise<string> {
  const cidr = domain.mesh_cidr;
  const { hosts } = cidrHosts(cidr);
  const exhausted = () => new UnavailableError('pool_exhausted', `The domain's mesh CIDR ${cidr} has no free address.`);
  if (hosts === 0) throw exhausted();
  const start = (await nodes.reserveMeshIndex(domain.id)) - 1;
  const ipAt = (offset: number) => meshAddress(cidr, ((start + offset) % hosts) + 1) as string;
  const enrolled = async (offset: number) => {
    const outcome = await nodes.enrol(enrolment(ipAt(offset), offset));
    if (outcome.status === 'enrolled') return true;
    const error = stop(outcome);
    if (error) throw error;
    return false;
  };
  if (await enrolled(0)) return ipAt(0);
  for (let from = 1; from < hosts; from += IP_PROBE_WINDOW) {
    const offsets = Array.from({ length: Math.min(IP_PROBE_WINDOW, hosts - from) }, (_, i) => from + i);
    const taken = await nodes.takenMeshIps(domain.id, offsets.map(ipAt));
    for (const offset of offsets) {
      if (!taken.has(ipAt(offset)) && (await enrolled(offset))) return ipAt(offset);
    }
  }
  throw exhausted();
}

/** A node counts while its Resource records it and it is not revoked. */
function isLiveNode(pointer: NodePointer, resource: Resource | undefined): resource is Resource & { node: EnrolledNode } {
  return resource?.node?.node_id === pointer.node_id && !resource.node.revoked_at;
}

/** The other live nodes of the domain, by node id ascending (so two pulls compare byte-equal). */
export async function livePeers(nodes: NodeStore, domainId: string, selfId: string): Promise<Peer[]> {
  const entries = await nodes.domainNodes(domainId);
  return entries
    .filter(({ pointer, resource }) => pointer.node_id !== selfId && isLiveNode(pointer, resource))
    .map(({ resource }) => {
      const node = (resource as Resource & { node: EnrolledNode }).node;
      return { node_id: node.node_id, mesh_ip: node.mesh_ip, public_key: node.public_key };
    })
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
}

/** Registered, not revoked, and its first heartbeat accepted: the Enrolling wait is over. */
export function isEnrolled(resource: Resource): boolean {
  return Boolean(resource.node && !resource.node.revoked_at && resource.node.first_heartbeat_at);
}

// ---- the NSK envelope ------------------------------------------------------------------------

/** Who a node call comes from, once its NSK checked out. */
export interface NodeIdentity {
  nodeId: string;
  resourceId: string;
  projectId: string;
  domainId: string;
}

/**
 * Authenticates a node call. Primary course:
 * 1. `Authorization: Bearer nsk_<env>_…` parses and names this deployment's env;
 * 2. the node exists and the NSK's SHA-256 matches the stored one (constant time);
 * 3. a revoked node is refused with 401 nsk_revoked, and the first refusal is recorded;
 * 4. the path's node id is the token's node (403 node_id_mismatch otherwise).
 */
export async function authenticateNode(
  ports: Pick<EnrolmentPorts, 'nodes' | 'nodeSecrets' | 'clock'>,
  env: string,
  authorization: string | undefined,
  pathId: string | undefined,
): Promise<NodeIdentity> {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const credential = bearer ? parseNskBearer(bearer) : undefined;
  if (!credential)
    throw new UnauthenticatedError('unauthorized', 'Send the node credential: Authorization: Bearer nsk_<env>_<node id and key>.');
  const invalid = new UnauthenticatedError('nsk_invalid', 'The node credential is not valid.');
  if (credential.env !== env) throw invalid;
  const found = await ports.nodes.find(credential.nodeId);
  const node = found?.resource.node;
  if (!found || !node || node.node_id !== credential.nodeId || !ports.nodeSecrets.nskMatches(credential.nsk, node.nsk_hash)) throw invalid;
  if (node.revoked_at) {
    if (!node.refused_at) await ports.nodes.markRefused(found.resource.id, node.node_id, ports.clock.now().toISOString());
    throw new UnauthenticatedError('nsk_revoked', 'This node credential has been revoked.');
  }
  const lowered = pathId?.toLowerCase();
  if (!lowered || !UUID_PATTERN.test(lowered)) throw new InvalidInputError('invalid_node_id', 'The node id is not a UUID.');
  if (lowered !== node.node_id) {
    throw new ForbiddenError(
      'node_id_mismatch',
      'The node credential belongs to another node than the path names.',
      'insufficient_relation',
      {
        relation_path: [],
      },
    );
  }
  return { nodeId: node.node_id, resourceId: found.resource.id, projectId: found.pointer.project_id, domainId: found.pointer.domain_id };
}

async function refuseRevoked(ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>, identity: NodeIdentity): Promise<never> {
  const found = await ports.nodes.find(identity.nodeId);
  const node = found?.resource.node;
  if (found && node?.node_id === identity.nodeId && node.revoked_at) {
    if (!node.refused_at) await ports.nodes.markRefused(found.resource.id, node.node_id, ports.clock.now().toISOString());
    throw new UnauthenticatedError('nsk_revoked', 'This node credential has been revoked.');
  }
  throw new UnauthenticatedError('nsk_invalid', 'The node credential is not valid.');
}

// ---- heartbeat -------------------------------------------------------------------------------

export const MAX_CLOCK_SKEW_MS = 60_000;

export const HeartbeatBodySchema = z.strictObject({
  client_now: z.string(),
  binary_checksum: z.string().optional(),
  binary_version: z.string().optional(),
  nat_summary: z.record(z.string(), z.unknown()),
});
export type HeartbeatBody = z.infer<typeof HeartbeatBodySchema>;

export const HeartbeatViewSchema = z.object({ accepted_at: z.string(), reconcile: z.boolean(), rotate_keys: z.boolean() });
export type HeartbeatAnswer = z.infer<typeof HeartbeatViewSchema>;

/**
 * Accepts a heartbeat. Primary course:
 * 1. the body holds a version, a SHA-256 checksum and a client clock within 60 s of ours;
 * 2. the heartbeat is recorded on the Resource's node (the first one once), unless it was revoked;
 * 3. when a provision run waits on enrolment (a task token is stored) and the node is enrolled,
 *    the wait is completed. Every heartbeat tries again while a token is stored, so a lost
 *    notification is retried; the Enrolling step checks isEnrolled itself after storing its token.
 */
export async function acceptHeartbeat(ports: EnrolmentPorts, identity: NodeIdentity, body: HeartbeatBody): Promise<HeartbeatAnswer> {
  const version = body.binary_version?.trim();
  if (!version) throw new InvalidInputError('binary_version_empty', 'binary_version must not be empty.');
  if (!body.binary_checksum || !isSha256Digest(body.binary_checksum)) {
    throw new InvalidInputError('binary_checksum_empty', 'binary_checksum must be a SHA-256 digest (64 hex or 44 base64 characters).');
  }
  const clientNow = Date.parse(body.client_now);
  if (Number.isNaN(clientNow) || !/^\d{4}-\d{2}-\d{2}T/.test(body.client_now)) {
    throw new InvalidInputError('malformed_heartbeat_request', 'client_now must be an RFC 3339 timestamp.');
  }
  const now = ports.clock.now();
  const skewMs = clientNow - now.getTime();
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
    throw new InvalidInputError(
      'clock_skew',
      `client_now drifts ${Math.round(skewMs / 1000)} s from the server clock; heartbeats must be within 60 s.`,
      {
        server_now: now.toISOString(),
      },
    );
  }
  const at = now.toISOString();
  const resource = await ports.nodes.recordHeartbeat(identity.resourceId, identity.nodeId, at, version);
  if (!resource) return refuseRevoked(ports, identity);
  const taskToken = resource.provisioning?.enrol_task_token;
  if (taskToken && isEnrolled(resource)) await ports.enrolmentNotifier.enrolled(taskToken, { status: 'done', node_id: identity.nodeId });
  return { accepted_at: at, reconcile: false, rotate_keys: false };
}

// ---- state pull ------------------------------------------------------------------------------

const STALE_AFTER_MS = 90_000;
const UNREACHABLE_AFTER_MS = 300_000;

export const ReachabilityViewSchema = z.object({
  state: z.enum(['healthy', 'stale', 'unreachable']),
  last_heartbeat_at: z.string().optional(),
  changed_at: z.string(),
});
export type Reachability = z.infer<typeof ReachabilityViewSchema>;

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

// The broker drives none of these lists yet, so their entries stay open.
const ReportsViewSchema = z.object({ metadata: z.array(z.unknown()), data: z.array(z.unknown()), reports: z.array(z.unknown()) });

/** The answer to GET /v1/nodes/{id}/state. */
export const NodeStateViewSchema = z.object({
  peers: z.array(PeerViewSchema),
  reachability: ReachabilityViewSchema,
  policy: z.null(),
  bridge: z.null(),
  state: ReportsViewSchema,
  reports: ReportsViewSchema,
});
export type NodeStateView = z.infer<typeof NodeStateViewSchema>;

/** The reconciliation pull: every block present; the ones the broker does not drive yet are empty or null. */
export async function nodeState(ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>, identity: NodeIdentity): Promise<NodeStateView> {
  const found = await ports.nodes.find(identity.nodeId);
  const node = found?.resource.node;
  if (!found || node?.node_id !== identity.nodeId) throw new NotFoundError('node_not_found', 'The node no longer exists.');
  return {
    peers: await livePeers(ports.nodes, identity.domainId, identity.nodeId),
    reachability: reachabilityOf(node, ports.clock.now()),
    policy: null,
    bridge: null,
    state: emptyReports(),
    reports: emptyReports(),
  };
}

// ---- capabilities ----------------------------------------------------------------------------

const MAX_HOOKS = 128;

export const CapabilityManifestBodySchema = z.strictObject({
  binary_version: z.string().optional(),
  binary_checksum: z.string().optional(),
  ssh_host_key_fingerprint: z.string().max(4096).optional(),
  declared_hooks: z.array(z.strictObject({ name: z.string(), checksum: z.string() })).optional(),
  plexd_hooks: z
    .array(
      z.strictObject({
        name: z.string(),
        image_digest: z.string(),
        parameters: z.record(z.string(), z.string()).optional(),
        timeout_seconds: z.number().int().optional(),
        sandbox: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type CapabilityManifestBody = z.infer<typeof CapabilityManifestBodySchema>;

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

const MANIFEST_FIELDS = ['binary_checksum', 'binary_version', 'declared_hooks', 'plexd_hooks', 'ssh_host_key_fingerprint'] as const;

function hasDuplicates(names: string[]): boolean {
  return new Set(names).size !== names.length;
}

/** Enforces the manifest's invariants, with the contract's code for each. */
export function canonicalManifest(body: CapabilityManifestBody): CapabilityManifest {
  const version = body.binary_version?.trim();
  if (!version) throw new InvalidInputError('binary_version_empty', 'binary_version must not be empty.');
  if (!body.binary_checksum || !decodeBase64Key(body.binary_checksum)) {
    throw new InvalidInputError('binary_checksum_invalid', 'binary_checksum must be a 32-byte SHA-256 digest in standard base64.');
  }
  const fingerprint = body.ssh_host_key_fingerprint ?? '';
  if (fingerprint !== '' && !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fingerprint)) {
    throw new InvalidInputError('ssh_host_key_fingerprint_invalid', 'ssh_host_key_fingerprint must look like SHA256:<base64>.');
  }
  const declared = body.declared_hooks ?? [];
  if (declared.length > MAX_HOOKS) throw new InvalidInputError('declared_hooks_too_many', `At most ${MAX_HOOKS} declared hooks.`);
  if (declared.some((h) => !h.name.trim() || !decodeBase64Key(h.checksum))) {
    throw new InvalidInputError('declared_hook_invalid', 'Each declared hook needs a name and a 32-byte base64 checksum.');
  }
  if (hasDuplicates(declared.map((h) => h.name)))
    throw new InvalidInputError('declared_hook_duplicate', 'Declared hook names must be unique.');
  const plexd = body.plexd_hooks ?? [];
  if (plexd.length > MAX_HOOKS) throw new UnprocessableError('plexd_hooks_too_many', `At most ${MAX_HOOKS} plexd hooks.`);
  if (plexd.some((h) => !h.name.trim() || !/^sha256:[0-9a-f]{64}$/.test(h.image_digest) || (h.timeout_seconds ?? 0) < 0)) {
    throw new UnprocessableError(
      'plexd_hook_invalid',
      'Each plexd hook needs a name, a sha256:<hex> image digest and a non-negative timeout.',
    );
  }
  if (hasDuplicates(plexd.map((h) => h.name))) throw new UnprocessableError('plexd_hook_duplicate', 'plexd hook names must be unique.');
  return {
    binary_version: version,
    binary_checksum: body.binary_checksum,
    ssh_host_key_fingerprint: fingerprint,
    declared_hooks: declared,
    plexd_hooks: plexd,
  };
}

/** The answer to PUT /v1/nodes/{id}/capabilities. */
export const CapabilitiesViewSchema = z.object({
  accepted_at: z.string(),
  fields_changed: z.array(z.enum(MANIFEST_FIELDS)),
  host_key_changed: z.boolean(),
});
export type CapabilitiesView = z.infer<typeof CapabilitiesViewSchema>;

/** Stores the node's manifest and says what changed against the one before (sorted field names). */
export async function recordCapabilities(
  ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>,
  identity: NodeIdentity,
  body: CapabilityManifestBody,
): Promise<CapabilitiesView> {
  const manifest = canonicalManifest(body);
  const previous = (await ports.nodes.getCapabilities(identity.nodeId))?.manifest;
  const isEmpty = (value: unknown) => value === '' || (Array.isArray(value) && value.length === 0);
  const changed = MANIFEST_FIELDS.filter((field) =>
    previous ? JSON.stringify(previous[field]) !== JSON.stringify(manifest[field]) : !isEmpty(manifest[field]),
  );
  const at = ports.clock.now().toISOString();
  if (!(await ports.nodes.putCapabilities(identity.nodeId, { manifest, accepted_at: at }))) {
    throw new NotFoundError('capabilities_node_not_found', 'The node no longer exists.');
  }
  return { accepted_at: at, fields_changed: [...changed], host_key_changed: changed.includes('ssh_host_key_fingerprint') };
}
