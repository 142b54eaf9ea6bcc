import { beforeEach, describe, expect, it } from 'vitest';
import { normaliseUserCode, sha256Hex, USER_CODE_ALPHABET } from '../../functions/core/auth/codes.ts';
import { decideDevice, exchangeDeviceCode, startDeviceAuthorization } from '../../functions/core/auth/device.ts';
import type { AttemptReservation, AuthPorts, AuthStore, DeviceAuthorization, DeviceDecision, Session } from '../../functions/core/auth/ports.ts';
import { requireSessionWithCsrf, signIn } from '../../functions/core/auth/session.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { BrokerError } from '../../functions/core/errors.ts';
import type { AccessTokens, PasswordHasher, TenancyStore } from '../../functions/core/ports.ts';
import type { Domain, IdpBinding, User } from '../../functions/core/tenancy.ts';

const DOMAIN: Domain = {
  id: '019100a0-0a00-7000-8000-000000000001',
  slug: 'acme',
  name: 'Acme',
  mesh_cidr: '100.64.0.0/16',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
const OTHER_DOMAIN: Domain = { ...DOMAIN, id: '019100a0-0a00-7000-8000-0000000000ff', slug: 'other', name: 'Other' };
const BINDING: IdpBinding = {
  id: '019100a0-0b00-7000-8000-000000000001',
  domain_id: DOMAIN.id,
  label: 'password',
  kind: 'password',
  issuer_host: 'localhost',
  primary: true,
  platform_scoped: false,
};
const OTHER_BINDING: IdpBinding = { ...BINDING, id: '019100a0-0b00-7000-8000-0000000000ff', domain_id: OTHER_DOMAIN.id };

function user(id: string, email: string, domainId = DOMAIN.id): User {
  return {
    id,
    domain_id: domainId,
    email,
    display_name: email,
    password_hash: 'plain:password',
    platform_operator: false,
    domain_roles: {},
    created_at: DOMAIN.created_at,
  };
}
const ALICE = user('019100a0-0c00-7000-8000-000000000001', 'alice@example.com');
const MALLORY = user('019100a0-0c00-7000-8000-0000000000ff', 'mallory@example.com', OTHER_DOMAIN.id);

/** Conditional writes as DynamoDB does them: each check and its write happen in one step. */
class MemoryAuthStore implements AuthStore {
  devices = new Map<string, DeviceAuthorization>();
  userCodes = new Map<string, { hash: string; expires_at: string }>();
  sessions = new Map<string, Session>();
  throttles = new Map<string, { window_start: number; attempts: number }>();

  async createDeviceAuthorization(d: DeviceAuthorization) {
    const claim = this.userCodes.get(d.user_code);
    if (claim && claim.expires_at > d.created_at) return false;
    this.userCodes.set(d.user_code, { hash: d.device_code_hash, expires_at: d.expires_at });
    this.devices.set(d.device_code_hash, { ...d });
    return true;
  }
  async getDeviceAuthorization(hash: string) {
    const d = this.devices.get(hash);
    return d && { ...d };
  }
  async findDeviceAuthorizationByUserCode(code: string) {
    const claim = this.userCodes.get(code);
    return claim && this.getDeviceAuthorization(claim.hash);
  }
  async recordPoll(hash: string, nowMs: number, intervalMs: number) {
    const d = this.devices.get(hash);
    if (!d || (d.last_polled_at !== undefined && d.last_polled_at > nowMs - intervalMs)) return false;
    d.last_polled_at = nowMs;
    return true;
  }
  async decide(hash: string, decision: DeviceDecision, nowIso: string) {
    const d = this.devices.get(hash);
    if (d?.status !== 'pending' || d.expires_at <= nowIso) return false;
    Object.assign(d, decision);
    return true;
  }
  async redeem(hash: string, nowIso: string) {
    // Yield first, so concurrent callers really interleave before the check.
    await Promise.resolve();
    const d = this.devices.get(hash);
    if (d?.status !== 'approved' || d.expires_at <= nowIso) return false;
    d.status = 'redeemed';
    d.redeemed_at = nowIso;
    return true;
  }
  async createSession(s: Session) {
    this.sessions.set(s.session_hash, s);
  }
  async getSession(hash: string) {
    return this.sessions.get(hash);
  }
  async deleteSession(hash: string) {
    this.sessions.delete(hash);
  }
  async reserveAttempt(key: string, nowMs: number, windowMs: number, max: number): Promise<AttemptReservation> {
    const t = this.throttles.get(key);
    if (!t || t.window_start <= nowMs - windowMs) {
      this.throttles.set(key, { window_start: nowMs, attempts: 1 });
      return { allowed: true, windowStart: nowMs };
    }
    if (t.attempts >= max) return { allowed: false, retryAfterMs: t.window_start + windowMs - nowMs };
    t.attempts++;
    return { allowed: true, windowStart: t.window_start };
  }
  async refundAttempt(key: string, windowStart: number) {
    const t = this.throttles.get(key);
    if (t && t.window_start === windowStart && t.attempts > 0) t.attempts--;
  }
}

class FixedClock implements Clock {
  constructor(public ms: number) {}
  now() {
    return new Date(this.ms);
  }
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

const users = [ALICE, MALLORY];
const tenancy = {
  getDomain: async (id: string) => [DOMAIN, OTHER_DOMAIN].find((d) => d.id === id),
  listIdpBindings: async (domainId: string) => [BINDING, OTHER_BINDING].filter((b) => b.domain_id === domainId),
  getIdpBinding: async (domainId: string, id: string) => [BINDING, OTHER_BINDING].find((b) => b.domain_id === domainId && b.id === id),
  getUser: async (id: string) => users.find((u) => u.id === id),
  findUserByEmail: async (domainId: string, email: string) => users.find((u) => u.domain_id === domainId && u.email === email),
} as unknown as TenancyStore;

const verified: string[] = [];
const passwords: PasswordHasher = {
  hash: async (p) => `plain:${p}`,
  verify: async (p, stored) => {
    verified.push(stored);
    return stored === `plain:${p}`;
  },
};
const tokens: AccessTokens = {
  issue: async (c) => ({ token: `token-for-${c.subject}`, expiresIn: 3600 }),
  verify: async () => {
    throw new Error('unused');
  },
  jwks: async () => ({ keys: [] }),
};

let store: MemoryAuthStore;
let clock: FixedClock;
let ports: AuthPorts;

beforeEach(() => {
  store = new MemoryAuthStore();
  clock = new FixedClock(Date.parse('2026-03-01T12:00:00.000Z'));
  verified.length = 0;
  ports = {
    auth: store,
    tenancy,
    passwords,
    tokens,
    clock,
    config: {
      publicUrl: 'https://broker.example.com/',
      deviceCodeTtlSeconds: 600,
      pollIntervalSeconds: 5,
      sessionTtlSeconds: 1800,
      throttle: { windowSeconds: 900, maxFailuresPerEmail: 5, maxFailuresPerSource: 20 },
    },
  };
});

/** The machine code of the BrokerError a promise rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BrokerError) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}

const start = () => startDeviceAuthorization(ports, { domain_id: DOMAIN.id });
const signInAs = (email: string, password: string, sourceIp = '192.0.2.1') =>
  signIn(ports, { domain_id: DOMAIN.id, email, password, sourceIp });

describe('device authorization', () => {
  it('issues a device code stored only as its hash, and a readable user code', async () => {
    const started = await start();
    expect(started).toMatchObject({
      verification_uri: 'https://broker.example.com/v1/auth/device',
      expires_in: 600,
      interval: 5,
    });
    expect(started.user_code).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    for (const c of started.user_code.replace('-', '')) expect(USER_CODE_ALPHABET).toContain(c);
    expect(started.user_code).not.toMatch(/[01OI]/);
    expect(started.verification_uri_complete).toBe(`https://broker.example.com/v1/auth/device?user_code=${started.user_code}`);
    const [hash, stored] = [...store.devices.entries()][0] ?? [];
    expect(hash).toBe(await sha256Hex(started.device_code));
    expect(JSON.stringify(stored)).not.toContain(started.device_code);
  });

  it('normalises typed codes: any case, with or without the dash', () => {
    expect(normaliseUserCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normaliseUserCode(' ABCDEFGH ')).toBe('ABCDEFGH');
    expect(normaliseUserCode('abcd efgh')).toBe('ABCDEFGH');
    expect(normaliseUserCode('ABCD-EFG')).toBeUndefined();
    expect(normaliseUserCode('ABCD-EFG1')).toBeUndefined();
  });

  it('rejects an unknown domain, an unknown binding, and a missing domain', async () => {
    expect(await codeOf(startDeviceAuthorization(ports, { domain_id: '019100a0-0a00-7000-8000-00000000abcd' }))).toBe('domain_not_found');
    expect(await codeOf(startDeviceAuthorization(ports, { domain_id: DOMAIN.id, idp_binding_id: OTHER_BINDING.id }))).toBe(
      'idp_binding_not_found',
    );
    expect(await codeOf(startDeviceAuthorization(ports, {}))).toBe('platform_sign_in_not_enabled');
    expect(store.devices.size).toBe(0);
  });

  it('answers authorization_pending, then slow_down for a poll inside the interval', async () => {
    const { device_code } = await start();
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
    clock.advance(4.9);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('slow_down');
    clock.advance(0.1);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
  });

  it('expires: expired_token for the device, device_code_expired for the browser', async () => {
    const { device_code, user_code } = await start();
    clock.advance(599);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
    clock.advance(1);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('expired_token');
    expect(await codeOf(decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved'))).toBe('device_code_expired');
  });

  it('an approved code past its expiry gives no token', async () => {
    const { device_code, user_code } = await start();
    await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved');
    clock.advance(600);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('expired_token');
  });

  it('approval pins the signed-in user; the code is redeemed once', async () => {
    const { device_code, user_code } = await start();
    const code = normaliseUserCode(user_code) ?? '';
    expect(await decideDevice(ports, ALICE, code, 'approved')).toEqual({ status: 'approved' });
    expect(await codeOf(decideDevice(ports, ALICE, code, 'approved'))).toBe('device_code_already_approved');
    const issued = await exchangeDeviceCode(ports, device_code);
    expect(issued.token).toBe(`token-for-${ALICE.id}`);
    clock.advance(5);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('invalid_grant');
  });

  it('concurrent polls of an approved code yield exactly one token', async () => {
    const { device_code, user_code } = await start();
    await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved');
    // Every poll passes the interval check (each its own device, as a fast retry would), so only
    // the redeem write decides.
    store.recordPoll = async () => true;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => exchangeDeviceCode(ports, device_code)));
    const tokensIssued = outcomes.filter((o) => o.status === 'fulfilled');
    expect(tokensIssued).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) expect((o as PromiseRejectedResult).reason.code).toBe('invalid_grant');
  });

  it('deny ends in access_denied', async () => {
    const { device_code, user_code } = await start();
    expect(await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'denied')).toEqual({ status: 'denied' });
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('access_denied');
  });

  it('unknown codes: invalid_grant for the device, device_code_not_found for the browser', async () => {
    expect(await codeOf(exchangeDeviceCode(ports, 'no-such-code'))).toBe('invalid_grant');
    expect(await codeOf(decideDevice(ports, ALICE, 'ABCDEFGH', 'approved'))).toBe('device_code_not_found');
  });

  it('a user of another domain cannot approve the code', async () => {
    const { user_code } = await start();
    expect(await codeOf(decideDevice(ports, MALLORY, normaliseUserCode(user_code) ?? '', 'approved'))).toBe('device_code_domain_mismatch');
  });
});

describe('sign-in', () => {
  it('opens a session stored by hash, with a CSRF token bound to it', async () => {
    const started = await signInAs('Alice@Example.com', 'password');
    expect(started.user.id).toBe(ALICE.id);
    const session = store.sessions.get(await sha256Hex(started.sessionToken));
    expect(session?.csrf_hash).toBe(await sha256Hex(started.csrfToken));
    expect(JSON.stringify([...store.sessions])).not.toContain(started.sessionToken);
  });

  it('answers the same for a wrong password and an unknown email, checking a hash both times', async () => {
    expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    expect(await codeOf(signInAs('nobody@example.com', 'password'))).toBe('invalid_credentials');
    expect(verified).toHaveLength(2);
    expect(store.sessions.size).toBe(0);
  });

  it('throttles an email after five failures in the window, even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    clock.advance(60);
    let err: unknown;
    await signInAs('alice@example.com', 'password').catch((e) => {
      err = e;
    });
    expect(err).toMatchObject({ code: 'too_many_attempts', extra: { retry_after_seconds: 840 } });
    expect(verified).toHaveLength(5);
    clock.advance(840);
    expect((await signInAs('alice@example.com', 'password')).user.id).toBe(ALICE.id);
  });

  it('a success gives its attempt back', async () => {
    for (let i = 0; i < 4; i++) await codeOf(signInAs('alice@example.com', 'wrong'));
    await signInAs('alice@example.com', 'password');
    expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    expect(await codeOf(signInAs('alice@example.com', 'password'))).toBe('too_many_attempts');
  });

  it('throttles a source that fails across many emails', async () => {
    for (let i = 0; i < 20; i++) await codeOf(signInAs(`guess${i}@example.com`, 'x', '198.51.100.7'));
    expect(await codeOf(signInAs('alice@example.com', 'password', '198.51.100.7'))).toBe('too_many_attempts');
    // The refused attempt did not count against Alice's own window.
    expect((await signInAs('alice@example.com', 'password', '192.0.2.50')).user.id).toBe(ALICE.id);
  });

  it('session writes need the session (401), then the CSRF header matching cookie and session (403)', async () => {
    const a = await signInAs('alice@example.com', 'password');
    const b = await signInAs('alice@example.com', 'password');
    const check = (sessionToken: string | undefined, csrfCookie: string | undefined, csrfHeader: string | undefined) =>
      codeOf(requireSessionWithCsrf(ports, { sessionToken, csrfCookie, csrfHeader }));
    expect(await check(undefined, a.csrfToken, a.csrfToken)).toBe('unauthenticated');
    expect(await check('forged', a.csrfToken, a.csrfToken)).toBe('unauthenticated');
    expect(await check(a.sessionToken, a.csrfToken, undefined)).toBe('csrf_token_mismatch');
    expect(await check(a.sessionToken, a.csrfToken, 'other')).toBe('csrf_token_mismatch');
    // b's pair is self-consistent but belongs to another session.
    expect(await check(a.sessionToken, b.csrfToken, b.csrfToken)).toBe('csrf_token_mismatch');
    const ok = await requireSessionWithCsrf(ports, { sessionToken: a.sessionToken, csrfCookie: a.csrfToken, csrfHeader: a.csrfToken });
    expect(ok.user.id).toBe(ALICE.id);
    clock.advance(1800);
    expect(await check(a.sessionToken, a.csrfToken, a.csrfToken)).toBe('unauthenticated');
  });
});
