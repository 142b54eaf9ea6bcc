import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type { PasswordHasher } from '../ports.ts';
import type { User } from '../tenancy.ts';
import { constantTimeEqual, expired, newSecretToken, sha256Hex } from './codes.ts';
import { resolveBinding } from './idp-bindings.ts';
import type { AuthPorts, Session } from './ports.ts';
import { emailBackoffPolicy, sourceAddressKey, tooManyAttempts } from './throttle.ts';

// The sign-in page's session: password sign-in (throttled per email and address, per address, and
// per email with a growing delay: see DEFAULT_THROTTLE), the session cookie it earns, and the CSRF
// guard on the page's writes.

export interface StartedSession {
  /** Cookie values, shown once; only their hashes are stored. */
  sessionToken: string;
  csrfToken: string;
  session: Session;
  user: User;
}

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

/**
 * Checks a password and opens a session. Primary course:
 * 1. the domain's password binding resolves;
 * 2. one attempt is taken, in this order, from the (email, address) window (strict), the
 *    address's window (loose: NAT), and the email's growing delay (which an address with no
 *    failure held for this email skips, while the email's exemptions for the window last); any
 *    refusal gives back what was taken and answers 429;
 * 3. the password is checked (an unknown email is checked against a dummy hash: same answer,
 *    same time);
 * 4. on success the attempts are given back and the session is written, hashed.
 */
export async function signIn(
  ports: AuthPorts,
  input: { domain_id?: string | undefined; idp_binding_id?: string | undefined; email: string; password: string; sourceIp: string },
): Promise<StartedSession> {
  const { domain } = await resolveBinding(ports, input.domain_id, input.idp_binding_id);
  const email = input.email.trim().toLowerCase();
  const now = ports.clock.now();
  const nowMs = now.getTime();
  const { throttle } = ports.config;
  const windowMs = throttle.windowSeconds * 1000;
  const what = 'failed sign-in attempts';

  const emailHash = await sha256Hex(`${domain.id}\n${email}`);
  const source = sourceAddressKey(input.sourceIp);
  const pairKey = `pair:${emailHash}:${source}`;
  const sourceKey = `source:${source}`;
  const emailKey = `email-backoff:${emailHash}`;
  const byPair = await ports.auth.reserveAttempt(pairKey, nowMs, windowMs, throttle.maxFailuresPerPair);
  if (!byPair.allowed) throw tooManyAttempts(byPair.retryAfterMs, what);
  const bySource = await ports.auth.reserveAttempt(sourceKey, nowMs, windowMs, throttle.maxFailuresPerSource);
  if (!bySource.allowed) {
    await ports.auth.refundAttempt(pairKey, byPair.windowStart);
    throw tooManyAttempts(bySource.retryAfterMs, what);
  }
  const freshAddress = byPair.attempts === 1;
  const byEmail = await ports.auth.reserveBackoff(emailKey, nowMs, emailBackoffPolicy(throttle), { ignoreDelay: freshAddress });
  if (!byEmail.allowed) {
    await ports.auth.refundAttempt(pairKey, byPair.windowStart);
    await ports.auth.refundAttempt(sourceKey, bySource.windowStart);
    throw tooManyAttempts(byEmail.retryAfterMs, what);
  }

  const user = await ports.tenancy.findUserByEmail(domain.id, email);
  const valid = await ports.passwords.verify(input.password, user?.password_hash ?? (await dummyHash(ports.passwords)));
  if (!user || !valid) throw new UnauthenticatedError('invalid_credentials', 'The email or password is not right.');

  await ports.auth.refundAttempt(pairKey, byPair.windowStart);
  await ports.auth.refundAttempt(sourceKey, bySource.windowStart);
  await ports.auth.refundBackoff(emailKey, byEmail.since);

  const sessionToken = newSecretToken();
  const csrfToken = newSecretToken();
  const session: Session = {
    session_hash: await sha256Hex(sessionToken),
    user_id: user.id,
    domain_id: user.domain_id,
    csrf_hash: await sha256Hex(csrfToken),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ports.config.sessionTtlSeconds * 1000).toISOString(),
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
