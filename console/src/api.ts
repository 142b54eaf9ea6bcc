// The console's broker client: the shared typed client (client/broker.ts), authenticated by the
// HttpOnly session cookie the browser sends by itself. Writes echo the CSRF cookie in the header
// the broker checks; no token is ever kept in script-readable storage.
import { type BrokerClient, BrokerProblem, createBrokerClient, type Middleware, must } from '../../client/broker.ts';

export { BrokerProblem, must };

const CSRF_COOKIE = 'plexsphere_csrf';
const CSRF_HEADER = 'X-Plexsphere-CSRF';

function cookieValue(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = cookieValue(CSRF_COOKIE);
      if (token) request.headers.set(CSRF_HEADER, token);
    }
    return request;
  },
};

const listeners = new Set<() => void>();

/** Called when the broker says the session is gone (401), so the shell can ask to sign in again. */
export function onSessionLost(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const sessionWatch: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/auth/sign-in')) for (const l of listeners) l();
    return response;
  },
};

export const api: BrokerClient = createBrokerClient({ baseUrl: location.origin, credentials: 'same-origin' }, [csrf, sessionWatch]);
