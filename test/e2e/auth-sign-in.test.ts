import { createLocalJWKSet, generateKeyPair, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE } from '../../functions/adapters/token-signer.ts';
import { buildDeps, deps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { clock, DOMAIN, PASSWORD, post, snapshot, stack, useAuthStack, whoami } from '../support/auth-e2e.ts';
import { signWithKmsKey } from '../support/kms-token.ts';
import { signInSession, startDeviceCode } from '../support/sign-in.ts';

// Password sign-in and its throttle, the sign-in page, and the access tokens the broker issues.

const THROTTLE_WINDOW = 15 * 60;

useAuthStack();

const withoutThrottles = (items: string[]) => items.filter((i) => !i.includes('"THROTTLE#'));

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

  it('throttles an (email, address) pair after five failures: 429 too_many_attempts with Retry-After, even for the right password', async () => {
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
  // The stack's key lives in its KMS: the test signs with it as only the auth group may (kms:Sign).
  async function signedByStackKey(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const kid = ((await stack.call(null, 'GET', '/v1/auth/jwks')).body.keys[0] as { kid: string }).kid;
    return signWithKmsKey(apiEnv().ACCESS_TOKEN_KEY_ID ?? 'no key configured', { alg: 'ES256', kid, typ: 'JWT', ...header }, payload);
  }

  function claims(extra: Record<string, unknown>): Record<string, unknown> {
    const iat = Math.floor(clock.now().getTime() / 1000);
    return { domain_id: DOMAIN, email: FIXTURES.admin.email, sub: FIXTURES.admin.id, iat, ...extra };
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
    const issuer = apiEnv().PUBLIC_URL;
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    const valid = (extra: Record<string, unknown> = {}) => claims({ iss: issuer, aud: TOKEN_AUDIENCE, exp: nowSeconds + 600, ...extra });

    // The control: the same recipe with nothing wrong is accepted.
    expect((await whoami(await signedByStackKey(valid()))).status).toBe(200);

    const otherKey = (await generateKeyPair('ES256')).privateKey;
    const stackKid = ((await stack.call(null, 'GET', '/v1/auth/jwks')).body.keys[0] as { kid: string }).kid;
    const { exp: _exp, ...noExpiry } = valid();
    const forged: Record<string, string> = {
      'bad signature': await new SignJWT(valid()).setProtectedHeader({ alg: 'ES256', kid: stackKid }).sign(otherKey),
      'wrong issuer': await signedByStackKey(valid({ iss: 'https://evil.example' })),
      'wrong audience': await signedByStackKey(valid({ aud: 'someone-else' })),
      'alg none': new UnsecuredJWT({ domain_id: DOMAIN, email: FIXTURES.admin.email })
        .setSubject(FIXTURES.admin.id)
        .setIssuer(issuer)
        .setAudience(TOKEN_AUDIENCE)
        .setExpirationTime(nowSeconds + 600)
        .encode(),
      'unknown kid': await signedByStackKey(valid(), { kid: 'not-a-key-of-ours' }),
      'critical extension': await signedByStackKey(valid(), { crit: ['exp-x'], 'exp-x': 1 }),
      expired: await signedByStackKey(valid({ exp: nowSeconds - 60 })),
      // Well signed, but it would never expire.
      'no expiry': await signedByStackKey(noExpiry),
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
