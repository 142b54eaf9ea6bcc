import { fromBase64, fromBase64Url, toBase64Url } from '../base64.ts';
import { bytesToUuid, type EnrolmentConfig, uuidToBytes } from '../bootstrap-tokens.ts';
import { ForbiddenError, InvalidInputError, UnauthenticatedError } from '../errors.ts';
import { UUID_PATTERN } from '../ids.ts';
import type { EnrolledNode } from '../resources.ts';
import type { EnrolmentPorts } from './ports.ts';

// The NSK envelope: how a node proves who it is on every call after registration.

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
  return `nsk_${env}_${toBase64Url(joined)}`;
}

export function parseNskBearer(token: string): NskCredential | undefined {
  // 48 bytes are exactly 64 base64 characters: no padding to strip.
  const match = /^nsk_([a-z]+)_([A-Za-z0-9_-]{64})$/.exec(token);
  if (!match) return undefined;
  const bytes = fromBase64Url(match[2] as string);
  return { env: match[1] as string, nodeId: bytesToUuid(bytes.subarray(0, 16)), nsk: bytes.slice(16) };
}

/** Who a node call comes from, once its NSK checked out. */
export interface NodeIdentity {
  nodeId: string;
  resourceId: string;
  projectId: string;
  domainId: string;
  /** The node as its Resource recorded it when the call was authenticated (read consistently). */
  node?: EnrolledNode;
}

/**
 * Authenticates a node call. Primary course:
 * 1. `Authorization: Bearer nsk_<env>_…` parses and names this deployment's env;
 * 2. the node exists and the NSK's SHA-256 matches the stored one (constant time);
 * 3. a revoked node is refused with 401 nsk_revoked, and the first refusal is recorded;
 * 4. the path's node id is the token's node (403 node_id_mismatch otherwise).
 */
export async function authenticateNode(
  ports: Pick<EnrolmentPorts, 'nodes' | 'nodeSecrets' | 'clock'> & { config: EnrolmentConfig },
  authorization: string | undefined,
  pathId: string | undefined,
): Promise<NodeIdentity> {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const credential = bearer ? parseNskBearer(bearer) : undefined;
  if (!credential)
    throw new UnauthenticatedError('unauthorized', 'Send the node credential: Authorization: Bearer nsk_<env>_<node id and key>.');
  const invalid = new UnauthenticatedError('nsk_invalid', 'The node credential is not valid.');
  if (credential.env !== ports.config.credentialEnv) throw invalid;
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
  return {
    nodeId: node.node_id,
    resourceId: found.resource.id,
    projectId: found.pointer.project_id,
    domainId: found.pointer.domain_id,
    node,
  };
}

/** The refusal for a node that lost its standing mid-call (revoked since it authenticated, or gone). */
export async function refuseRevoked(ports: Pick<EnrolmentPorts, 'nodes' | 'clock'>, identity: NodeIdentity): Promise<never> {
  const found = await ports.nodes.find(identity.nodeId);
  const node = found?.resource.node;
  if (found && node?.node_id === identity.nodeId && node.revoked_at) {
    if (!node.refused_at) await ports.nodes.markRefused(found.resource.id, node.node_id, ports.clock.now().toISOString());
    throw new UnauthenticatedError('nsk_revoked', 'This node credential has been revoked.');
  }
  throw new UnauthenticatedError('nsk_invalid', 'The node credential is not valid.');
}
