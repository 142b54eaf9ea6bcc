import * as z from 'zod';
import type { Clock } from '../clock.ts';
import { IdSchema } from '../ids.ts';
import type { AccessTokens, PasswordHasher, TenancyStore } from '../ports.ts';

// The broker as its own RFC 8628 device-authorization server, with the built-in password IdP.
// Device codes and session tokens are bearer secrets: only their SHA-256 hashes are stored.
// This module holds the entities, their store port, and the ports every auth use case takes.

export const DeviceStatusSchema = z.enum(['pending', 'approved', 'denied', 'redeemed']);
export type DeviceStatus = z.infer<typeof DeviceStatusSchema>;

export const DeviceAuthorizationSchema = z.object({
  device_code_hash: z.string(),
  user_code: z.string(),
  domain_id: IdSchema,
  idp_binding_id: IdSchema,
  status: DeviceStatusSchema,
  interval_seconds: z.number().int().positive(),
  created_at: z.string(),
  expires_at: z.string(),
  /** Epoch milliseconds of the last accepted poll. */
  last_polled_at: z.number().optional(),
  /** The user pinned by approval: the token's subject. */
  subject_id: IdSchema.optional(),
  decided_at: z.string().optional(),
  redeemed_at: z.string().optional(),
});
export type DeviceAuthorization = z.infer<typeof DeviceAuthorizationSchema>;

export const SessionSchema = z.object({
  session_hash: z.string(),
  user_id: IdSchema,
  domain_id: IdSchema,
  csrf_hash: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});
export type Session = z.infer<typeof SessionSchema>;

/** `attempts` counts this one: 1 means the key had no attempt held in its window. */
export type AttemptReservation = { allowed: true; windowStart: number; attempts: number } | { allowed: false; retryAfterMs: number };

/** A growing delay: `freeFailures` pass untouched, then each one waits twice as long, up to `maxDelayMs`. */
export interface BackoffPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A run of failures is forgotten this long after its last one. */
  resetMs: number;
  /** How many attempts the delay may let through per `exemptionWindowMs` when asked to (clean addresses). */
  maxExemptions: number;
  exemptionWindowMs: number;
}

/** The stored state of one key's growing delay; `exempt_*` count the attempts let through the delay. */
export interface BackoffState {
  since: number;
  failures: number;
  last_at: number;
  next_allowed_at: number;
  exempt_start: number;
  exempts: number;
}

/** `since` names the run of failures the attempt was counted in (for the refund). */
export type BackoffReservation = { allowed: true; since: number } | { allowed: false; retryAfterMs: number };

export type DeviceDecision = { status: 'approved'; subject_id: string; decided_at: string } | { status: 'denied'; decided_at: string };

/** Device authorizations, sign-in sessions and sign-in throttles. Every change is one conditional write. */
export interface AuthStore {
  /**
   * Claims the user code (free, or held by an expired authorization), then writes the
   * authorization. Returns false when a live authorization holds the user code.
   */
  createDeviceAuthorization(device: DeviceAuthorization): Promise<boolean>;
  getDeviceAuthorization(deviceCodeHash: string): Promise<DeviceAuthorization | undefined>;
  findDeviceAuthorizationByUserCode(userCode: string): Promise<DeviceAuthorization | undefined>;
  /** Records a poll at `nowMs` unless the previous accepted poll was less than `intervalMs` ago. */
  recordPoll(deviceCodeHash: string, nowMs: number, intervalMs: number): Promise<boolean>;
  /** pending → approved|denied, only while unexpired at `nowIso`. */
  decide(deviceCodeHash: string, decision: DeviceDecision, nowIso: string): Promise<boolean>;
  /** approved → redeemed, only while unexpired at `nowIso`: a device code is redeemed once. */
  redeem(deviceCodeHash: string, nowIso: string): Promise<boolean>;

  createSession(session: Session): Promise<void>;
  getSession(sessionHash: string): Promise<Session | undefined>;
  /** Idempotent: deleting a session that is gone is not an error. */
  deleteSession(sessionHash: string): Promise<void>;

  /**
   * Takes one attempt from the fixed window keyed by `key` (a new window starts at `nowMs` when
   * the last one ended); refused once `max` attempts are held in the current window.
   */
  reserveAttempt(key: string, nowMs: number, windowMs: number, max: number): Promise<AttemptReservation>;
  /** Gives back an attempt that turned out to be a success. */
  refundAttempt(key: string, windowStart: number): Promise<void>;
  /**
   * Counts one attempt as a failure in advance and sets the key's `next_allowed_at` to `nowMs`
   * plus the policy's delay for that count; refused while `next_allowed_at` is ahead of `nowMs`.
   * With `ignoreDelay`, an attempt the delay would refuse is let through, counted, and leaves the
   * delay as it is, but only `maxExemptions` times per `exemptionWindowMs`; beyond that it waits
   * too. Decided by `decideBackoff` (throttle.ts) and written in one conditional write.
   */
  reserveBackoff(key: string, nowMs: number, policy: BackoffPolicy, opts: { ignoreDelay: boolean }): Promise<BackoffReservation>;
  /** Gives back an attempt of the run `since` that turned out to be a success; the delay stays. */
  refundBackoff(key: string, since: number): Promise<void>;
}

export interface AuthConfig {
  /** The broker's public base URL: the device flow's verification_uri is built on it. */
  publicUrl: string;
  deviceCodeTtlSeconds: number;
  pollIntervalSeconds: number;
  sessionTtlSeconds: number;
  throttle: ThrottleConfig;
}

export interface ThrottleConfig {
  windowSeconds: number;
  /** Failed passwords for one email from one source address, per window. */
  maxFailuresPerPair: number;
  /** Failed passwords from one source address, whatever the email, per window. */
  maxFailuresPerSource: number;
  /** Unknown user codes looked up, approved or denied from one source address, per window. */
  maxUserCodeFailuresPerSource: number;
  /** The growing delay on one email, whatever the source; clean addresses skip it at most `maxExemptionsPerWindow` times per window. */
  email: { freeFailures: number; baseDelaySeconds: number; maxDelaySeconds: number; resetSeconds: number; maxExemptionsPerWindow: number };
}

export const DEFAULT_SESSION_TTL_SECONDS = 30 * 60;
/**
 * Why these numbers:
 * - Per (email, address), 5 failures per 15 minutes: the strict tier. It is keyed on the address
 *   too, so a guesser elsewhere cannot spend the owner's allowance and lock them out.
 * - Per address, 20 per 15 minutes (sign-in), and 20 unknown user codes per 15 minutes (RFC 8628
 *   §5.1; against 30^8 codes, 20 guesses are worthless): looser, since an office NAT is one address.
 * - Per email, from anywhere: 10 failures free (the owner's own typos from a few places), then
 *   5 s, 10 s, 20 s, ... capped at 5 minutes between attempts; 1 hour of quiet forgets the run.
 *   An address that has no failure held for this email (in the 15-minute pair window) need not
 *   wait, up to 10 such addresses per email per 15 minutes: that is how the owner, from their own
 *   address, usually gets in while guessers elsewhere keep the delay at its cap. Its failure still
 *   counts toward the delay. The cap is what keeps a botnet (or an IPv6 block: addresses count per
 *   /48) from skipping the delay with a fresh address per guess: past 10 in a window, clean
 *   addresses wait the delay too, so guessers get at most 10 + 3 attempts per 15 minutes once the
 *   delay is capped, and the owner's worst case is waiting the capped delay (5 minutes). An owner
 *   who mistyped on their own address waits out the 15-minute pair window at worst.
 */
export const DEFAULT_THROTTLE: ThrottleConfig = {
  windowSeconds: 15 * 60,
  maxFailuresPerPair: 5,
  maxFailuresPerSource: 20,
  maxUserCodeFailuresPerSource: 20,
  email: { freeFailures: 10, baseDelaySeconds: 5, maxDelaySeconds: 5 * 60, resetSeconds: 60 * 60, maxExemptionsPerWindow: 10 },
};

export interface AuthPorts {
  auth: AuthStore;
  tenancy: TenancyStore;
  passwords: PasswordHasher;
  tokens: AccessTokens;
  clock: Clock;
  config: AuthConfig;
}
