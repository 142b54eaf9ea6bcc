import {
  type AttemptReservation,
  type AuthPorts,
  type AuthStore,
  type BackoffPolicy,
  type BackoffReservation,
  type BackoffState,
  DEFAULT_THROTTLE,
  type DeviceAuthorization,
  type DeviceDecision,
  type Session,
} from '../../functions/core/auth/ports.ts';
import { decideBackoff } from '../../functions/core/auth/throttle.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { BrokerError } from '../../functions/core/errors.ts';
import type { AccessTokens, PasswordHasher, TenancyStore } from '../../functions/core/ports.ts';
import type { Domain, IdpBinding, User } from '../../functions/core/tenancy.ts';

// The auth use cases over memory (test/unit/auth*.test.ts): a store whose conditional writes
// behave as DynamoDB's do, a clock the test moves, and two domains with a user each.

export const DOMAIN: Domain = {
  id: '019100a0-0a00-7000-8000-000000000001',
  slug: 'acme',
  name: 'Acme',
  mesh_cidr: '100.64.0.0/16',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
export const OTHER_DOMAIN: Domain = { ...DOMAIN, id: '019100a0-0a00-7000-8000-0000000000ff', slug: 'other', name: 'Other' };
export const BINDING: IdpBinding = {
  id: '019100a0-0b00-7000-8000-000000000001',
  domain_id: DOMAIN.id,
  label: 'password',
  kind: 'password',
  issuer_host: 'localhost',
  primary: true,
  platform_scoped: false,
};
export const OTHER_BINDING: IdpBinding = { ...BINDING, id: '019100a0-0b00-7000-8000-0000000000ff', domain_id: OTHER_DOMAIN.id };

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
export const ALICE = user('019100a0-0c00-7000-8000-000000000001', 'alice@example.com');
export const MALLORY = user('019100a0-0c00-7000-8000-0000000000ff', 'mallory@example.com', OTHER_DOMAIN.id);

/** Conditional writes as DynamoDB does them: each check and its write happen in one step. */
export class MemoryAuthStore implements AuthStore {
  devices = new Map<string, DeviceAuthorization>();
  userCodes = new Map<string, { hash: string; expires_at: string }>();
  sessions = new Map<string, Session>();
  throttles = new Map<string, { window_start: number; attempts: number }>();
  backoffs = new Map<string, BackoffState>();

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
      return { allowed: true, windowStart: nowMs, attempts: 1 };
    }
    if (t.attempts >= max) return { allowed: false, retryAfterMs: t.window_start + windowMs - nowMs };
    t.attempts++;
    return { allowed: true, windowStart: t.window_start, attempts: t.attempts };
  }
  async reserveBackoff(key: string, nowMs: number, policy: BackoffPolicy, opts: { ignoreDelay: boolean }): Promise<BackoffReservation> {
    const decided = decideBackoff(this.backoffs.get(key), nowMs, policy, opts.ignoreDelay);
    if (!decided.allowed) return decided;
    this.backoffs.set(key, decided.next);
    return { allowed: true, since: decided.next.since };
  }
  async refundBackoff(key: string, since: number) {
    const b = this.backoffs.get(key);
    if (b && b.since === since && b.failures > 0) b.failures--;
  }
  async refundAttempt(key: string, windowStart: number) {
    const t = this.throttles.get(key);
    if (t && t.window_start === windowStart && t.attempts > 0) t.attempts--;
  }
}

export class FixedClock implements Clock {
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

const tokens: AccessTokens = {
  issue: async (c) => ({ token: `token-for-${c.subject}`, expiresIn: 3600 }),
  verify: async () => {
    throw new Error('unused');
  },
  jwks: async () => ({ keys: [] }),
};

/** Fresh auth ports over memory: the store, a clock the test moves, and the hashes checked. */
export function fakeAuthPorts(): { store: MemoryAuthStore; clock: FixedClock; ports: AuthPorts; verified: string[] } {
  const store = new MemoryAuthStore();
  const clock = new FixedClock(Date.parse('2026-03-01T12:00:00.000Z'));
  const verified: string[] = [];
  const passwords: PasswordHasher = {
    hash: async (p) => `plain:${p}`,
    verify: async (p, stored) => {
      verified.push(stored);
      return stored === `plain:${p}`;
    },
  };
  const config = {
    publicUrl: 'https://broker.example.com/',
    deviceCodeTtlSeconds: 600,
    pollIntervalSeconds: 5,
    sessionTtlSeconds: 1800,
    throttle: DEFAULT_THROTTLE,
  };
  return { store, clock, verified, ports: { auth: store, tenancy, passwords, tokens, clock, config } };
}

/** The machine code of the BrokerError a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BrokerError) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}
