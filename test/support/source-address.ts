import { rawRequest } from './node-http.ts';
import type { ApiResponse } from './stack.ts';

// Calls the embedded stack from a chosen loopback address (127.0.0.2, 127.0.0.3, ...): on Linux
// the whole of 127.0.0.0/8 is the loopback interface, so a socket bound to any of them reaches
// the gateway on 127.0.0.1, which then sees that address as the caller's.

/** A caller at `localAddress`, speaking to the stack at `baseUrl` as TestStack.call does. */
export function callerAt(baseUrl: string, localAddress: string) {
  const target = new URL(baseUrl);
  // The gateway listens on IPv4 loopback; `localhost` could resolve to ::1, unreachable from 127.0.0.2.
  const host = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname;
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent: Record<string, string> = { ...headers, ...(payload !== undefined && { 'content-type': 'application/json' }) };
    const answer = await rawRequest({ host, port: target.port, localAddress, method, path, headers: sent, agent: false }, payload);
    const out = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) out.append(name, v);
    }
    return { status: answer.status, headers: out, body: answer.json, text: answer.text };
  };
}

/** The `name=value; ...` cookie header a browser would send back after this response. */
export function cookieHeaderOf(res: ApiResponse): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .join('; ');
}
