import { requireSessionWithCsrf, resolveSession } from '../core/auth/session.ts';
import { ForbiddenError, UnauthenticatedError } from '../core/errors.ts';
import type { User } from '../core/tenancy.ts';
import type { Deps } from './composition.ts';
import type { ApiRequest } from './http.ts';

// The browser's way in: the session cookie the sign-in page (and the console's sign-in) sets.
// It is HttpOnly and SameSite=Strict; a write must also echo the CSRF cookie in a header and, when
// the browser names its Origin, come from our own. Reads need only the live session: a cross-site
// page cannot send the cookie (Strict) nor read an answer (no CORS).

export const SESSION_COOKIE = 'plexsphere_session';
export const CSRF_COOKIE = 'plexsphere_csrf';
export const CSRF_HEADER = 'x-plexsphere-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** A session-authenticated write: the session (401), the CSRF token (403) and the Origin (403). */
export async function sessionWriter(req: ApiRequest, d: Deps): Promise<User> {
  const { user } = await requireSessionWithCsrf(d, {
    sessionToken: req.cookies[SESSION_COOKIE],
    csrfCookie: req.cookies[CSRF_COOKIE],
    csrfHeader: req.headers[CSRF_HEADER],
  });
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== d.config.publicOrigin) {
    throw new ForbiddenError('csrf_origin_mismatch', 'The request comes from another site than the broker.');
  }
  return user;
}

/** Whether a request carries a session cookie rather than an access token. */
export function hasSessionCookie(req: ApiRequest): boolean {
  return req.headers.authorization === undefined && Boolean(req.cookies[SESSION_COOKIE]);
}

const sessionEnded = () => new UnauthenticatedError('session_expired', 'The sign-in session has ended; sign in again.');

/** The caller of an API route authenticated by its session cookie. */
export async function sessionUser(req: ApiRequest, d: Deps): Promise<User> {
  if (SAFE_METHODS.has(req.method)) {
    const resolved = await resolveSession(d, req.cookies[SESSION_COOKIE]);
    if (!resolved) throw sessionEnded();
    return resolved.user;
  }
  return sessionWriter(req, d).catch((err: unknown) => {
    // The same word for a session that ended, whether the request reads or writes.
    throw err instanceof UnauthenticatedError ? sessionEnded() : err;
  });
}
