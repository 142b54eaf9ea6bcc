import { decodeBase64Key } from '../base64.ts';
import { bootstrapTokenKind, parseBootstrapToken } from '../bootstrap-tokens.ts';
import { cidrHosts, meshAddress } from '../cidr.ts';
import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError, UnprocessableError } from '../errors.ts';
import { newId, UUID_PATTERN } from '../ids.ts';
import type { Resource } from '../resources.ts';
import type { Domain } from '../tenancy.ts';
import type { Enrolment, EnrolmentPorts, EnrolOutcome, NodeStore } from './ports.ts';
import type { RegisterBody, Registration } from './schemas.ts';
import { livePeers } from './state.ts';

// POST /v1/register: a node redeems its bootstrap token for a node id, a mesh IP and an NSK.

/** A node's WireGuard (X25519) public key: 32 bytes, not the all-zero small-order point. */
export function isValidX25519PublicKey(text: string): boolean {
  const bytes = decodeBase64Key(text);
  return bytes?.some((b) => b !== 0) ?? false;
}

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
