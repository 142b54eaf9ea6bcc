import { afterAll, beforeAll, expect } from 'vitest';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { DEMO_CREDENTIAL_KEYS } from '../../scripts/seed-catalog.ts';
import { type ApiResponse, startTestStack, type TestStack } from './stack.ts';
import { tableSnapshot } from './table-snapshot.ts';

// The stack of test/e2e/catalog-*.test.ts, and the helpers those files share. Each file has its own
// stack, so `seen` and `material` hold what that file's responses and secrets were.

export const CLOUD = FIXTURES.cloud.id;
export const BLUEPRINT = FIXTURES.cloudlessBlueprint.id;
export const b64 = (s: string) => Buffer.from(s).toString('base64');
export const awsPayload = (secret: string) => b64(JSON.stringify({ access_key_id: 'AKIAE2ETEST', secret_access_key: secret }));

export let stack: TestStack;
export let demoCredentialId: string;
/** Every response's status line, headers and body, searched at the end for leaked material. */
export const seen: string[] = [];
/** Material that must never come back: the demo keys and every secret this file issues. */
export const material = new Set<string>([DEMO_CREDENTIAL_KEYS.secret_access_key, b64(JSON.stringify(DEMO_CREDENTIAL_KEYS))]);

type Who = 'operator' | 'admin' | null;

/** No response of this file carried credential material or a secret's name (it ran at least `atLeast` requests). */
export function expectNoMaterialSeen(atLeast: number): void {
  expect(seen.length).toBeGreaterThan(atLeast);
  const forbidden = [...material, 'secret_arn', 'secret_version_id', 'arn:aws:secretsmanager', apiEnv().CREDENTIAL_SECRET_PREFIX, '"revoke_reason"'];
  for (const text of seen) for (const needle of forbidden) expect(text.includes(needle), `${needle} leaked in ${text}`).toBe(false);
}

export async function api(who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  const res = await stack.call(who, method, path, body, headers);
  seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${res.text}`);
  return res;
}

/** Every item of the table with every value, keys sorted at every depth, items sorted. */
export function snapshot(): Promise<string[]> {
  return tableSnapshot(stack.dynamoUrl, stack.tableName);
}

/** Starts a stack for the calling file, finds the seeded demo credential's id, and closes the stack after the file's tests. */
export function useCatalogStack(): void {
  beforeAll(async () => {
    stack = await startTestStack();
    const list = await api('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`);
    demoCredentialId = list.body.items.find((c: { display_name: string }) => c.display_name === 'demo-credential').id;
  });
  afterAll(async () => {
    await stack?.close();
  });
}

let slugs = 0;
export const freshSlug = (base: string) => `${base}-${++slugs}`;

export async function newCloud(over: Record<string, unknown> = {}): Promise<{ id: string; slug: string }> {
  const slug = freshSlug('e2e-cloud');
  const res = await api('operator', 'POST', '/v1/clouds', {
    display_name: `Cloud ${slug}`,
    slug,
    provider: 'aws',
    endpoint: { region: 'eu-central-1', url: 'http://127.0.0.1:4566' },
    region_defaults: {},
    external_id: slug,
    ...over,
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function newBlueprint(): Promise<{ id: string; slug: string }> {
  const slug = freshSlug('e2e-blueprint');
  const res = await api('operator', 'POST', '/v1/blueprints', { slug, display_name: `Blueprint ${slug}` });
  expect(res.status, res.text).toBe(201);
  return res.body;
}
