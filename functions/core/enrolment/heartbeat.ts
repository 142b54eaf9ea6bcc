import { decodeBase64Key } from '../base64.ts';
import { InvalidInputError } from '../errors.ts';
import type { Resource } from '../resources.ts';
import { type NodeIdentity, refuseRevoked } from './node-auth.ts';
import type { EnrolmentPorts } from './ports.ts';
import type { HeartbeatAnswer, HeartbeatBody } from './schemas.ts';

export const MAX_CLOCK_SKEW_MS = 60_000;

/** A SHA-256 digest as 64 hex characters or 44 base64 characters. */
function isSha256Digest(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text) || decodeBase64Key(text) !== undefined;
}

/** Registered, not revoked, and its first heartbeat accepted: the Enrolling wait is over. */
export function isEnrolled(resource: Resource): boolean {
  return Boolean(resource.node && !resource.node.revoked_at && resource.node.first_heartbeat_at);
}

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
