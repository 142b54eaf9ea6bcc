import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../functions/core/clock.ts';
import { buildDeps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from './stack.ts';

// The stack of test/e2e/auth-*.test.ts, its clock, and the helpers those files share.

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

export let stack: TestStack;
export const clock = new ShiftedClock();
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
export async function snapshot(): Promise<string[]> {
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

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return stack.call(null, 'POST', path, body, headers);
}

export async function whoami(token: string) {
  return stack.call(null, 'GET', '/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
}
