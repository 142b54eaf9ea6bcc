import { z } from 'zod';
import type { Clock } from './clock.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
  TooManyRequestsError,
  UnauthenticatedError,
} from './errors.ts';
import { IdSchema } from './ids.ts';
import type { AccessTokens, IssuedToken, PasswordHasher, TenancyStore } from './ports.ts';
import type { Domain, IdpBinding, User } from './tenancy.ts';

// The broker as its own RFC 8628 device-authorization server, with the built-in password IdP.
// Device codes and session tokens are bearer secrets: only their SHA-256 hashes are stored.

// ---------------------------------------------------------------------------------------------
// Entities and their store port
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Settings and ports
// ---------------------------------------------------------------------------------------------

export interface AuthSettings {
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
  settings: AuthSettings;
}

// ---------------------------------------------------------------------------------------------
// Codes, hashes and input schemas
// ---------------------------------------------------------------------------------------------

// A subset of the contract's base32 alphabet (A-Z, 2-7) without the look-alikes I and O (0 and 1
// are not in it to begin with), so a code read off a terminal is typed right the first time.
export const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ234567';
const USER_CODE_LENGTH = 8;

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return bytes;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** 256 random bits, URL-safe: device codes, session and CSRF tokens. */
export function newSecretToken(): string {
  return base64url(randomBytes(32));
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Eight characters drawn without modulo bias, stored and compared without the dash. */
export function newUserCode(): string {
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  let code = '';
  while (code.length < USER_CODE_LENGTH) {
    for (const b of randomBytes(16)) {
      if (b < limit && code.length < USER_CODE_LENGTH) code += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
    }
  }
  return code;
}

/** ABCDEFGH → ABCD-EFGH, as shown to people. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What people type: any case, with or without the dash or spaces. Undefined when it cannot be a code. */
export function normaliseUserCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z2-7]{8}$/.test(code) ? code : undefined;
}

export const UserCodeSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const code = normaliseUserCode(value);
    if (!code) {
      ctx.addIssue({ code: 'custom', message: 'must be a code such as ABCD-EFGH' });
      return z.NEVER;
    }
    return code;
  });

export const DeviceCodeRequestSchema = z.strictObject({
  domain_id: IdSchema.optional(),
  idp_binding_id: IdSchema.optional(),
  // Accepted for wire compatibility with clients that send it; this server has one client.
  client_id: z.string().max(4096).optional(),
});

export const DeviceTokenRequestSchema = z.strictObject({
  device_code: z.string().min(1).max(4096),
  client_id: z.string().max(4096).optional(),
});

export const SignInRequestSchema = z.strictObject({
  domain_id: IdSchema.optional(),
  idp_binding_id: IdSchema.optional(),
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

export const DeviceDecisionRequestSchema = z.strictObject({ user_code: UserCodeSchema });

function expired(isoExpiry: string, now: Date): boolean {
  return now.getTime() >= Date.parse(isoExpiry);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// ---------------------------------------------------------------------------------------------
// IdP bindings
// ---------------------------------------------------------------------------------------------

/** The display-safe projection the sign-in chooser sees. */
export const IdpBindingViewSchema = z.object({
  id: IdSchema,
  label: z.string(),
  issuer_host: z.string(),
  primary: z.boolean(),
  platform_scoped: z.boolean(),
});
export type IdpBindingView = z.infer<typeof IdpBindingViewSchema>;

export function idpBindingView(b: IdpBinding): IdpBindingView {
  return { id: b.id, label: b.label, issuer_host: b.issuer_host, primary: b.primary, platform_scoped: b.platform_scoped };
}

/**
 * The bindings a domain signs in with, primary first. An unknown domain answers like a domain
 * with no bindings (an empty list), so this anonymous surface is not a domain-existence oracle.
 */
export async function listIdpBindings(ports: Pick<AuthPorts, 'tenancy'>, domainId: string): Promise<IdpBinding[]> {
  const bindings = await ports.tenancy.listIdpBindings(domainId);
  return bindings.sort((a, b) => Number(b.primary) - Number(a.primary) || a.label.localeCompare(b.label));
}

/** A domain's binding: the one named, else the primary, else the only one. */
async function resolveBinding(
  ports: Pick<AuthPorts, 'tenancy'>,
  domainId: string | undefined,
  bindingId: string | undefined,
): Promise<{ domain: Domain; binding: IdpBinding }> {
  if (!domainId) {
    throw new InvalidInputError(
      'platform_sign_in_not_enabled',
      'Name the domain to sign in to (domain_id): platform-scoped sign-in is not enabled on this deployment.',
    );
  }
  const domain = await ports.tenancy.getDomain(domainId);
  if (!domain) throw new NotFoundError('domain_not_found', 'The domain does not exist.');
  let binding: IdpBinding | undefined;
  if (bindingId) {
    binding = await ports.tenancy.getIdpBinding(domainId, bindingId);
  } else {
    const all = await ports.tenancy.listIdpBindings(domainId);
    binding = all.find((b) => b.primary) ?? (all.length === 1 ? all[0] : undefined);
    if (!binding && all.length > 1) {
      throw new InvalidInputError(
        'idp_binding_ambiguous',
        'The domain has several sign-in bindings and no primary one; name idp_binding_id.',
      );
    }
  }
  if (!binding) throw new NotFoundError('idp_binding_not_found', 'The domain has no such active sign-in binding.');
  if (binding.kind !== 'password') {
    throw new NotImplementedError(
      'idp_kind_not_supported',
      `Sign-in through a ${binding.kind} binding is not supported by this broker yet.`,
    );
  }
  return { domain, binding };
}

// ---------------------------------------------------------------------------------------------
// Device flow (RFC 8628)
// ---------------------------------------------------------------------------------------------

/** The answer to POST /v1/auth/device-code. */
export const DeviceCodeViewSchema = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});
export type StartedDeviceAuthorization = z.infer<typeof DeviceCodeViewSchema>;

/** The answer to POST /v1/auth/device-token once the sign-in was approved. */
export const DeviceTokenViewSchema = z.object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() });
export type DeviceTokenView = z.infer<typeof DeviceTokenViewSchema>;

/** The answer to approving or denying a code on the sign-in page. */
export const DeviceDecisionViewSchema = z.object({ status: z.enum(['approved', 'denied']) });

/**
 * Starts a device authorization. Primary course:
 * 1. the domain and its password binding resolve;
 * 2. a fresh user code is claimed (a live holder means draw again), then the authorization is
 *    written, holding the device code's hash only.
 */
export async function startDeviceAuthorization(
  ports: AuthPorts,
  input: { domain_id?: string | undefined; idp_binding_id?: string | undefined },
): Promise<StartedDeviceAuthorization> {
  const { domain, binding } = await resolveBinding(ports, input.domain_id, input.idp_binding_id);
  const { deviceCodeTtlSeconds: ttl, pollIntervalSeconds: interval, publicUrl } = ports.settings;
  const deviceCode = newSecretToken();
  const now = ports.clock.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const userCode = newUserCode();
    const created = await ports.auth.createDeviceAuthorization({
      device_code_hash: await sha256Hex(deviceCode),
      user_code: userCode,
      domain_id: domain.id,
      idp_binding_id: binding.id,
      status: 'pending',
      interval_seconds: interval,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
    });
    if (created) {
      const verificationUri = `${publicUrl.replace(/\/+$/, '')}/v1/auth/device`;
      const shown = formatUserCode(userCode);
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${shown}`,
        expires_in: ttl,
        interval,
      };
    }
  }
  throw new ConflictError('user_code_exhausted', 'Could not draw a free user code; try again.');
}

const invalidGrant = () => new InvalidInputError('invalid_grant', 'The device code is not valid, or it has already been used.');

/**
 * Exchanges a device code for an access token. Each poll is one conditional write that refuses
 * polls closer than the interval (`slow_down`); an approved code is redeemed by one conditional
 * write, so exactly one poll gets the token.
 */
export async function exchangeDeviceCode(ports: AuthPorts, deviceCode: string): Promise<IssuedToken> {
  const hash = await sha256Hex(deviceCode);
  const device = await ports.auth.getDeviceAuthorization(hash);
  if (!device || device.status === 'redeemed') throw invalidGrant();
  const now = ports.clock.now();
  if (expired(device.expires_at, now)) {
    throw new InvalidInputError('expired_token', 'The device code has expired; start the sign-in again.');
  }
  if (!(await ports.auth.recordPoll(hash, now.getTime(), device.interval_seconds * 1000))) {
    throw new InvalidInputError('slow_down', `Polling too fast; wait at least ${device.interval_seconds} seconds between polls.`, {
      interval: device.interval_seconds,
    });
  }
  if (device.status === 'pending') {
    throw new InvalidInputError('authorization_pending', 'The sign-in has not been approved yet; keep polling.');
  }
  if (device.status === 'denied') throw new InvalidInputError('access_denied', 'The sign-in was denied in the browser.');
  if (!device.subject_id || !(await ports.auth.redeem(hash, now.toISOString()))) throw invalidGrant();
  const user = await ports.tenancy.getUser(device.subject_id);
  if (!user || user.domain_id !== device.domain_id) throw invalidGrant();
  return ports.tokens.issue({ subject: user.id, domainId: user.domain_id, email: user.email });
}

// ---------------------------------------------------------------------------------------------
// The sign-in page's session
// ---------------------------------------------------------------------------------------------

export interface StartedSession {
  /** Cookie values, shown once; only their hashes are stored. */
  sessionToken: string;
  csrfToken: string;
  session: Session;
  user: User;
}

/** The answer to POST /v1/auth/sign-in (the session itself travels in cookies). */
export const SignInViewSchema = z.object({
  subject: IdSchema,
  email: z.string(),
  display_name: z.string(),
  domain_id: IdSchema,
  expires_at: z.string(),
});
export type SignInView = z.infer<typeof SignInViewSchema>;

/** The answer to GET /v1/auth/whoami. */
export const WhoamiViewSchema = z.object({
  principal_type: z.literal('user'),
  principal_scope: z.literal('domain'),
  subject: IdSchema,
  domain_id: IdSchema,
  email: z.string(),
  display_name: z.string(),
});
export type WhoamiView = z.infer<typeof WhoamiViewSchema>;

/** GET /v1/auth/jwks: a JWK may carry members beyond these, so each key stays open. */
export const JwksViewSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});
export type JwksView = z.infer<typeof JwksViewSchema>;

const dummyHashes = new WeakMap<PasswordHasher, Promise<string>>();

/** A hash to check against when the email is unknown, so both answers take as long. */
function dummyHash(passwords: PasswordHasher): Promise<string> {
  let hash = dummyHashes.get(passwords);
  if (!hash) {
    hash = passwords.hash(newSecretToken());
    dummyHashes.set(passwords, hash);
  }
  return hash;
}

function tooManyAttempts(retryAfterMs: number): TooManyRequestsError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new TooManyRequestsError(
    'too_many_attempts',
    `Too many failed sign-in attempts; try again in ${Math.ceil(seconds / 60)} minute(s).`,
    {
      retry_after_seconds: seconds,
    },
  );
}

/**
 * Checks a password and opens a session. Primary course:
 * 1. the domain's password binding resolves;
 * 2. one attempt is taken from the email's and the source's throttle windows (429 when full);
 * 3. the password is checked (an unknown email is checked against a dummy hash: same answer,
 *    same time);
 * 4. on success both attempts are given back and the session is written, hashed.
 */
export async function signIn(
  ports: AuthPorts,
  input: { domain_id?: string | undefined; idp_binding_id?: string | undefined; email: string; password: string; sourceIp: string },
): Promise<StartedSession> {
  const { domain } = await resolveBinding(ports, input.domain_id, input.idp_binding_id);
  const email = input.email.trim().toLowerCase();
  const now = ports.clock.now();
  const { windowSeconds, maxFailuresPerEmail, maxFailuresPerSource } = ports.settings.throttle;
  const windowMs = windowSeconds * 1000;

  const emailKey = `email:${await sha256Hex(`${domain.id}\n${email}`)}`;
  const sourceKey = `source:${input.sourceIp}`;
  const byEmail = await ports.auth.reserveAttempt(emailKey, now.getTime(), windowMs, maxFailuresPerEmail);
  if (!byEmail.allowed) throw tooManyAttempts(byEmail.retryAfterMs);
  const bySource = await ports.auth.reserveAttempt(sourceKey, now.getTime(), windowMs, maxFailuresPerSource);
  if (!bySource.allowed) {
    await ports.auth.refundAttempt(emailKey, byEmail.windowStart);
    throw tooManyAttempts(bySource.retryAfterMs);
  }

  const user = await ports.tenancy.findUserByEmail(domain.id, email);
  const valid = await ports.passwords.verify(input.password, user?.password_hash ?? (await dummyHash(ports.passwords)));
  if (!user || !valid) throw new UnauthenticatedError('invalid_credentials', 'The email or password is not right.');

  await ports.auth.refundAttempt(emailKey, byEmail.windowStart);
  await ports.auth.refundAttempt(sourceKey, bySource.windowStart);

  const sessionToken = newSecretToken();
  const csrfToken = newSecretToken();
  const session: Session = {
    session_hash: await sha256Hex(sessionToken),
    user_id: user.id,
    domain_id: user.domain_id,
    csrf_hash: await sha256Hex(csrfToken),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ports.settings.sessionTtlSeconds * 1000).toISOString(),
  };
  await ports.auth.createSession(session);
  return { sessionToken, csrfToken, session, user };
}

/** The live session a cookie names, with its user; undefined when there is none. */
export async function resolveSession(
  ports: Pick<AuthPorts, 'auth' | 'tenancy' | 'clock'>,
  sessionToken: string | undefined,
): Promise<{ session: Session; user: User } | undefined> {
  if (!sessionToken || sessionToken.length > 256) return undefined;
  const session = await ports.auth.getSession(await sha256Hex(sessionToken));
  if (!session || expired(session.expires_at, ports.clock.now())) return undefined;
  const user = await ports.tenancy.getUser(session.user_id);
  if (!user || user.domain_id !== session.domain_id) return undefined;
  return { session, user };
}

/**
 * Signs the page's session out: the session item goes, whatever state it was in. Says nothing
 * about whether there was one (the caller always answers the same).
 */
export async function signOut(ports: Pick<AuthPorts, 'auth'>, sessionToken: string | undefined): Promise<void> {
  if (!sessionToken || sessionToken.length > 256) return;
  await ports.auth.deleteSession(await sha256Hex(sessionToken));
}

export interface SessionCredentials {
  sessionToken: string | undefined;
  csrfCookie: string | undefined;
  csrfHeader: string | undefined;
}

/**
 * The session-authenticated write guard: a live session (else 401), then the CSRF header equal
 * to the CSRF cookie and to the token minted with this session (else 403).
 */
export async function requireSessionWithCsrf(
  ports: Pick<AuthPorts, 'auth' | 'tenancy' | 'clock'>,
  creds: SessionCredentials,
): Promise<{ session: Session; user: User }> {
  const resolved = await resolveSession(ports, creds.sessionToken);
  if (!resolved) throw new UnauthenticatedError('unauthenticated', 'Sign in first: there is no live sign-in session.');
  const mismatch = new ForbiddenError(
    'csrf_token_mismatch',
    'The X-Plexsphere-CSRF header must echo the plexsphere_csrf cookie of this session.',
  );
  const { csrfHeader, csrfCookie } = creds;
  if (!csrfHeader || !csrfCookie || csrfHeader.length > 256 || !constantTimeEqual(csrfHeader, csrfCookie)) throw mismatch;
  if (!constantTimeEqual(await sha256Hex(csrfHeader), resolved.session.csrf_hash)) throw mismatch;
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// Approve / deny
// ---------------------------------------------------------------------------------------------

function explainUndecidable(device: DeviceAuthorization, now: Date): Error {
  if (device.status === 'approved' || device.status === 'redeemed') {
    return new ConflictError('device_code_already_approved', 'This code has already been approved.');
  }
  if (device.status === 'denied') return new ConflictError('device_code_denied', 'This code has already been denied.');
  if (expired(device.expires_at, now)) {
    return new ConflictError('device_code_expired', 'This code has expired; start the sign-in again from the terminal.');
  }
  return new ConflictError('device_code_changed', 'The code changed while deciding; reload and try again.');
}

/**
 * Approves or denies a pending code for the signed-in user. Approval pins that user as the
 * token's subject. One conditional write (pending and unexpired) makes the decision.
 */
export async function decideDevice(
  ports: Pick<AuthPorts, 'auth' | 'clock'>,
  user: User,
  userCode: string,
  verdict: 'approved' | 'denied',
): Promise<z.infer<typeof DeviceDecisionViewSchema>> {
  const device = await ports.auth.findDeviceAuthorizationByUserCode(userCode);
  if (!device) throw new NotFoundError('device_code_not_found', 'No sign-in request has this code.');
  const now = ports.clock.now();
  if (device.status !== 'pending' || expired(device.expires_at, now)) throw explainUndecidable(device, now);
  if (device.domain_id !== user.domain_id) {
    throw new ForbiddenError('device_code_domain_mismatch', 'This code signs in to another domain than your account.', 'out_of_scope');
  }
  const decidedAt = now.toISOString();
  const decision: DeviceDecision =
    verdict === 'approved'
      ? { status: 'approved', subject_id: user.id, decided_at: decidedAt }
      : { status: 'denied', decided_at: decidedAt };
  if (!(await ports.auth.decide(device.device_code_hash, decision, decidedAt))) {
    const current = await ports.auth.getDeviceAuthorization(device.device_code_hash);
    throw current ? explainUndecidable(current, now) : new NotFoundError('device_code_not_found', 'No sign-in request has this code.');
  }
  return { status: verdict };
}

// ---------------------------------------------------------------------------------------------
// The sign-in page's view of a code
// ---------------------------------------------------------------------------------------------

export type UserCodeState =
  | { state: 'malformed' }
  | { state: 'not_found'; userCode: string }
  | { state: 'expired' | 'approved' | 'denied'; userCode: string }
  | { state: 'pending'; userCode: string; domain: Domain; binding: IdpBinding; expiresAt: string };

/** What the page should say about a code someone brought from their terminal. */
export async function describeUserCode(ports: Pick<AuthPorts, 'auth' | 'tenancy' | 'clock'>, input: string): Promise<UserCodeState> {
  const userCode = normaliseUserCode(input);
  if (!userCode) return { state: 'malformed' };
  const device = await ports.auth.findDeviceAuthorizationByUserCode(userCode);
  if (!device) return { state: 'not_found', userCode };
  if (device.status === 'approved' || device.status === 'redeemed') return { state: 'approved', userCode };
  if (device.status === 'denied') return { state: 'denied', userCode };
  if (expired(device.expires_at, ports.clock.now())) return { state: 'expired', userCode };
  const domain = await ports.tenancy.getDomain(device.domain_id);
  const binding = await ports.tenancy.getIdpBinding(device.domain_id, device.idp_binding_id);
  if (!domain || !binding) return { state: 'not_found', userCode };
  return { state: 'pending', userCode, domain, binding, expiresAt: device.expires_at };
}
