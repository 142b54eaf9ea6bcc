import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../functions/core/auth/codes.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { clock, DOMAIN, INTERVAL, PASSWORD, post, snapshot, stack, TTL, useAuthStack, whoami } from '../support/auth-e2e.ts';
import { cookiesOf, type DeviceCodeResponse, signInSession, signInViaApi, startDeviceCode } from '../support/sign-in.ts';

// The identity provider bindings and the device flow: device-code, approve or deny in the browser, device-token.

const BINDING = FIXTURES.binding.id;

useAuthStack();

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

  it('unknown code 404 device_code_not_found, malformed code 400; nothing stored but the guess counter', async () => {
    const session = await signInSession(stack.url, FIXTURES.admin.email, PASSWORD);
    // Unknown codes count against the caller's address (test/e2e/auth-throttle.test.ts).
    const withoutThrottles = async () => (await snapshot()).filter((item) => !item.includes('"THROTTLE#'));
    const before = await withoutThrottles();
    const unknown = await approve('ABCD-EFGH', session);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'device_code_not_found']);
    const unknownDeny = await post('/v1/auth/device/deny', { user_code: 'ABCD-EFGH' }, { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf });
    expect([unknownDeny.status, unknownDeny.body.code]).toEqual([404, 'device_code_not_found']);
    for (const bad of ['ABC', 'ABCD-EFG1', '']) {
      const res = await approve(bad, session);
      expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'invalid_body']);
    }
    expect(await withoutThrottles()).toEqual(before);
  });
});
