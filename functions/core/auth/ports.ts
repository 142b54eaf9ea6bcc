import { z } from 'zod';
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

export type AttemptReservation = { allowed: true; windowStart: number } | { allowed: false; retryAfterMs: number };

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
}

export interface AuthConfig {
  /** The broker's public base URL: the device flow's verification_uri is built on it. */
  publicUrl: string;
  deviceCodeTtlSeconds: number;
  pollIntervalSeconds: number;
  sessionTtlSeconds: number;
  throttle: { windowSeconds: number; maxFailuresPerEmail: number; maxFailuresPerSource: number };
}

export const DEFAULT_SESSION_TTL_SECONDS = 30 * 60;
// Per-source is looser than per-email: many people can share one address (an office NAT).
export const DEFAULT_THROTTLE = { windowSeconds: 15 * 60, maxFailuresPerEmail: 5, maxFailuresPerSource: 20 };

export interface AuthPorts {
  auth: AuthStore;
  tenancy: TenancyStore;
  passwords: PasswordHasher;
  tokens: AccessTokens;
  clock: Clock;
  config: AuthConfig;
}
