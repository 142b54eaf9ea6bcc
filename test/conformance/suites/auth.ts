import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuthStore } from '../../../functions/adapters/auth-store.ts';
import type { DeviceAuthorization, Session } from '../../../functions/core/auth/ports.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { AT, LATER } from '../fixtures.ts';

const T_MS = Date.parse(AT);
const MID = '2026-06-01T00:30:00.000Z';

function device(overrides: Partial<DeviceAuthorization> = {}): DeviceAuthorization {
  return {
    device_code_hash: `device-${newId()}`,
    user_code: `USER-${newId().slice(-8).toUpperCase()}`,
    domain_id: newId(),
    idp_binding_id: newId(),
    status: 'pending',
    interval_seconds: 5,
    created_at: AT,
    expires_at: LATER,
    ...overrides,
  };
}

export const authStoreSuite: ConformanceSuite = (backend) => {
  describe('auth store', () => {
    let store: DynamoAuthStore;
    const fresh = suiteTable(backend, 'auth');
    beforeAll(() => {
      store = new DynamoAuthStore(fresh());
    });

    it('holds a user code for one live device authorization; an expired one gives it up', async () => {
      const d = device();
      expect(await store.createDeviceAuthorization(d)).toBe(true);
      expect(await store.getDeviceAuthorization(d.device_code_hash)).toEqual(d);
      expect(await store.findDeviceAuthorizationByUserCode(d.user_code)).toEqual(d);
      expect(await store.createDeviceAuthorization(device({ user_code: d.user_code, created_at: MID }))).toBe(false);
      const successor = device({ user_code: d.user_code, created_at: LATER, expires_at: '2026-06-01T02:00:00.000Z' });
      expect(await store.createDeviceAuthorization(successor)).toBe(true);
      expect(await store.findDeviceAuthorizationByUserCode(d.user_code)).toEqual(successor);
      expect(await store.findDeviceAuthorizationByUserCode('NOPE-0000')).toBeUndefined();
    });

    it('accepts polls no faster than the interval', async () => {
      const d = device();
      await store.createDeviceAuthorization(d);
      expect(await store.recordPoll(d.device_code_hash, T_MS, 5000)).toBe(true);
      expect(await store.recordPoll(d.device_code_hash, T_MS + 4999, 5000)).toBe(false);
      expect(await store.recordPoll(d.device_code_hash, T_MS + 5000, 5000)).toBe(true);
      expect(await store.recordPoll('unknown', T_MS, 5000)).toBe(false);
    });

    it('decides a pending authorization once while unexpired, and redeems an approved one once', async () => {
      const d = device();
      await store.createDeviceAuthorization(d);
      const subject = newId();
      expect(await store.redeem(d.device_code_hash, MID)).toBe(false);
      expect(await store.decide(d.device_code_hash, { status: 'approved', subject_id: subject, decided_at: MID }, LATER)).toBe(false);
      expect(await store.decide(d.device_code_hash, { status: 'approved', subject_id: subject, decided_at: MID }, MID)).toBe(true);
      expect(await store.decide(d.device_code_hash, { status: 'denied', decided_at: MID }, MID)).toBe(false);
      expect(await store.getDeviceAuthorization(d.device_code_hash)).toMatchObject({ status: 'approved', subject_id: subject, decided_at: MID });
      expect(await store.redeem(d.device_code_hash, MID)).toBe(true);
      expect(await store.redeem(d.device_code_hash, MID)).toBe(false);

      const denied = device();
      await store.createDeviceAuthorization(denied);
      expect(await store.decide(denied.device_code_hash, { status: 'denied', decided_at: MID }, MID)).toBe(true);
      expect(await store.redeem(denied.device_code_hash, MID)).toBe(false);
    });

    it('creates, reads and deletes sessions; deleting a gone one is fine', async () => {
      const session: Session = { session_hash: `session-${newId()}`, user_id: newId(), domain_id: newId(), csrf_hash: 'csrf', created_at: AT, expires_at: LATER };
      await store.createSession(session);
      expect(await store.getSession(session.session_hash)).toEqual(session);
      await expect(store.createSession(session)).rejects.toThrow(/collision/);
      await store.deleteSession(session.session_hash);
      await store.deleteSession(session.session_hash);
      expect(await store.getSession(session.session_hash)).toBeUndefined();
    });

    it('throttles attempts per fixed window, opens a new window when the last one ended, and refunds', async () => {
      const key = `throttle-${newId()}`;
      const window = 60_000;
      expect(await store.reserveAttempt(key, T_MS, window, 2)).toEqual({ allowed: true, windowStart: T_MS, attempts: 1 });
      expect(await store.reserveAttempt(key, T_MS + 1, window, 2)).toEqual({ allowed: true, windowStart: T_MS, attempts: 2 });
      expect(await store.reserveAttempt(key, T_MS + 1000, window, 2)).toEqual({ allowed: false, retryAfterMs: window - 1000 });
      await store.refundAttempt(key, T_MS);
      expect(await store.reserveAttempt(key, T_MS + 2000, window, 2)).toEqual({ allowed: true, windowStart: T_MS, attempts: 2 });
      expect(await store.reserveAttempt(key, T_MS + window + 1, window, 2)).toEqual({ allowed: true, windowStart: T_MS + window + 1, attempts: 1 });
    });

    it('backs off: free failures, then a doubling delay that refuses until it ends; ignoreDelay passes; a quiet hour forgets', async () => {
      const key = `backoff-${newId()}`;
      const policy = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, resetMs: 3_600_000, maxExemptions: 10, exemptionWindowMs: 60_000 };
      const wait = { ignoreDelay: false };
      expect(await store.reserveBackoff(key, T_MS, policy, wait)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 1, policy, wait)).toEqual({ allowed: true, since: T_MS });
      // The third failure sets 1 s; inside it the next is refused, and a clean caller passes without moving it.
      expect(await store.reserveBackoff(key, T_MS + 2, policy, wait)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 500, policy, wait)).toEqual({ allowed: false, retryAfterMs: 502 });
      expect(await store.reserveBackoff(key, T_MS + 600, policy, { ignoreDelay: true })).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 700, policy, wait)).toEqual({ allowed: false, retryAfterMs: 302 });
      expect(await store.reserveBackoff(key, T_MS + 1002, policy, wait)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 1003, policy, wait)).toEqual({ allowed: false, retryAfterMs: 3999 });
      // A success gives its failure back (a refund naming an older run does nothing): the next waits 4 s again, not 8 s.
      await store.refundBackoff(key, T_MS - 1);
      await store.refundBackoff(key, T_MS);
      expect(await store.reserveBackoff(key, T_MS + 5002, policy, wait)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 5003, policy, wait)).toEqual({ allowed: false, retryAfterMs: 3999 });
      // An hour after the last failure the run starts over.
      const later = T_MS + 5002 + 3_600_000;
      expect(await store.reserveBackoff(key, later, policy, wait)).toEqual({ allowed: true, since: later });
      expect(await store.reserveBackoff(key, later + 1, policy, wait)).toEqual({ allowed: true, since: later });
    });

    it('lets ignoreDelay through the delay at most maxExemptions times per window; then it waits too', async () => {
      const key = `backoff-exempt-${newId()}`;
      const policy = { freeFailures: 0, baseDelayMs: 4000, maxDelayMs: 60_000, resetMs: 3_600_000, maxExemptions: 2, exemptionWindowMs: 10_000 };
      const clean = { ignoreDelay: true };
      expect(await store.reserveBackoff(key, T_MS, policy, { ignoreDelay: false })).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 1, policy, clean)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 2, policy, clean)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 3, policy, clean)).toEqual({ allowed: false, retryAfterMs: 3997 });
      // An attempt the delay does not hold back sets it from the count, clean or not: 4 failures, 32 s.
      expect(await store.reserveBackoff(key, T_MS + 4000, policy, clean)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 4001, policy, clean)).toEqual({ allowed: false, retryAfterMs: 31_999 });
      // A new window brings new exemptions; an attempt that may not skip still waits.
      expect(await store.reserveBackoff(key, T_MS + 10_000, policy, clean)).toEqual({ allowed: true, since: T_MS });
      expect(await store.reserveBackoff(key, T_MS + 10_001, policy, { ignoreDelay: false })).toEqual({ allowed: false, retryAfterMs: 25_999 });
    });
  });
};
