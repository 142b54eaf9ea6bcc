import * as z from 'zod';
import {
  type AttemptReservation,
  type AuthStore,
  type BackoffPolicy,
  type BackoffReservation,
  type DeviceAuthorization,
  DeviceAuthorizationSchema,
  type DeviceDecision,
  type Session,
  SessionSchema,
} from '../core/auth/ports.ts';
import { decideBackoff } from '../core/auth/throttle.ts';
import { keys } from './dynamo/keys.ts';
import { putNewAction, type Table } from './dynamo/table.ts';

// DynamoDB has the TTL sweep that dynalite lacks; expiry is always checked in code, and `ttl`
// only lets AWS clean up afterwards. Device items outlive their expiry by a day so that a late
// poll still hears `expired_token` rather than `invalid_grant`.
const DEVICE_SWEEP_GRACE_SECONDS = 24 * 60 * 60;
const epochSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000);

const UserCodeSchema = z.object({ device_code_hash: z.string(), expires_at: z.string() });
const ThrottleSchema = z.object({ window_start: z.number(), attempts: z.number() });
// Items written before the exemption cap have no exempt_* attributes: an empty window.
const BackoffSchema = z.object({
  since: z.number(),
  failures: z.number(),
  last_at: z.number(),
  next_allowed_at: z.number(),
  exempt_start: z.number().default(0),
  exempts: z.number().default(0),
});

export class DynamoAuthStore implements AuthStore {
  constructor(private readonly table: Table) {}

  async createDeviceAuthorization(device: DeviceAuthorization): Promise<boolean> {
    // The user code (free, or held by an expired authorization) and the authorization land together.
    const cancelled = await this.table.transact([
      {
        Put: {
          Item: {
            ...keys.userCode(device.user_code),
            device_code_hash: device.device_code_hash,
            expires_at: device.expires_at,
            ttl: epochSeconds(device.expires_at),
          },
          ConditionExpression: 'attribute_not_exists(PK) OR expires_at <= :now',
          ExpressionAttributeValues: { ':now': device.created_at },
        },
      },
      putNewAction({
        ...keys.deviceCode(device.device_code_hash),
        ...device,
        ttl: epochSeconds(device.expires_at) + DEVICE_SWEEP_GRACE_SECONDS,
      }),
    ]);
    if (!cancelled) return true;
    if (cancelled[0]?.failed) return false;
    throw new Error('device code hash collision');
  }

  getDeviceAuthorization(deviceCodeHash: string) {
    return this.table.get(keys.deviceCode(deviceCodeHash), DeviceAuthorizationSchema);
  }

  async findDeviceAuthorizationByUserCode(userCode: string) {
    const claim = await this.table.get(keys.userCode(userCode), UserCodeSchema);
    if (!claim) return undefined;
    const device = await this.getDeviceAuthorization(claim.device_code_hash);
    return device?.user_code === userCode ? device : undefined;
  }

  async recordPoll(deviceCodeHash: string, nowMs: number, intervalMs: number): Promise<boolean> {
    const updated = await this.table.update({
      Key: keys.deviceCode(deviceCodeHash),
      UpdateExpression: 'SET last_polled_at = :now',
      ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(last_polled_at) OR last_polled_at <= :earliest)',
      ExpressionAttributeValues: { ':now': nowMs, ':earliest': nowMs - intervalMs },
    });
    return updated !== undefined;
  }

  async decide(deviceCodeHash: string, decision: DeviceDecision, nowIso: string): Promise<boolean> {
    const subject = decision.status === 'approved' ? ', subject_id = :subject' : '';
    const updated = await this.table.update({
      Key: keys.deviceCode(deviceCodeHash),
      UpdateExpression: `SET #status = :status, decided_at = :at${subject}`,
      ConditionExpression: '#status = :pending AND expires_at > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': decision.status,
        ':at': decision.decided_at,
        ':pending': 'pending',
        ':now': nowIso,
        ...(decision.status === 'approved' && { ':subject': decision.subject_id }),
      },
    });
    return updated !== undefined;
  }

  async redeem(deviceCodeHash: string, nowIso: string): Promise<boolean> {
    const updated = await this.table.update({
      Key: keys.deviceCode(deviceCodeHash),
      UpdateExpression: 'SET #status = :redeemed, redeemed_at = :now',
      ConditionExpression: '#status = :approved AND expires_at > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':redeemed': 'redeemed', ':approved': 'approved', ':now': nowIso },
    });
    return updated !== undefined;
  }

  async createSession(session: Session): Promise<void> {
    const written = await this.table.putNew({ ...keys.session(session.session_hash), ...session, ttl: epochSeconds(session.expires_at) });
    if (!written) throw new Error('session hash collision');
  }

  getSession(sessionHash: string) {
    return this.table.get(keys.session(sessionHash), SessionSchema);
  }

  async deleteSession(sessionHash: string): Promise<void> {
    await this.table.delete(keys.session(sessionHash));
  }

  async reserveAttempt(key: string, nowMs: number, windowMs: number, max: number): Promise<AttemptReservation> {
    const itemKey = keys.signInThrottle(key);
    const cutoff = nowMs - windowMs;
    // A few rounds settle races between "count in this window" and "start a new window".
    for (let round = 0; round < 3; round++) {
      const counted = await this.table.update({
        Key: itemKey,
        UpdateExpression: 'SET attempts = attempts + :one',
        ConditionExpression: 'window_start > :cutoff AND attempts < :max',
        ExpressionAttributeValues: { ':one': 1, ':cutoff': cutoff, ':max': max },
      });
      if (counted) {
        const held = ThrottleSchema.parse(counted);
        return { allowed: true, windowStart: held.window_start, attempts: held.attempts };
      }
      const current = await this.table.get(itemKey, ThrottleSchema);
      if (current && current.window_start > cutoff) {
        if (current.attempts >= max) return { allowed: false, retryAfterMs: current.window_start + windowMs - nowMs };
        continue;
      }
      const opened = await this.table.update({
        Key: itemKey,
        UpdateExpression: 'SET window_start = :now, attempts = :one, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(PK) OR window_start <= :cutoff',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': nowMs, ':one': 1, ':cutoff': cutoff, ':ttl': Math.ceil((nowMs + windowMs) / 1000) },
      });
      if (opened) return { allowed: true, windowStart: nowMs, attempts: 1 };
    }
    // Still contended after three rounds: a burst on one key, which is what throttling is for.
    return { allowed: false, retryAfterMs: 1000 };
  }

  async reserveBackoff(key: string, nowMs: number, policy: BackoffPolicy, opts: { ignoreDelay: boolean }): Promise<BackoffReservation> {
    const itemKey = keys.signInThrottle(key);
    const cutoff = nowMs - policy.resetMs;
    // Read, decide, then one write conditioned on what was read; a lost race reads again.
    for (let round = 0; round < 3; round++) {
      const current = await this.table.get(itemKey, BackoffSchema);
      const run = current && current.last_at > cutoff ? current : undefined;
      const decided = decideBackoff(run, nowMs, policy, opts.ignoreDelay);
      if (!decided.allowed) return decided;
      const { next } = decided;
      const written = await this.table.update({
        Key: itemKey,
        UpdateExpression:
          'SET since = :since, failures = :failures, last_at = :now, next_allowed_at = :next, exempt_start = :exempt_start, exempts = :exempts, #ttl = :ttl',
        ConditionExpression: run ? 'since = :since AND failures = :held' : 'attribute_not_exists(PK) OR last_at <= :cutoff',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':since': next.since,
          ':failures': next.failures,
          ':now': nowMs,
          ':next': next.next_allowed_at,
          ':exempt_start': next.exempt_start,
          ':exempts': next.exempts,
          ':ttl': Math.ceil((Math.max(next.next_allowed_at, nowMs) + policy.resetMs) / 1000),
          ...(run ? { ':held': run.failures } : { ':cutoff': cutoff }),
        },
      });
      if (written) return { allowed: true, since: next.since };
    }
    return { allowed: false, retryAfterMs: 1000 };
  }

  async refundBackoff(key: string, since: number): Promise<void> {
    await this.table.update({
      Key: keys.signInThrottle(key),
      UpdateExpression: 'SET failures = failures - :one',
      ConditionExpression: 'since = :since AND failures > :zero',
      ExpressionAttributeValues: { ':one': 1, ':since': since, ':zero': 0 },
    });
  }

  async refundAttempt(key: string, windowStart: number): Promise<void> {
    await this.table.update({
      Key: keys.signInThrottle(key),
      UpdateExpression: 'SET attempts = attempts - :one',
      ConditionExpression: 'window_start = :start AND attempts > :zero',
      ExpressionAttributeValues: { ':one': 1, ':start': windowStart, ':zero': 0 },
    });
  }
}
