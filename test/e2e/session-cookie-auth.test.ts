import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshotButAudit } from '../support/table-snapshot.ts';

// The console's way into the API: the sign-in session cookie instead of a bearer token. Reads need
// the live session; writes also the CSRF header echoing the CSRF cookie, and our own Origin.

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

interface Cookies {
  session: string;
  csrf: string;
}

async function signIn(who: 'operator' | 'admin'): Promise<Cookies> {
  const res = await fetch(`${stack.url}/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ domain_id: FIXTURES.domain.id, email: FIXTURES[who].email, password: FIXTURES.devPassword }),
  });
  expect(res.status).toBe(200);
  const value = (name: string) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${name}=`))
      ?.split(';')[0]
      ?.slice(name.length + 1) ?? '';
  return { session: value('plexsphere_session'), csrf: value('plexsphere_csrf') };
}

async function send(cookies: Cookies | undefined, method: string, path: string, opts: { body?: unknown; csrf?: string; origin?: string; bearer?: string } = {}) {
  const headers: Record<string, string> = {};
  if (cookies) headers.cookie = `plexsphere_session=${cookies.session}; plexsphere_csrf=${cookies.csrf}`;
  if (opts.csrf !== undefined) headers['x-plexsphere-csrf'] = opts.csrf;
  if (opts.origin) headers.origin = opts.origin;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${stack.url}${path}`, { method, headers, ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), vary: res.headers.get('vary'), body: (text ? JSON.parse(text) : undefined) as { code?: string; email?: string } };
}

const projectBody = (slug: string) => ({ domain_id: FIXTURES.domain.id, name: `Cookie ${slug}`, slug });

describe('the session cookie as API authentication', () => {
  it('reads as the signed-in person with the cookie alone; the answer is for that person only', async () => {
    const cookies = await signIn('admin');
    const who = await send(cookies, 'GET', '/v1/auth/whoami');
    expect(who.status).toBe(200);
    // No shared cache (a CDN in front of the API) may keep one person's answer for another.
    expect(who.cacheControl).toBe('private, no-cache');
    expect(who.vary).toBe('authorization, cookie');
    expect(who.body.email).toBe(FIXTURES.admin.email);
    expect((await send(cookies, 'GET', `/v1/projects?domain_id=${FIXTURES.domain.id}`)).status).toBe(200);
  });

  it('refuses a write without the CSRF header, with a wrong one, or from another Origin, and stores nothing', async () => {
    const cookies = await signIn('admin');
    const before = await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName);
    const missing = await send(cookies, 'POST', '/v1/projects', { body: projectBody('cookie-a') });
    const wrong = await send(cookies, 'POST', '/v1/projects', { body: projectBody('cookie-a'), csrf: 'x'.repeat(43) });
    const foreign = await send(cookies, 'POST', '/v1/projects', { body: projectBody('cookie-a'), csrf: cookies.csrf, origin: 'https://evil.example' });
    for (const refused of [missing, wrong]) {
      expect(refused.status).toBe(403);
      expect(refused.type).toBe('application/problem+json');
      expect(refused.body.code).toBe('csrf_token_mismatch');
    }
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('csrf_origin_mismatch');
    expect(await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName)).toEqual(before);
  });

  it('refuses a body not said to be JSON (what a cross-site form or a typeless body would send) with 415', async () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${stack.url}/v1/auth/sign-in`, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: new Blob([JSON.stringify({ domain_id: FIXTURES.domain.id, email: FIXTURES.admin.email, password: FIXTURES.devPassword })]),
      });
      expect(res.status, String(type)).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('accepts a write with the CSRF header and our own Origin', async () => {
    const cookies = await signIn('admin');
    const made = await send(cookies, 'POST', '/v1/projects', { body: projectBody('cookie-b'), csrf: cookies.csrf, origin: new URL(stack.url).origin });
    expect(made.status).toBe(201);
  });

  it('answers 401 once the session is signed out, and a CSRF token of another session does not pass', async () => {
    const mine = await signIn('admin');
    const theirs = await signIn('operator');
    const crossed = await send({ session: mine.session, csrf: theirs.csrf }, 'POST', '/v1/projects', { body: projectBody('cookie-c'), csrf: theirs.csrf });
    expect(crossed.status).toBe(403);
    expect(crossed.body.code).toBe('csrf_token_mismatch');
    expect((await send(mine, 'DELETE', '/v1/auth/whoami')).status).toBe(204);
    const after = await send(mine, 'GET', '/v1/auth/whoami');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('session_expired');
    const write = await send(mine, 'POST', '/v1/projects', { body: projectBody('cookie-d'), csrf: mine.csrf });
    expect([write.status, write.body.code]).toEqual([401, 'session_expired']);
  });

  it('ends the browser\'s earlier session when it signs in again', async () => {
    const first = await signIn('admin');
    const res = await fetch(`${stack.url}/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `plexsphere_session=${first.session}` },
      body: JSON.stringify({ domain_id: FIXTURES.domain.id, email: FIXTURES.operator.email, password: FIXTURES.devPassword }),
    });
    expect(res.status).toBe(200);
    const stale = await send(first, 'GET', '/v1/auth/whoami');
    expect(stale.status).toBe(401);
    expect(stale.body.code).toBe('session_expired');
  });

  it('prefers a bearer token when both are sent (plexctl is never judged by a stray cookie)', async () => {
    const cookies = await signIn('admin');
    const who = await send(cookies, 'GET', '/v1/auth/whoami', { bearer: await stack.tokenFor('operator') });
    expect(who.status).toBe(200);
    expect(who.body.email).toBe(FIXTURES.operator.email);
  });
});
