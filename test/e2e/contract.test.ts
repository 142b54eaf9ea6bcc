import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/api/routes.ts';
import { loadContract } from '../support/contract.ts';
import { untilPhase } from '../support/resources.ts';
import { type Case, DOMAIN, type Journey, journeyCases, startJourney, UNKNOWN_ID } from '../support/route-cases.ts';
import type { ApiResponse } from '../support/stack.ts';

// Contract conformance: every route of ROUTES that the published contract documents answers, for
// at least one success and one typical error, with the status, content type and body schema the
// contract documents. The cases (test/support/route-cases.ts) are keyed by route, so a newly
// documented route without cases fails here.

const contract = loadContract();

/** Routes whose only answer today is an error, and why (they still need an error case). */
const NO_SUCCESS_CASE: Record<string, string> = {
  'GET /v1/nodes/{id}/events': 'answers 501 signed_event_bus_not_provisioned until the signed event bus exists',
};
/** Routes that by design cannot fail, and why (they still need a success case). */
const NO_ERROR_CASE: Record<string, string> = {
  'DELETE /v1/auth/whoami': 'sign-out answers 204 to everyone, so that it discloses nothing about sessions',
};

let journey: Journey;
let CASES: Record<string, Case[]>;
let call: ReturnType<typeof journeyCases>['call'];

/** Asserts the documented status was answered and the response conforms to the contract. */
function expectConforms(method: string, path: string, c: Pick<Case, 'name' | 'status'>, res: ApiResponse): void {
  const label = `${method} ${path} (${c.name})`;
  expect(res.status, `${label}: ${res.text}`).toBe(c.status);
  const body = res.body ?? (res.text || undefined);
  expect(contract.checkResponse(method, path, res.status, res.headers.get('content-type'), body, res.headers), label).toEqual([]);
}

const documented = ROUTES.filter((r) => contract.find(r.method, r.path));

beforeAll(async () => {
  journey = await startJourney();
  ({ cases: CASES, call } = journeyCases(journey));
});
afterAll(async () => {
  await journey?.stack.close();
});

describe('the case table', () => {
  it('documents most of what we serve, and has cases only for routes we serve', () => {
    expect(documented.length).toBeGreaterThan(40);
    const served = new Set(ROUTES.map(routeKey));
    expect(Object.keys(CASES).filter((key) => !served.has(key))).toEqual([]);
  });
});

describe('the checker', () => {
  const resource = {
    id: UNKNOWN_ID,
    project_id: UNKNOWN_ID,
    domain_id: DOMAIN,
    kind: 'node',
    origin: 'provisioned',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    provisioning: { phase: 'Ready', provisioned_resource_id: UNKNOWN_ID, reason: 'extra fields are fine' },
  };
  const problem = { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: 'slow down', instance: '/v1/projects', code: 'too_many' };
  const check = (status: number, contentType: string, body: unknown) => contract.checkResponse('GET', '/v1/resources/{id}', status, contentType, body);

  it('accepts a conforming body with extra fields, and the statuses the README adds', () => {
    expect(check(200, 'application/json; charset=utf-8', resource)).toEqual([]);
    expect(check(400, 'application/problem+json', { ...problem, status: 400, code: 'invalid_resource_id' })).toEqual([]);
    expect(contract.checkResponse('POST', '/v1/projects', 429, 'application/problem+json', problem)).toEqual([]);
  });

  it('names a renamed or missing field, a wrong type or value, an undocumented status or content type', () => {
    const { origin: _dropped, ...withoutOrigin } = resource;
    expect(check(200, 'application/json', withoutOrigin)).toEqual(['GET /v1/resources/{id} → 200: (body): missing required field "origin"']);
    expect(check(200, 'application/json', { ...resource, origin: 'Provisioned' })[0]).toMatch(/\/origin: must be equal to one of the allowed values/);
    expect(check(200, 'application/json', { ...resource, provisioning: { phase: 'ready', provisioned_resource_id: 7 } })).toHaveLength(2);
    expect(check(409, 'application/problem+json', problem)[0]).toMatch(/status 409 is not documented/);
    expect(check(404, 'application/json', problem)[0]).toMatch(/content type application\/json is not documented/);
    expect(contract.checkResponse('DELETE', '/v1/resources/{id}', 202, 'application/json', resource)[0]).toMatch(/documents no body/);
    expect(contract.checkResponse('GET', '/v1/nowhere', 200, 'application/json', {})[0]).toMatch(/documents no such operation/);
  });

  it('fails loudly, not silently, when the contract data is missing', () => {
    expect(() => loadContract('/nonexistent/plexsphere-v1-subset.data.json')).toThrow(/published contract's data is missing/);
  });
});

describe.each(documented.map((r) => [routeKey(r), r] as const))('%s', (key, r) => {
  it('answers a success and a typical error as the contract documents', async () => {
    const cases = CASES[key];
    expect(cases, `no conformance cases for the documented route ${key}: add them to CASES`).toBeDefined();
    if (!NO_SUCCESS_CASE[key]) expect(cases?.some((c) => c.status < 300), `${key} needs a success case`).toBe(true);
    if (!NO_ERROR_CASE[key]) expect(cases?.some((c) => c.status >= 400), `${key} needs an error case`).toBe(true);
    for (const c of cases ?? []) {
      const res = await c.run();
      // Our extensions (terms, dry runs) are checked against our own document (openapi-responses.test.ts).
      if (c.beyondContract) expect(res.status, `${key} (${c.name}): ${res.text}`).toBe(c.status);
      else expectConforms(r.method, r.path, c, res);
    }
  });
});

describe('sweeps over every documented route', () => {
  const fill = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

  it('refuses an unauthenticated caller with a conforming 401', async () => {
    for (const r of documented.filter((x) => x.auth !== 'none')) {
      const res = await call(null, r.method, fill(r.path, UNKNOWN_ID), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      expectConforms(r.method, r.path, { name: 'no credentials', status: 401 }, res);
    }
  });

  it('refuses a body over the cap with a conforming 413', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(64 * 1024) });
    for (const r of documented.filter((x) => ['POST', 'PUT', 'PATCH'].includes(x.method))) {
      const res = await call('operator', r.method, fill(r.path, UNKNOWN_ID), big);
      expectConforms(r.method, r.path, { name: 'a body over the cap', status: 413 }, res);
      expect(res.body.code, `${r.method} ${r.path}`).toBe('request_body_too_large');
    }
  });

  it('refuses a malformed path id with a conforming 400', async () => {
    for (const r of documented.filter((x) => x.auth === 'user' && x.path.includes('{'))) {
      const res = await call('operator', r.method, fill(r.path, 'not-an-id'), r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      expectConforms(r.method, r.path, { name: 'a malformed id', status: 400 }, res);
      expect(res.body.code, `${r.method} ${r.path}`).toMatch(/^invalid_[a-z_]+_id$|^invalid_body$/);
    }
  });
});

describe('the resource arc, as the contract shows it', () => {
  it('reads Ready, deletes with 202 and reads Deleted, each conforming', async () => {
    const get = { name: 'a Deleted resource', status: 200 };
    const { stack, projectId, resourceId } = journey;
    expect((await call('admin', 'GET', `/v1/resources/${resourceId}`)).status).toBe(200);
    await call('admin', 'DELETE', `/v1/resources/${resourceId}`);
    await untilPhase(stack, resourceId, 'Deleted');
    expectConforms('GET', '/v1/resources/{id}', get, await call('admin', 'GET', `/v1/resources/${resourceId}`));
    expectConforms('GET', '/v1/projects/{id}/resources', { name: 'with a Deleted resource', status: 200 }, await call('admin', 'GET', `/v1/projects/${projectId}/resources`));
    expectConforms('DELETE', '/v1/resources/{id}', { name: 'a Deleted resource again', status: 202 }, await call('admin', 'DELETE', `/v1/resources/${resourceId}`));
  });
});
