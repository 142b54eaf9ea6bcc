import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createLocalJWKSet, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE } from '../../functions/adapters/token-signer.ts';
import { sha256Hex } from '../../functions/core/auth/codes.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { buildDeps, deps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { cookiesOf, type DeviceCodeResponse, signInSession, signInViaApi, startDeviceCode } from '../support/sign-in.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Time moves by test command, not by waiting: the functions read this clock (expiry, poll
// interval, throttle window, token lifetime), and the tests advance it.
class ShiftedClock implements Clock {
  offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(seconds: number) {
    this.offsetMs += seconds * 1000;
  }
}

let stack: TestStack;
const clock = new ShiftedClock();
const DOMAIN = FIXTURES.domain.id;
const BINDING = FIXTURES.binding.id;
const PASSWORD = FIXTURES.devPassword;
const TTL = 600;
const INTERVAL = 1;
const THROTTLE_WINDOW = 15 * 60;

beforeAll(async () => {
  stack = await startTestStack({ DEVICE_CODE_TTL_SECONDS: String(TTL), DEVICE_POLL_INTERVAL_SECONDS: String(INTERVAL) });
  setDeps(buildDeps(apiEnv(), { clock }));
});
afterAll(async () => {
  await stack?.close();
});

/** JSON with object keys sorted at every depth, so equal items serialise equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Every item with its values. (test/support/table-snapshot.ts passes the top-level key list to
// JSON.stringify as a replacer, which drops the nested attribute-value keys, so it compares key
// sets only: it cannot see a changed attribute such as last_polled_at.)
async function snapshot(): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint: stack.dynamoUrl });
  const items: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) items.push(canonical(item));
    start = out.LastEvaluatedKey as typeof start;
  } while (start);
  client.destroy();
  return items.sort();
}
const withoutThrottles = (items: string[]) => items.filter((i) => !i.includes('"THROTTLE#'));

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return stack.call(null, 'POST', path, body, headers);
}

async function whoami(token: string) {
  return stack.call(null, 'GET', '/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
}

async function deviceToken(device: DeviceCodeResponse) {
  return post('/v1/auth/device-token', { device_code: device.device_code });
}

async function approve(userCode: string, session: { cookie: string; csrf: string }, extra: Record<string, string> = {}) {
  return post('/v1/auth/device/approve', { user_code: userCode }, { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf, ...extra });
}

describe('GET /v1/auth/idp-bindings', () => {
  it('lists the domain bindings as a bare array of display-safe fields', async () => {
    const res = await stack.call(null, 'GET', `/v1/auth/idp-bindings?domain_id=${DOMAIN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual([
      { id: BINDING, label: FIXTURES.binding.label, issuer_host: FIXTURES.binding.issuerHost, primary: true, platform_scoped: false },
    ]);
  });

  it('answers a missing or malformed domain_id with 400 invalid_domain_id', async () => {
    for (const query of ['', '?domain_id=', '?domain_id=acme']) {
      const res = await stack.call(null, 'GET', `/v1/auth/idp-bindings${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code).toBe('invalid_domain_id');
    }
  });

  it('answers an unknown domain like a domain without bindings (the contract: no existence oracle)', async () => {
    const res = await stack.call(null, 'GET', '/v1/auth/idp-bindings?domain_id=019100a0-0a00-7000-8000-0000000000ff');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    // No binding here is platform-scoped, so the platform chooser is empty too.
    const platform = await stack.call(null, 'GET', '/v1/auth/idp-bindings?scope=platform');
    expect([platform.status, platform.body]).toEqual([200, []]);
  });
});

describe('the device flow over HTTP', () => {
  it('runs end to end: device-code, sign-in, approve with cookie and CSRF, token, whoami', async () => {
    const device = await startDeviceCode(stack.url, { bindingId: BINDING });
    expect(device.user_code).toMatch(/^[A-HJ-NP-Z2-7]{4}-[A-HJ-NP-Z2-7]{4}$/);
    expect(device.verification_uri).toBe(`${stack.url}/v1/auth/device`);
    expect(device.verification_uri_complete).toBe(`${stack.url}/v1/auth/device?user_code=${device.user_code}`);
    expect(device).toMatchObject({ expires_in: TTL, interval: INTERVAL });

    const pending = await deviceToken(device);
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ status: 400, code: 'authorization_pending' });

    const signIn = await fetch(`${stack.url}/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain_id: DOMAIN, idp_binding_id: BINDING, email: FIXTURES.admin.email, password: PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const body = await signIn.json();
    expect(body).toMatchObject({ subject: FIXTURES.admin.id, email: FIXTURES.admin.email, domain_id: DOMAIN });
    expect(JSON.stringify(body)).not.toMatch(/password|hash/i);
    const setCookies = signIn.headers.getSetCookie();
    const sessionCookie = setCookies.find((c) => c.startsWith('plexsphere_session='));
    const csrfCookie = setCookies.find((c) => c.startsWith('plexsphere_csrf='));
    expect(sessionCookie).toMatch(/; HttpOnly/);
    expect(sessionCookie).toMatch(/; SameSite=Strict/);
    expect(sessionCookie).toMatch(/; Path=\//);
    expect(sessionCookie).not.toMatch(/Secure/);
    expect(csrfCookie).toMatch(/; SameSite=Strict/);
    expect(csrfCookie).not.toMatch(/HttpOnly/);
    const jar = cookiesOf(signIn);
    const session = { cookie: `plexsphere_session=${jar.plexsphere_session}; plexsphere_csrf=${jar.plexsphere_csrf}`, csrf: jar.plexsphere_csrf ?? '' };

    // The person types the code in lower case and without the dash.
    const approved = await approve(device.user_code.replace('-', '').toLowerCase(), session);
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({ status: 'approved' });

    clock.advance(INTERVAL);
    const token = await deviceToken(device);
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const me = await whoami(token.body.access_token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ principal_type: 'user', subject: FIXTURES.admin.id, domain_id: DOMAIN, email: FIXTURES.admin.email });

    // Only hashes of the bearer secrets are stored; no password, no raw code or token.
    const stored = (await snapshot()).join('\n');
    for (const secret of [device.device_code, jar.plexsphere_session, jar.plexsphere_csrf, token.body.access_token]) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain(await sha256Hex(device.device_code));
  });

  it('signInViaApi returns a working token for either seeded identity', async () => {
    clock.advance(INTERVAL);
    const token = await signInViaApi(stack.url, FIXTURES.operator.email, PASSWORD);
    const me = await whoami(token);
    expect(me.body).toMatchObject({ subject: FIXTURES.operator.id, email: FIXTURES.operator.email });
  });

  it('answers slow_down to a poll inside the interval, without writing', async () => {
    const device = await startDeviceCode(stack.url);
    expect((await deviceToken(device)).body.code).toBe('authorization_pending');
    const before = await snapshot();
    const fast = await deviceToken(device);
    expect(fast.status).toBe(400);
    expect(fast.body).toMatchObject({ code: 'slow_down', interval: INTERVAL });
    expect(await snapshot()).toEqual(before);
    clock.advance(INTERVAL);
    expect((await deviceToken(device)).body.code).toBe('authorization_pending');
  });

  it('redeems a device code once: a second exchange is invalid_grant and stores nothing', async () => {
    const device = await startDeviceCode(stack.url);
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    expect((await approve(device.user_code, session)).status).toBe(200);
    expect((await deviceToken(device)).status).toBe(200);
    clock.advance(INTERVAL);
    const before = await snapshot();
    const again = await deviceToken(device);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_grant');
    expect(await snapshot()).toEqual(before);
    const twice = await approve(device.user_code, session);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('device_code_already_approved');
  });

  it('a race of redeem writes has one winner (the conditional write is the guard)', async () => {
    const device = await startDeviceCode(stack.url);
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    await approve(device.user_code, session);
    const hash = await sha256Hex(device.device_code);
    const now = clock.now().toISOString();
    const results = await Promise.all(Array.from({ length: 8 }, () => deps().auth.redeem(hash, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a burst of polls in one interval has one winner (the poll write is conditional)', async () => {
    const device = await startDeviceCode(stack.url);
    const hash = await sha256Hex(device.device_code);
    const nowMs = clock.now().getTime();
    const results = await Promise.all(Array.from({ length: 8 }, () => deps().auth.recordPoll(hash, nowMs, INTERVAL * 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('deny ends the flow with access_denied', async () => {
    const device = await startDeviceCode(stack.url);
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    const denied = await post(
      '/v1/auth/device/deny',
      { user_code: device.user_code },
      { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf },
    );
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({ status: 'denied' });
    const res = await deviceToken(device);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('access_denied');
  });

  it('expires codes by the clock: device_code_expired for the browser, expired_token for the device', async () => {
    const device = await startDeviceCode(stack.url);
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    clock.advance(TTL);
    const page = await stack.call(null, 'GET', `/v1/auth/device?user_code=${device.user_code}`);
    expect(page.text).toContain('This code has expired');
    const before = await snapshot();
    // The session (30 minutes) outlives the code (10 minutes).
    const late = await approve(device.user_code, session);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('device_code_expired');
    const token = await deviceToken(device);
    expect(token.status).toBe(400);
    expect(token.body.code).toBe('expired_token');
    expect(await snapshot()).toEqual(before);
  });
});

describe('bad input to the device endpoints', () => {
  it('device-code: no domain 400, unknown domain or binding 404, unknown field 400; nothing stored', async () => {
    const before = await snapshot();
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'platform_sign_in_not_enabled'],
      [{ domain_id: 'acme' }, 400, 'invalid_body'],
      [{ domain_id: DOMAIN, extra: 1 }, 400, 'invalid_body'],
      [{ domain_id: '019100a0-0a00-7000-8000-0000000000ff' }, 404, 'domain_not_found'],
      [{ domain_id: DOMAIN, idp_binding_id: '019100a0-0b00-7000-8000-0000000000ff' }, 404, 'idp_binding_not_found'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post('/v1/auth/device-code', body);
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('device-token: unknown code invalid_grant, missing code invalid_body; nothing stored', async () => {
    const before = await snapshot();
    const unknown = await post('/v1/auth/device-token', { device_code: 'not-a-device-code' });
    expect([unknown.status, unknown.body.code]).toEqual([400, 'invalid_grant']);
    const missing = await post('/v1/auth/device-token', {});
    expect([missing.status, missing.body.code]).toEqual([400, 'invalid_body']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('approve and deny: session and CSRF', () => {
  it('needs the session cookie (401), then a CSRF header echoing the cookie of that session (403); nothing stored', async () => {
    const device = await startDeviceCode(stack.url);
    const a = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    const b = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    const before = await snapshot();
    const body = { user_code: device.user_code };
    const sessionOnly = a.cookie.split('; ')[0] ?? '';

    const noSession = await post('/v1/auth/device/approve', body, { 'x-plexsphere-csrf': a.csrf });
    expect([noSession.status, noSession.body.code]).toEqual([401, 'unauthenticated']);
    const forgedSession = await post('/v1/auth/device/approve', body, { cookie: `plexsphere_session=forged; plexsphere_csrf=${a.csrf}`, 'x-plexsphere-csrf': a.csrf });
    expect(forgedSession.status).toBe(401);

    const cases: Array<[string, Record<string, string>]> = [
      ['missing header', { cookie: a.cookie }],
      ['header differs from cookie', { cookie: a.cookie, 'x-plexsphere-csrf': b.csrf }],
      ['no csrf cookie', { cookie: sessionOnly, 'x-plexsphere-csrf': a.csrf }],
      ["another session's pair", { cookie: `${sessionOnly}; plexsphere_csrf=${b.csrf}`, 'x-plexsphere-csrf': b.csrf }],
    ];
    for (const [what, headers] of cases) {
      const res = await post('/v1/auth/device/approve', body, headers);
      expect([what, res.status, res.body.code]).toEqual([what, 403, 'csrf_token_mismatch']);
    }
    const crossSite = await approve(device.user_code, a, { origin: 'https://evil.example' });
    expect([crossSite.status, crossSite.body.code]).toEqual([403, 'csrf_origin_mismatch']);
    const deny = await post('/v1/auth/device/deny', body, { cookie: a.cookie });
    expect([deny.status, deny.body.code]).toEqual([403, 'csrf_token_mismatch']);
    expect(await snapshot()).toEqual(before);

    expect((await approve(device.user_code, a, { origin: new URL(stack.url).origin })).status).toBe(200);
  });

  it('unknown code 404 device_code_not_found, malformed code 400; nothing stored', async () => {
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    const before = await snapshot();
    const unknown = await approve('ABCD-EFGH', session);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'device_code_not_found']);
    const unknownDeny = await post('/v1/auth/device/deny', { user_code: 'ABCD-EFGH' }, { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf });
    expect([unknownDeny.status, unknownDeny.body.code]).toEqual([404, 'device_code_not_found']);
    for (const bad of ['ABC', 'ABCD-EFG1', '']) {
      const res = await approve(bad, session);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'invalid_body']);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('sign-in', () => {
  it('answers a wrong password and an unknown email alike with 401 invalid_credentials; no session stored', async () => {
    const before = withoutThrottles(await snapshot());
    const wrong = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: 'not-the-password' });
    const unknown = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: 'nobody@example.com', password: PASSWORD });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(withoutThrottles(await snapshot())).toEqual(before);
    const strict = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: PASSWORD, remember: true });
    expect([strict.status, strict.body.code]).toEqual([400, 'invalid_body']);
  });

  it('signs the page session out: 204, cookies cleared, the session gone; the same 204 without one', async () => {
    const { cookie, csrf } = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    const out = await stack.call(null, 'DELETE', '/v1/auth/whoami', undefined, { cookie });
    expect(out.status).toBe(204);
    expect(out.text).toBe('');
    const cleared = out.headers.getSetCookie();
    expect(cleared).toEqual([expect.stringMatching(/^plexsphere_session=; .*Max-Age=0/), expect.stringMatching(/^plexsphere_csrf=; .*Max-Age=0/)]);
    // The old cookie no longer opens anything.
    const device = await startDeviceCode(stack.url);
    const approve = await stack.call(null, 'POST', '/v1/auth/device/approve', { user_code: device.user_code }, { cookie, 'x-plexsphere-csrf': csrf });
    expect(approve.status).toBe(401);
    // Signing out again, or with no cookie at all, answers the same.
    for (const headers of [{ cookie }, {}] as Record<string, string>[]) {
      const again = await stack.call(null, 'DELETE', '/v1/auth/whoami', undefined, headers);
      expect(again.status).toBe(204);
    }
  });

  it('sets Secure cookies only when PUBLIC_URL is https', async () => {
    const httpsDeps = buildDeps({ ...apiEnv(), PUBLIC_URL: 'https://broker.example.com' }, { clock });
    const previous = deps();
    setDeps(httpsDeps);
    try {
      const res = await fetch(`${stack.url}/v1/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain_id: DOMAIN, email: FIXTURES.admin.email, password: PASSWORD }),
      });
      expect(res.status).toBe(200);
      for (const c of res.headers.getSetCookie()) expect(c).toMatch(/; Secure/);
    } finally {
      setDeps(previous);
    }
  });

  it('throttles an email after five failures: 429 too_many_attempts with Retry-After, even for the right password', async () => {
    const email = FIXTURES.operator.email;
    for (let i = 0; i < 5; i++) {
      const res = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email, password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const before = await snapshot();
    const blocked = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('too_many_attempts');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(THROTTLE_WINDOW);
    expect(await snapshot()).toEqual(before);
    // Another identity from the same place is unaffected.
    expect((await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: PASSWORD })).status).toBe(200);
    clock.advance(retryAfter);
    expect((await post('/v1/auth/sign-in', { domain_id: DOMAIN, email, password: PASSWORD })).status).toBe(200);
  });

  it('throttles a source after twenty failures across emails', async () => {
    for (let i = 0; i < 20; i++) {
      const res = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: `guess-${i}@example.com`, password: 'guess' });
      expect(res.status).toBe(401);
    }
    const blocked = await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: PASSWORD });
    expect([blocked.status, blocked.body.code]).toEqual([429, 'too_many_attempts']);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(THROTTLE_WINDOW);
    expect((await post('/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: PASSWORD })).status).toBe(200);
  });

  it('counts concurrent failures exactly: a burst cannot outrun the throttle', async () => {
    const key = `email:race-${Date.now()}`;
    const now = clock.now().getTime();
    const results = await Promise.all(Array.from({ length: 12 }, () => deps().auth.reserveAttempt(key, now, THROTTLE_WINDOW * 1000, 5)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
  });
});

describe('the sign-in page', () => {
  it('serves HTML under a strict CSP whose nonce is the only script allowed', async () => {
    const device = await startDeviceCode(stack.url);
    const res = await stack.call(null, 'GET', `/v1/auth/device?user_code=${device.user_code}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toContain('unsafe-inline');
    const scripts = [...res.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts).toEqual([` nonce="${nonce}"`]);
    expect(res.text).toContain(device.user_code);
    expect(res.text).toContain('<label for="email">Email</label>');
    expect(res.text).toContain('<label for="password">Password</label>');
    const other = await stack.call(null, 'GET', `/v1/auth/device?user_code=${device.user_code}`);
    expect(other.headers.get('content-security-policy')).not.toContain(nonce);
  });

  it('asks for a code when none is given, and explains unknown and malformed ones inline', async () => {
    const none = await stack.call(null, 'GET', '/v1/auth/device');
    expect(none.text).toContain('Code from your terminal');
    const unknown = await stack.call(null, 'GET', '/v1/auth/device?user_code=ABCD-EFGH');
    expect(unknown.text).toContain('We do not recognise that code');
    const malformed = await stack.call(null, 'GET', `/v1/auth/device?user_code=${encodeURIComponent('<script>x</script>')}`);
    expect(malformed.text).toContain('does not look like a code');
    expect(malformed.text).not.toContain('<script>x');
  });
});

describe('access tokens', () => {
  async function signingKey() {
    const secret = JSON.parse((await deps().vault.read(apiEnv().SIGNING_KEY_SECRET_ID)).value) as { kid: string; private_jwk: JWK };
    return { kid: secret.kid, key: await importJWK(secret.private_jwk, 'ES256') };
  }

  function claims() {
    return new SignJWT({ domain_id: DOMAIN, email: FIXTURES.admin.email }).setSubject(FIXTURES.admin.id).setIssuedAt();
  }

  it('publishes the public key as a JWKS that verifies issued tokens', async () => {
    const res = await stack.call(null, 'GET', '/v1/auth/jwks');
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(res.body.keys[0]).not.toHaveProperty('d');
    const token = await stack.tokenFor('admin');
    const { payload } = await jwtVerify(token, createLocalJWKSet(res.body), { issuer: stack.url, audience: TOKEN_AUDIENCE });
    expect(payload.sub).toBe(FIXTURES.admin.id);
  });

  it('refuses forged tokens: bad signature, wrong issuer, wrong audience, alg none, expired, no expiry, none at all', async () => {
    const { kid, key } = await signingKey();
    const issuer = apiEnv().PUBLIC_URL;
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    const valid = () => claims().setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience(TOKEN_AUDIENCE).setExpirationTime(nowSeconds + 600);

    // The control: the same recipe with nothing wrong is accepted.
    expect((await whoami(await valid().sign(key))).status).toBe(200);

    const otherKey = (await generateKeyPair('ES256')).privateKey;
    const forged: Record<string, string> = {
      'bad signature': await valid().sign(otherKey),
      'wrong issuer': await claims().setProtectedHeader({ alg: 'ES256', kid }).setIssuer('https://evil.example').setAudience(TOKEN_AUDIENCE).setExpirationTime(nowSeconds + 600).sign(key),
      'wrong audience': await claims().setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience('someone-else').setExpirationTime(nowSeconds + 600).sign(key),
      'alg none': new UnsecuredJWT({ domain_id: DOMAIN, email: FIXTURES.admin.email })
        .setSubject(FIXTURES.admin.id)
        .setIssuer(issuer)
        .setAudience(TOKEN_AUDIENCE)
        .setExpirationTime(nowSeconds + 600)
        .encode(),
      expired: await claims().setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience(TOKEN_AUDIENCE).setExpirationTime(nowSeconds - 60).sign(key),
      // Well signed, but it would never expire.
      'no expiry': await claims().setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience(TOKEN_AUDIENCE).sign(key),
    };
    for (const [what, token] of Object.entries(forged)) {
      const res = await whoami(token);
      expect([what, res.status]).toEqual([what, 401]);
      expect(res.body.code).toBe(what === 'expired' ? 'token_expired' : 'invalid_token');
    }
    const none = await stack.call(null, 'GET', '/v1/auth/whoami');
    expect([none.status, none.body.code]).toEqual([401, 'missing_token']);
  });
});
