import { afterAll, beforeAll } from 'vitest';
import { buildDeps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { movingClock } from './moving-clock.ts';
import { startTestStack, type TestStack } from './stack.ts';
import { tableSnapshot } from './table-snapshot.ts';

// The stack of test/e2e/auth-*.test.ts, its clock, and the helpers those files share.

export let stack: TestStack;
/**
 * Time moves by test command, not by waiting: the functions read this clock (expiry, poll
 * interval, throttle window, token lifetime), and the tests advance it.
 */
export const clock = movingClock();
export const DOMAIN = FIXTURES.domain.id;
export const PASSWORD = FIXTURES.devPassword;
export const TTL = 600;
export const INTERVAL = 1;

/** Starts a stack whose functions read `clock` for the calling file, and closes it after its tests. */
export function useAuthStack(): void {
  beforeAll(async () => {
    stack = await startTestStack({ DEVICE_CODE_TTL_SECONDS: String(TTL), DEVICE_POLL_INTERVAL_SECONDS: String(INTERVAL) });
    setDeps(buildDeps(apiEnv(), { clock }));
  });
  afterAll(async () => {
    await stack?.close();
  });
}

/** Every item of the table with every value (test/support/table-snapshot.ts). */
export function snapshot(): Promise<string[]> {
  return tableSnapshot(stack.dynamoUrl, stack.tableName);
}

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return stack.call(null, 'POST', path, body, headers);
}

export async function whoami(token: string) {
  return stack.call(null, 'GET', '/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
}
