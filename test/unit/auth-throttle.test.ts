import { beforeEach, describe, expect, it } from 'vitest';
import { normaliseUserCode } from '../../functions/core/auth/codes.ts';
import { decideDevice, describeUserCode, startDeviceAuthorization } from '../../functions/core/auth/device.ts';
import { type AuthPorts, DEFAULT_THROTTLE } from '../../functions/core/auth/ports.ts';
import { signIn } from '../../functions/core/auth/session.ts';
import { backoffDelayMs, emailBackoffPolicy, sourceAddressKey } from '../../functions/core/auth/throttle.ts';
import { ALICE, codeOf, DOMAIN, type FixedClock, fakeAuthPorts } from '../support/auth-fakes.ts';

// The sign-in and user-code throttles over memory, on the moved clock: who is counted where, and
// how long the email's growing delay is. The embedded stack's run is test/e2e/auth-throttle.test.ts.

let clock: FixedClock;
let ports: AuthPorts;

beforeEach(() => {
  ({ clock, ports } = fakeAuthPorts());
});

const signInFrom = (sourceIp: string, password: string, email = ALICE.email) => signIn(ports, { domain_id: DOMAIN.id, email, password, sourceIp });

async function refusal(promise: Promise<unknown>): Promise<{ code: string; retryAfter: unknown }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code: string; extra?: { retry_after_seconds?: unknown } };
    return { code: e.code, retryAfter: e.extra?.retry_after_seconds };
  }
  throw new Error('expected a refusal');
}

describe('sign-in throttles', () => {
  it('five wrong passwords from one address lock that pair only: the owner gets in from another address', async () => {
    for (let i = 0; i < 5; i++) expect(await codeOf(signInFrom('198.51.100.1', 'wrong'))).toBe('invalid_credentials');
    expect(await refusal(signInFrom('198.51.100.1', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 900 });
    expect((await signInFrom('203.0.113.9', 'password')).user.id).toBe(ALICE.id);
    // The pair stays throttled, also when the address comes IPv4-mapped.
    expect(await codeOf(signInFrom('::ffff:198.51.100.1', 'password'))).toBe('too_many_attempts');
  });

  it('after ten failures from anywhere, an address that failed waits a growing delay; a clean address does not', async () => {
    for (const source of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']) {
      for (let i = 0; i < 2; i++) expect(await codeOf(signInFrom(source, 'wrong'))).toBe('invalid_credentials');
    }
    // The 11th failure sets the first delay: 5 s.
    expect(await codeOf(signInFrom('10.0.0.1', 'wrong'))).toBe('invalid_credentials');
    expect(await refusal(signInFrom('10.0.0.2', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 5 });
    clock.advance(5);
    // The 12th doubles it.
    expect(await codeOf(signInFrom('10.0.0.2', 'wrong'))).toBe('invalid_credentials');
    expect(await refusal(signInFrom('10.0.0.3', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 10 });
    // The owner, from an address with no failure for this email, is not made to wait.
    expect((await signInFrom('192.0.2.77', 'password')).user.id).toBe(ALICE.id);
    clock.advance(10);
    expect((await signInFrom('10.0.0.3', 'password')).user.id).toBe(ALICE.id);
  });

  it('guessers on many addresses skip the delay ten times per window at most; beyond that they wait, and so does the owner, up to the cap', async () => {
    // 10 free failures, then the 11th sets 5 s; 10 clean addresses skip it, and that is the window's lot.
    for (let i = 1; i <= 21; i++) expect(await codeOf(signInFrom(`10.1.0.${i}`, 'wrong'))).toBe('invalid_credentials');
    for (let i = 22; i <= 40; i++) expect(await refusal(signInFrom(`10.1.0.${i}`, 'wrong'))).toEqual({ code: 'too_many_attempts', retryAfter: 5 });
    expect(await refusal(signInFrom('192.0.2.77', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 5 });
    // Each slot the delay opens takes one guess, and the count puts the delay at its cap.
    clock.advance(5);
    expect(await codeOf(signInFrom('10.1.0.22', 'wrong'))).toBe('invalid_credentials');
    expect(await refusal(signInFrom('10.1.0.23', 'wrong'))).toEqual({ code: 'too_many_attempts', retryAfter: 300 });
    // The owner's worst case: the capped delay.
    expect(await refusal(signInFrom('192.0.2.77', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 300 });
    clock.advance(300);
    expect((await signInFrom('192.0.2.77', 'password')).user.id).toBe(ALICE.id);
    // The owner's success does not shorten it for the guessers.
    expect(await refusal(signInFrom('10.1.0.24', 'wrong'))).toEqual({ code: 'too_many_attempts', retryAfter: 300 });
    // The next window brings ten exemptions again: the owner, from a clean address, skips the delay.
    clock.advance(600);
    expect(await codeOf(signInFrom('10.1.0.40', 'wrong'))).toBe('invalid_credentials');
    expect(await refusal(signInFrom('10.1.0.40', 'password'))).toEqual({ code: 'too_many_attempts', retryAfter: 300 });
    expect((await signInFrom('192.0.2.78', 'password')).user.id).toBe(ALICE.id);
  });

  it('the delay doubles from 5 s and stops at 5 minutes', () => {
    const policy = emailBackoffPolicy(DEFAULT_THROTTLE);
    const delays = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 100].map((n) => backoffDelayMs(n, policy) / 1000);
    expect(delays).toEqual([0, 0, 5, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('counts IPv4-mapped addresses as IPv4, and IPv6 per /48', () => {
    expect(sourceAddressKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(sourceAddressKey('::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(sourceAddressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(sourceAddressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1::/48');
    expect(sourceAddressKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1::/48');
    // Every /64 (and /56) of one /48 is one caller.
    expect(sourceAddressKey('2001:db8:1:ffff::1')).toBe('2001:db8:1::/48');
    expect(sourceAddressKey('2001:db8::1')).toBe('2001:db8:0::/48');
    expect(sourceAddressKey('::1')).toBe('0:0:0::/48');
    expect(sourceAddressKey('fe80::1%eth0')).toBe('fe80:0:0::/48');
    expect(sourceAddressKey('unknown')).toBe('unknown');
  });
});

describe('user-code guessing (RFC 8628 §5.1)', () => {
  it('twenty unknown codes from one address make it 429 on the page and on approve; another address still uses a valid code', async () => {
    const started = await startDeviceAuthorization(ports, { domain_id: DOMAIN.id });
    const valid = normaliseUserCode(started.user_code) ?? '';
    for (let i = 0; i < 10; i++) expect((await describeUserCode(ports, 'BCDF-GHJK', '198.51.100.1')).state).toBe('not_found');
    for (let i = 0; i < 10; i++) expect(await codeOf(decideDevice(ports, ALICE, 'BCDFGHJK', 'approved', '198.51.100.1'))).toBe('device_code_not_found');
    expect(await refusal(decideDevice(ports, ALICE, valid, 'approved', '198.51.100.1'))).toEqual({ code: 'too_many_attempts', retryAfter: 900 });
    expect(await codeOf(describeUserCode(ports, started.user_code, '198.51.100.1'))).toBe('too_many_attempts');
    expect((await describeUserCode(ports, started.user_code, '203.0.113.9')).state).toBe('pending');
    expect(await decideDevice(ports, ALICE, valid, 'approved', '203.0.113.9')).toEqual({ status: 'approved' });
  });

  it('known and malformed codes do not count', async () => {
    const started = await startDeviceAuthorization(ports, { domain_id: DOMAIN.id });
    for (let i = 0; i < 30; i++) {
      expect((await describeUserCode(ports, started.user_code, '198.51.100.2')).state).toBe('pending');
      expect((await describeUserCode(ports, '<not a code>', '198.51.100.2')).state).toBe('malformed');
    }
    clock.advance(1);
    expect((await describeUserCode(ports, 'BCDF-GHJK', '198.51.100.2')).state).toBe('not_found');
  });
});
