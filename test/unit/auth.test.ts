import { beforeEach, describe, expect, it } from 'vitest';
import { normaliseUserCode, sha256Hex, USER_CODE_ALPHABET } from '../../functions/core/auth/codes.ts';
import { decideDevice, exchangeDeviceCode, startDeviceAuthorization } from '../../functions/core/auth/device.ts';
import type { AuthPorts } from '../../functions/core/auth/ports.ts';
import { requireSessionWithCsrf, signIn } from '../../functions/core/auth/session.ts';
import { ALICE, codeOf, DOMAIN, type FixedClock, fakeAuthPorts, MALLORY, type MemoryAuthStore, OTHER_BINDING } from '../support/auth-fakes.ts';

let store: MemoryAuthStore;
let clock: FixedClock;
let ports: AuthPorts;
let verified: string[];

beforeEach(() => {
  ({ store, clock, ports, verified } = fakeAuthPorts());
});

const start = () => startDeviceAuthorization(ports, { domain_id: DOMAIN.id });
const signInAs = (email: string, password: string, sourceIp = '192.0.2.1') =>
  signIn(ports, { domain_id: DOMAIN.id, email, password, sourceIp });

describe('device authorization', () => {
  it('issues a device code stored only as its hash, and a readable user code', async () => {
    const started = await start();
    expect(started).toMatchObject({
      verification_uri: 'https://broker.example.com/v1/auth/device',
      expires_in: 600,
      interval: 5,
    });
    expect(started.user_code).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    for (const c of started.user_code.replace('-', '')) expect(USER_CODE_ALPHABET).toContain(c);
    expect(started.user_code).not.toMatch(/[01OI]/);
    expect(started.verification_uri_complete).toBe(`https://broker.example.com/v1/auth/device?user_code=${started.user_code}`);
    const [hash, stored] = [...store.devices.entries()][0] ?? [];
    expect(hash).toBe(await sha256Hex(started.device_code));
    expect(JSON.stringify(stored)).not.toContain(started.device_code);
  });

  it('normalises typed codes: any case, with or without the dash', () => {
    expect(normaliseUserCode('abcd-efgh')).toBe('ABCDEFGH');
    expect(normaliseUserCode(' ABCDEFGH ')).toBe('ABCDEFGH');
    expect(normaliseUserCode('abcd efgh')).toBe('ABCDEFGH');
    expect(normaliseUserCode('ABCD-EFG')).toBeUndefined();
    expect(normaliseUserCode('ABCD-EFG1')).toBeUndefined();
  });

  it('rejects an unknown domain, an unknown binding, and a missing domain', async () => {
    expect(await codeOf(startDeviceAuthorization(ports, { domain_id: '019100a0-0a00-7000-8000-00000000abcd' }))).toBe('domain_not_found');
    expect(await codeOf(startDeviceAuthorization(ports, { domain_id: DOMAIN.id, idp_binding_id: OTHER_BINDING.id }))).toBe(
      'idp_binding_not_found',
    );
    expect(await codeOf(startDeviceAuthorization(ports, {}))).toBe('platform_sign_in_not_enabled');
    expect(store.devices.size).toBe(0);
  });

  it('answers authorization_pending, then slow_down for a poll inside the interval', async () => {
    const { device_code } = await start();
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
    clock.advance(4.9);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('slow_down');
    clock.advance(0.1);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
  });

  it('expires: expired_token for the device, device_code_expired for the browser', async () => {
    const { device_code, user_code } = await start();
    clock.advance(599);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('authorization_pending');
    clock.advance(1);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('expired_token');
    expect(await codeOf(decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved', '192.0.2.1'))).toBe('device_code_expired');
  });

  it('an approved code past its expiry gives no token', async () => {
    const { device_code, user_code } = await start();
    await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved', '192.0.2.1');
    clock.advance(600);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('expired_token');
  });

  it('approval pins the signed-in user; the code is redeemed once', async () => {
    const { device_code, user_code } = await start();
    const code = normaliseUserCode(user_code) ?? '';
    expect(await decideDevice(ports, ALICE, code, 'approved', '192.0.2.1')).toEqual({ status: 'approved' });
    expect(await codeOf(decideDevice(ports, ALICE, code, 'approved', '192.0.2.1'))).toBe('device_code_already_approved');
    const issued = await exchangeDeviceCode(ports, device_code);
    expect(issued.token).toBe(`token-for-${ALICE.id}`);
    clock.advance(5);
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('invalid_grant');
  });

  it('concurrent polls of an approved code yield exactly one token', async () => {
    const { device_code, user_code } = await start();
    await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'approved', '192.0.2.1');
    // Every poll passes the interval check (each its own device, as a fast retry would), so only
    // the redeem write decides.
    store.recordPoll = async () => true;
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => exchangeDeviceCode(ports, device_code)));
    const tokensIssued = outcomes.filter((o) => o.status === 'fulfilled');
    expect(tokensIssued).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) expect((o as PromiseRejectedResult).reason.code).toBe('invalid_grant');
  });

  it('deny ends in access_denied', async () => {
    const { device_code, user_code } = await start();
    expect(await decideDevice(ports, ALICE, normaliseUserCode(user_code) ?? '', 'denied', '192.0.2.1')).toEqual({ status: 'denied' });
    expect(await codeOf(exchangeDeviceCode(ports, device_code))).toBe('access_denied');
  });

  it('unknown codes: invalid_grant for the device, device_code_not_found for the browser', async () => {
    expect(await codeOf(exchangeDeviceCode(ports, 'no-such-code'))).toBe('invalid_grant');
    expect(await codeOf(decideDevice(ports, ALICE, 'ABCDEFGH', 'approved', '192.0.2.1'))).toBe('device_code_not_found');
  });

  it('a user of another domain cannot approve the code', async () => {
    const { user_code } = await start();
    expect(await codeOf(decideDevice(ports, MALLORY, normaliseUserCode(user_code) ?? '', 'approved', '192.0.2.1'))).toBe('device_code_domain_mismatch');
  });
});

describe('sign-in', () => {
  it('opens a session stored by hash, with a CSRF token bound to it', async () => {
    const started = await signInAs('Alice@Example.com', 'password');
    expect(started.user.id).toBe(ALICE.id);
    const session = store.sessions.get(await sha256Hex(started.sessionToken));
    expect(session?.csrf_hash).toBe(await sha256Hex(started.csrfToken));
    expect(JSON.stringify([...store.sessions])).not.toContain(started.sessionToken);
  });

  it('answers the same for a wrong password and an unknown email, checking a hash both times', async () => {
    expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    expect(await codeOf(signInAs('nobody@example.com', 'password'))).toBe('invalid_credentials');
    expect(verified).toHaveLength(2);
    expect(store.sessions.size).toBe(0);
  });

  it('throttles an (email, address) pair after five failures in the window, even with the right password', async () => {
    for (let i = 0; i < 5; i++) expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    clock.advance(60);
    let err: unknown;
    await signInAs('alice@example.com', 'password').catch((e) => {
      err = e;
    });
    expect(err).toMatchObject({ code: 'too_many_attempts', extra: { retry_after_seconds: 840 } });
    expect(verified).toHaveLength(5);
    clock.advance(840);
    expect((await signInAs('alice@example.com', 'password')).user.id).toBe(ALICE.id);
  });

  it('a success gives its attempt back', async () => {
    for (let i = 0; i < 4; i++) await codeOf(signInAs('alice@example.com', 'wrong'));
    await signInAs('alice@example.com', 'password');
    expect(await codeOf(signInAs('alice@example.com', 'wrong'))).toBe('invalid_credentials');
    expect(await codeOf(signInAs('alice@example.com', 'password'))).toBe('too_many_attempts');
  });

  it('throttles a source that fails across many emails', async () => {
    for (let i = 0; i < 20; i++) await codeOf(signInAs(`guess${i}@example.com`, 'x', '198.51.100.7'));
    expect(await codeOf(signInAs('alice@example.com', 'password', '198.51.100.7'))).toBe('too_many_attempts');
    // The refused attempt did not count against Alice's own window.
    expect((await signInAs('alice@example.com', 'password', '192.0.2.50')).user.id).toBe(ALICE.id);
  });

  it('session writes need the session (401), then the CSRF header matching cookie and session (403)', async () => {
    const a = await signInAs('alice@example.com', 'password');
    const b = await signInAs('alice@example.com', 'password');
    const check = (sessionToken: string | undefined, csrfCookie: string | undefined, csrfHeader: string | undefined) =>
      codeOf(requireSessionWithCsrf(ports, { sessionToken, csrfCookie, csrfHeader }));
    expect(await check(undefined, a.csrfToken, a.csrfToken)).toBe('unauthenticated');
    expect(await check('forged', a.csrfToken, a.csrfToken)).toBe('unauthenticated');
    expect(await check(a.sessionToken, a.csrfToken, undefined)).toBe('csrf_token_mismatch');
    expect(await check(a.sessionToken, a.csrfToken, 'other')).toBe('csrf_token_mismatch');
    // b's pair is self-consistent but belongs to another session.
    expect(await check(a.sessionToken, b.csrfToken, b.csrfToken)).toBe('csrf_token_mismatch');
    const ok = await requireSessionWithCsrf(ports, { sessionToken: a.sessionToken, csrfCookie: a.csrfToken, csrfHeader: a.csrfToken });
    expect(ok.user.id).toBe(ALICE.id);
    clock.advance(1800);
    expect(await check(a.sessionToken, a.csrfToken, a.csrfToken)).toBe('unauthenticated');
  });
});
