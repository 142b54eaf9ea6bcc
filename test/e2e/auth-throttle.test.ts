import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { clock, DOMAIN, PASSWORD, post, snapshot, stack, useAuthStack } from '../support/auth-e2e.ts';
import { callerAt, cookieHeaderOf } from '../support/source-address.ts';
import type { ApiResponse } from '../support/stack.ts';

// The sign-in and user-code throttles on the embedded stack, each caller on its own loopback
// address: guessers on some addresses must not keep the owner out from another.

useAuthStack();

const from = (address: string) => callerAt(stack.url, address);
const signInFrom = (address: string, email: string, password: string) => from(address)('POST', '/v1/auth/sign-in', { domain_id: DOMAIN, email, password });

function expectTooMany(res: ApiResponse, atMostSeconds: number): number {
  expect([res.status, res.body?.code]).toEqual([429, 'too_many_attempts']);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(atMostSeconds);
  expect(res.body.retry_after_seconds).toBe(retryAfter);
  return retryAfter;
}

describe('sign-in throttles', () => {
  it('five wrong passwords from 127.0.0.2 throttle that address only: the owner signs in from 127.0.0.3', async () => {
    const email = FIXTURES.operator.email;
    for (let i = 0; i < 5; i++) expect((await signInFrom('127.0.0.2', email, `wrong-${i}`)).status).toBe(401);
    const before = await snapshot();
    expectTooMany(await signInFrom('127.0.0.2', email, 'wrong-again'), 15 * 60);
    expectTooMany(await signInFrom('127.0.0.2', email, PASSWORD), 15 * 60);
    expect(await snapshot()).toEqual(before);

    const owner = await signInFrom('127.0.0.3', email, PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.body.email).toBe(email);
    expect(cookieHeaderOf(owner)).toMatch(/plexsphere_session=[^;]+; plexsphere_csrf=/);
    // The guessing address stays throttled for this email after the owner got in.
    expectTooMany(await signInFrom('127.0.0.2', email, PASSWORD), 15 * 60);
  });

  it('after many failures from many addresses the email makes a failing address wait; a clean one gets in', async () => {
    const email = FIXTURES.admin.email;
    for (const address of ['127.0.0.4', '127.0.0.5']) {
      for (let i = 0; i < 5; i++) expect((await signInFrom(address, email, `wrong-${i}`)).status).toBe(401);
    }
    // Failure 11, from a third address (clean, but not held back by any delay yet), sets the delay: 5 s.
    expect((await signInFrom('127.0.0.6', email, 'wrong-a')).status).toBe(401);
    const retryAfter = expectTooMany(await signInFrom('127.0.0.6', email, PASSWORD), 5);
    expect((await signInFrom('127.0.0.7', email, PASSWORD)).status).toBe(200);
    clock.advance(retryAfter);
    expect((await signInFrom('127.0.0.6', email, PASSWORD)).status).toBe(200);
  });
});

describe('user-code guessing (RFC 8628 §5.1)', () => {
  it('twenty unknown codes from 127.0.0.8 on the page and on approve make it 429; 127.0.0.3 still uses a valid code', async () => {
    const device = await post('/v1/auth/device-code', { domain_id: DOMAIN });
    expect(device.status).toBe(200);
    const code: string = device.body.user_code;
    const guesser = from('127.0.0.8');
    for (let i = 0; i < 10; i++) {
      const page = await guesser('GET', '/v1/auth/device?user_code=BCDF-GHJK');
      expect([page.status, page.text.includes('We do not recognise that code')]).toEqual([200, true]);
    }
    const signedIn = await signInFrom('127.0.0.8', FIXTURES.operator.email, PASSWORD);
    expect(signedIn.status).toBe(200);
    const cookie = cookieHeaderOf(signedIn);
    const csrf = /plexsphere_csrf=([^;]+)/.exec(cookie)?.[1] ?? '';
    const session = { cookie, 'x-plexsphere-csrf': csrf };
    for (let i = 0; i < 10; i++) {
      const approve = await guesser('POST', '/v1/auth/device/approve', { user_code: 'BCDF-GHJK' }, session);
      expect([approve.status, approve.body.code]).toEqual([404, 'device_code_not_found']);
    }
    const before = await snapshot();
    expectTooMany(await guesser('GET', `/v1/auth/device?user_code=${code}`), 15 * 60);
    expectTooMany(await guesser('POST', '/v1/auth/device/deny', { user_code: code }, session), 15 * 60);
    expect(await snapshot()).toEqual(before);

    const owner = from('127.0.0.3');
    const page = await owner('GET', `/v1/auth/device?user_code=${code}`);
    expect([page.status, page.text.includes(code)]).toEqual([200, true]);
    const approved = await owner('POST', '/v1/auth/device/approve', { user_code: code }, session);
    expect([approved.status, approved.body]).toEqual([200, { status: 'approved' }]);
  });
});
