import type { ErrorObject } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.ts';
import { ROUTES, routeKey } from '../../functions/api/routes.ts';
import { type Resource, resourceView } from '../../functions/core/resources.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { issueCredential, untilPhase } from '../support/resources.ts';
import { type Case, DEMO_KEYS, DOMAIN, type Journey, journeyCases, startJourney, UNKNOWN_ID } from '../support/route-cases.ts';
import { signInSession } from '../support/sign-in.ts';
import type { ApiResponse } from '../support/stack.ts';

// Our document against the broker: every success answer of every route, driven through the real
// stack, must match the response schema OUR OpenAPI document gives for that route and status.
// The cases come from test/support/route-cases.ts (shared with the contract test) plus EXTRA
// below for what that table does not reach; both are keyed by route.

// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document walked by key
type Doc = any;

const media = (contentType: string | null | undefined) => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const describeError = (e: ErrorObject): string => {
  const at = e.instancePath || '(body)';
  if (e.keyword === 'required') return `${at}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'additionalProperties') return `${at}: unexpected "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${at}: ${e.message}`;
};

/** Checks answers against one OpenAPI document; returns readable problems, none when it matches. */
function responseChecker(doc: Doc) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  const id = 'urn:plexsphere:openapi';
  // Component refs (#/components/schemas/X) point into the one registered schema.
  const toAjv = (schema: unknown): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${id}#/$defs/`));
  ajv.addSchema({ $id: id, $defs: toAjv(doc.components.schemas) });
  return (method: string, path: string, status: number, contentType: string | null, body: unknown): string[] => {
    const where = `${method} ${path} → ${status}`;
    const response = doc.paths?.[path]?.[method.toLowerCase()]?.responses?.[String(status)];
    if (!response) return [`${where}: status not documented`];
    const content = response.content as Record<string, { schema: unknown }> | undefined;
    const empty = body === undefined || body === '';
    if (!content) return empty ? [] : [`${where}: documented without a body, got one`];
    const mediaType = content[media(contentType)];
    if (!mediaType) return [`${where}: content type ${media(contentType) || '(none)'} not documented (${Object.keys(content).join(', ')})`];
    if (!media(contentType).endsWith('json')) return typeof body === 'string' && body.length > 0 ? [] : [`${where}: expected a text body`];
    const validate = ajv.compile(toAjv(mediaType.schema));
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${where}: ${describeError(e)}`);
  };
}

let journey: Journey;
let helpers: ReturnType<typeof journeyCases>;
let served: Doc;
let check: ReturnType<typeof responseChecker>;

/** Success cases the shared table lacks: routes the published contract does not document, and more shapes. */
const EXTRA: Record<string, (h: typeof helpers, j: Journey) => Case[]> = {
  'GET /v1/auth/idp-bindings': ({ call }) => [{ name: 'the platform chooser', status: 200, run: () => call(null, 'GET', '/v1/auth/idp-bindings?scope=platform') }],
  'GET /v1/auth/device': ({ call }) => [
    { name: 'the empty page', status: 200, run: () => call(null, 'GET', '/v1/auth/device') },
    {
      name: 'a pending code',
      status: 200,
      run: async () => {
        const device = await call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN });
        return call(null, 'GET', `/v1/auth/device?user_code=${device.body.user_code}`);
      },
    },
  ],
  'POST /v1/auth/sign-in': ({ call }) => [
    { name: 'a password', status: 200, run: () => call(null, 'POST', '/v1/auth/sign-in', { domain_id: DOMAIN, email: FIXTURES.admin.email, password: 'password' }) },
  ],
  'POST /v1/auth/device/deny': ({ call }, j) => [
    {
      name: 'deny from a signed-in session',
      status: 200,
      run: async () => {
        const device = await call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN });
        const { cookie, csrf } = await signInSession(j.stack.url, FIXTURES.admin.email, 'password');
        return call(null, 'POST', '/v1/auth/device/deny', { user_code: device.body.user_code }, { cookie, 'x-plexsphere-csrf': csrf });
      },
    },
  ],
  'GET /v1/auth/jwks': ({ call }) => [{ name: 'the keys', status: 200, run: () => call(null, 'GET', '/v1/auth/jwks') }],
  'GET /v1/openapi.json': ({ call }) => [{ name: 'the document', status: 200, run: () => call(null, 'GET', '/v1/openapi.json') }],
  'GET /v1/credential-assignments/{id}': ({ call, requested, approved }) => [
    { name: 'a request', status: 200, run: async () => call('admin', 'GET', `/v1/credential-assignments/${await requested()}`) },
    { name: 'an approved one', status: 200, run: async () => call('operator', 'GET', `/v1/credential-assignments/${await approved()}`) },
  ],
  'GET /v1/domains/{id}/audit/entries': ({ call }) => [
    { name: 'the decisions so far', status: 200, run: () => call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/entries`) },
    { name: 'a page with a cursor', status: 200, run: () => call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/entries?limit=1`) },
  ],
  'GET /v1/domains/{id}/audit/verify': ({ call }) => [
    { name: 'the chain so far', status: 200, run: () => call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/verify`) },
  ],
  'GET /v1/cloud-credentials/{id}': ({ call }, j) => [
    {
      name: 'a revoked credential',
      status: 200,
      run: async () => {
        const id = await issueCredential(j.stack, DEMO_KEYS);
        expect((await call('operator', 'POST', `/v1/cloud-credentials/${id}/revoke`, { reason: 'done' })).status).toBe(200);
        return call('operator', 'GET', `/v1/cloud-credentials/${id}`);
      },
    },
  ],
  'POST /v1/projects/{id}/resources': ({ call }, j) => [
    { name: 'an adopted Resource', status: 201, run: () => call('admin', 'POST', `/v1/projects/${j.projectId}/resources`, { origin: 'adopted', kind: 'node', external_ref: 'i-0abc' }) },
  ],
  'DELETE /v1/resources/{id}': ({ call }, j) => [
    {
      name: 'an adopted Resource',
      status: 204,
      run: async () => {
        const adopted = await call('admin', 'POST', `/v1/projects/${j.projectId}/resources`, { origin: 'adopted', kind: 'node' });
        return call('admin', 'DELETE', `/v1/resources/${adopted.body.id}`);
      },
    },
  ],
  'GET /v1/resources/{id}': ({ call }, j) => [
    {
      name: 'the journey Resource once torn down',
      status: 200,
      run: async () => {
        await call('admin', 'DELETE', `/v1/resources/${j.resourceId}`);
        await untilPhase(j.stack, j.resourceId, 'Deleted');
        return call('admin', 'GET', `/v1/resources/${j.resourceId}`);
      },
    },
  ],
};

const successCases = (key: string): Case[] => [
  ...(helpers.cases[key] ?? []).filter((c) => c.status < 300),
  ...(EXTRA[key]?.(helpers, journey) ?? []),
];
const documentedSuccesses = (method: string, path: string): string[] =>
  Object.keys(served.paths[path][method.toLowerCase()].responses).filter((s) => /^2\d\d$/.test(s));
const bodyOf = (res: ApiResponse) => res.body ?? (res.text || undefined);

beforeAll(async () => {
  journey = await startJourney();
  helpers = journeyCases(journey);
  served = (await journey.stack.call(null, 'GET', '/v1/openapi.json')).body;
  check = responseChecker(served);
});
afterAll(async () => {
  await journey?.stack.close();
});

describe('the checker', () => {
  const project = {
    id: UNKNOWN_ID,
    domain_id: DOMAIN,
    name: 'P',
    slug: 'p',
    description: '',
    owner_id: UNKNOWN_ID,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
  const get = (body: unknown, status = 200, contentType = 'application/json') => check('GET', '/v1/projects/{id}', status, contentType, body);

  it('accepts a right body, and one with an optional field', () => {
    expect(get(project)).toEqual([]);
    expect(get({ ...project, sub_range_cidr: '10.0.0.0/24' })).toEqual([]);
  });

  it('names a missing, mistyped or unexpected field, a wrong status or content type, a body where none belongs', () => {
    const { slug: _slug, ...withoutSlug } = project;
    expect(get(withoutSlug)).toEqual(['GET /v1/projects/{id} → 200: (body): missing "slug"']);
    expect(get({ ...project, name: 7 })).toEqual(['GET /v1/projects/{id} → 200: /name: must be string']);
    expect(get({ ...project, id: 'not-a-uuid' })[0]).toMatch(/\/id: must match/);
    expect(get({ ...project, password_hash: 'x' })).toEqual(['GET /v1/projects/{id} → 200: (body): unexpected "password_hash"']);
    expect(get(project, 201)[0]).toMatch(/status not documented/);
    expect(get(project, 200, 'text/plain')[0]).toMatch(/content type text\/plain not documented/);
    expect(check('DELETE', '/v1/projects/{id}', 204, 'application/json', project)[0]).toMatch(/documented without a body/);
    expect(check('GET', '/v1/projects', 200, 'application/json', { items: [withoutSlug] })).toEqual(['GET /v1/projects → 200: /items/0: missing "slug"']);
    expect(check('GET', '/v1/projects', 200, 'application/json', { items: [project], next_cursor: 1 })).toHaveLength(1);
  });
});

describe('the document', () => {
  it('is the one the broker serves', () => {
    expect(served).toEqual(openApiDocument());
  });

  it('gives every JSON success answer a named view schema, never a bare object', () => {
    for (const route of ROUTES) {
      for (const status of documentedSuccesses(route.method, route.path)) {
        const schema = served.paths[route.path][route.method.toLowerCase()].responses[status].content?.['application/json']?.schema;
        if (!schema) continue;
        const ref: string = schema.$ref ?? schema.items?.$ref;
        expect(ref, `${routeKey(route)} ${status}`).toMatch(/^#\/components\/schemas\/(\w+View(Page)?|OpenApiDocument)$/);
      }
    }
  });

  it('describes a Resource with every optional part present (provisioning, last_error, substrate, node)', () => {
    const at = '2026-01-01T00:00:00.000Z';
    const resource: Resource = {
      id: UNKNOWN_ID,
      project_id: UNKNOWN_ID,
      domain_id: DOMAIN,
      kind: 'node',
      origin: 'provisioned',
      external_ref: UNKNOWN_ID,
      created_at: at,
      updated_at: at,
      created_by: UNKNOWN_ID,
      blueprint_version_id: UNKNOWN_ID,
      cloud_credential_id: UNKNOWN_ID,
      provisioning: {
        phase: 'Failed',
        generation: 2,
        run: 'provision',
        provisioned_resource_id: UNKNOWN_ID,
        reason: 'The substrate refused the launch.',
        waiting_on: 'substrate-apply',
        deadline: at,
        last_error: { code: 'substrate_error', message: 'no capacity' },
        transitions: [
          { phase: 'Pending', at },
          { phase: 'Failed', at },
        ],
        substrate: { provider: 'aws', region: 'eu-central-1', client_token: 'x', instance_id: 'i-0abc', instance_state: 'terminated' },
      },
      node: { node_id: UNKNOWN_ID, mesh_ip: '10.0.0.2', public_key: 'k', nsk_hash: 'h', registered_at: at, last_heartbeat_at: at },
    };
    expect(check('GET', '/v1/resources/{id}', 200, 'application/json', JSON.parse(JSON.stringify(resourceView(resource))))).toEqual([]);
  });
});

// In route-table order, as the contract test runs the same cases (the DELETE of the journey
// Resource comes after the reads that need it).
describe.each(ROUTES.map((r) => [routeKey(r), r] as const))('%s', (key, route) => {
  it('answers every success case with a body our document describes', async () => {
    const documented = documentedSuccesses(route.method, route.path);
    const cases = successCases(key);
    if (documented.length === 0) {
      expect(cases, `${key} documents no success, yet has success cases`).toEqual([]);
      return;
    }
    expect(cases.length, `no success case for ${key}: add one to test/support/route-cases.ts or EXTRA`).toBeGreaterThan(0);
    for (const c of cases) {
      const res = await c.run();
      expect(res.status, `${key} (${c.name}): ${res.text}`).toBe(c.status);
      expect(check(route.method, route.path, res.status, res.headers.get('content-type'), bodyOf(res)), `${key} (${c.name})`).toEqual([]);
    }
    // Every documented success status is reached by some case.
    expect([...new Set(cases.map((c) => String(c.status)))].sort(), key).toEqual([...documented].sort());
  });
});

describe('the case tables', () => {
  it('name only routes of the route table', () => {
    const known = new Set(ROUTES.map(routeKey));
    expect(Object.keys(EXTRA).filter((k) => !known.has(k))).toEqual([]);
    expect(Object.keys(helpers.cases).filter((k) => !known.has(k))).toEqual([]);
  });
});
