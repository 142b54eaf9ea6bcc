import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as z from 'zod';
import { API_DOCUMENT_VERSION, openApiDocument, SPECS, specOf } from '../../functions/api/openapi.ts';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, type RouteDef, routeKey, routesOf } from '../../functions/api/routes.ts';
import { tenancySpec } from '../../functions/api/tenancy.spec.ts';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { createApiHandler } from '../../functions/shared/api-handler.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { enrollingResource, heartbeatBody, wireguardKey } from '../support/nodes.ts';
import { signInSession } from '../support/sign-in.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Our own OpenAPI document (GET /v1/openapi.json): served publicly, complete against the route
// table, and its request schemas are the ones the handlers parse with (both read the operation
// specs, <group>.spec.ts).

// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document walked by key
type Doc = any;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRITE_METHODS = ['POST', 'PUT', 'PATCH'];
const UUID_A = '019100c0-0d00-7000-8000-0000000000aa';
const UUID_B = '019100c0-0d00-7000-8000-0000000000bb';

let stack: TestStack;
let served: { status: number; contentType: string | null; cacheControl: string | null; doc: Doc };

beforeAll(async () => {
  stack = await startTestStack();
  const res = await stack.call(null, 'GET', '/v1/openapi.json');
  served = { status: res.status, contentType: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), doc: res.body };
});
afterAll(async () => {
  await stack?.close();
});

const operationOf = (doc: Doc, method: string, path: string) => doc.paths?.[path]?.[method.toLowerCase()];
const routeOf = (key: string) => ROUTES.find((r) => routeKey(r) === key) as RouteDef;
const bodyName = (doc: Doc, key: string): string => {
  const [method, path] = key.split(' ') as [string, string];
  return operationOf(doc, method, path).requestBody.content['application/json'].schema.$ref.split('/').at(-1);
};

function ajvWith(doc: Doc) {
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  // Component refs (#/components/schemas/X) point into the one registered schema.
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"urn:plexsphere:openapi#/$defs/'));
  ajv.addSchema({ $id: 'urn:plexsphere:openapi', $defs: defs });
  return (name: string) => {
    const validate = ajv.getSchema(`urn:plexsphere:openapi#/$defs/${name}`);
    if (!validate) throw new Error(`no component schema ${name}`);
    return validate;
  };
}

describe('GET /v1/openapi.json', () => {
  it('answers 200 application/json to a caller without a token, and serves the generated document', () => {
    expect(served.status).toBe(200);
    expect(served.contentType).toContain('application/json');
    expect(served.cacheControl).toContain('public');
    expect(served.doc).toEqual(openApiDocument());
  });

  it('is built once per container', () => {
    expect(openApiDocument()).toBe(openApiDocument());
  });
});

describe('coverage of the route table', () => {
  it('has exactly one spec entry per route, and none that is no route', () => {
    for (const group of Object.keys(FUNCTION_GROUPS) as FunctionGroup[]) {
      const operations = routesOf(group).map((r) => r.operation);
      expect(new Set(operations).size, `${group}: one route per operation`).toBe(operations.length);
      expect(Object.keys(SPECS[group]).sort(), group).toEqual(operations.sort());
    }
  });

  it('refuses to build a handler whose spec misses a route or describes one that does not exist', () => {
    const operations = Object.fromEntries(routesOf('tenancy').map((r) => [r.operation, async () => ({ status: 204 })]));
    expect(() => createApiHandler('tenancy', tenancySpec, operations)).not.toThrow();
    const { deleteProject: _dropped, ...missing } = tenancySpec;
    expect(() => createApiHandler('tenancy', missing, operations)).toThrow(/no spec entry tenancy\.deleteProject/);
    const extra = { ...tenancySpec, archiveProject: tenancySpec.deleteProject };
    expect(() => createApiHandler('tenancy', extra, operations)).toThrow(/tenancy\.archiveProject names no route/);
  });

  it('names the authorization each operation needs, consistent with how its route authenticates', () => {
    for (const route of ROUTES) {
      const { authorization } = specOf(route) ?? {};
      const op = operationOf(served.doc, route.method, route.path);
      if (typeof authorization === 'object') {
        expect(route.auth, `${routeKey(route)}: a Cedar action needs a user`).toBe('user');
        expect([op['x-plexsphere-action'], op['x-plexsphere-resource']], routeKey(route)).toEqual([authorization.action, authorization.on]);
      } else {
        // Only whoami takes a user without asking for an action.
        expect(authorization, routeKey(route)).toBe(route.auth === 'user' ? 'token' : route.auth);
        expect(op['x-plexsphere-action'], routeKey(route)).toBe(authorization);
        expect(op['x-plexsphere-resource'], routeKey(route)).toBeUndefined();
      }
    }
  });

  it('documents every route with its method, operationId, tag and security, and nothing else', () => {
    const doc = served.doc;
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
    const expectedSecurity = { none: [], user: [{ accessToken: [] }], node: [{ nodeKey: [] }], session: [{ session: [], csrf: [] }] };
    for (const route of ROUTES) {
      const op = operationOf(doc, route.method, route.path);
      expect(op.operationId, routeKey(route)).toBe(route.operation);
      expect(op.tags, routeKey(route)).toEqual([route.group]);
      expect(op.security, routeKey(route)).toEqual(expectedSecurity[route.auth]);
    }
  });

  it('says for every write route whether it takes a body, and gives every body a schema', () => {
    for (const route of ROUTES) {
      const key = routeKey(route);
      const entry = specOf(route);
      const op = operationOf(served.doc, route.method, route.path);
      if (WRITE_METHODS.includes(route.method)) {
        expect(Boolean(entry?.body) !== Boolean(entry?.noBody), `${key}: exactly one of body or noBody`).toBe(true);
      } else {
        expect(entry?.body ?? entry?.noBody, `${key}: a ${route.method} takes no body`).toBeUndefined();
      }
      if (entry?.body) expect(op.requestBody?.content?.['application/json']?.schema?.$ref, key).toBe(`#/components/schemas/${entry.body.name}`);
      else expect(op.requestBody, key).toBeUndefined();
    }
  });
});

describe('the handlers parse their bodies with the schema of their spec', () => {
  // Per operation with a body: a body its schema accepts, plus a field it does not know. The
  // handler must refuse it with 400, and the spy on that very schema object must have seen it.
  interface BodyCase {
    who?: 'operator' | 'admin';
    path: string;
    body: Record<string, unknown>;
    headers?: Record<string, string>;
    code?: string;
  }
  let cases: Record<string, BodyCase>;

  beforeAll(async () => {
    const session = await signInSession(stack.url, FIXTURES.admin.email, 'password');
    const onPage = { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf };
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: 'Specs', slug: 'specs-bodies' });
    expect(project.status, project.text).toBe(201);
    const bound = await enrollingResource(project.body.id);
    const registration = { project_id: project.body.id, resource_handle: bound.resource.external_ref, bootstrap_token: bound.token };
    const registered = await stack.call(null, 'POST', '/v1/register', { ...registration, nonce: randomUUID(), public_key: wireguardKey() });
    expect(registered.status, registered.text).toBe(201);
    const node = registered.body.node_id as string;
    const asNode = { authorization: `Bearer ${formatNskBearer('local', node, registered.body.nsk)}` };
    const reason = { reason: 'no' };
    cases = {
      startDeviceAuthorization: { path: '/v1/auth/device-code', body: { domain_id: FIXTURES.domain.id } },
      exchangeDeviceCode: { path: '/v1/auth/device-token', body: { device_code: 'unknown' } },
      signIn: { path: '/v1/auth/sign-in', body: { domain_id: FIXTURES.domain.id, email: FIXTURES.admin.email, password: 'password' } },
      approveDevice: { path: '/v1/auth/device/approve', body: { user_code: 'ABCD-EFGH' }, headers: onPage },
      denyDevice: { path: '/v1/auth/device/deny', body: { user_code: 'ABCD-EFGH' }, headers: onPage },
      createProject: { who: 'admin', path: '/v1/projects', body: { domain_id: FIXTURES.domain.id, name: 'P', slug: 'specs-p' } },
      patchProject: { who: 'admin', path: `/v1/projects/${project.body.id}`, body: { name: 'Renamed' } },
      transferProject: { who: 'admin', path: `/v1/projects/${project.body.id}/owner`, body: { user_id: FIXTURES.admin.id } },
      createCloud: {
        who: 'operator',
        path: '/v1/clouds',
        body: { display_name: 'C', slug: 'specs-c', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: 'x' },
      },
      patchCloud: { who: 'operator', path: `/v1/clouds/${FIXTURES.cloud.id}`, body: { display_name: 'Renamed' } },
      createCredential: { who: 'operator', path: `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, body: { display_name: 'k', payload: 'e30=' } },
      revokeCredential: { who: 'operator', path: `/v1/cloud-credentials/${UUID_A}/revoke`, body: reason },
      createBlueprint: { who: 'operator', path: '/v1/blueprints', body: { slug: 'specs-bp', display_name: 'B' } },
      publishBlueprintVersion: {
        who: 'operator',
        path: `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}/versions`,
        body: { version: 'v9', provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: [] },
      },
      requestAssignment: { who: 'admin', path: `/v1/projects/${project.body.id}/credential-assignments`, body: { cloud_credential_id: UUID_B } },
      approveAssignment: { who: 'operator', path: `/v1/credential-assignments/${UUID_A}/approve`, body: { terms: { max_live_resources: 1 } } },
      approveApproval: { who: 'operator', path: `/v1/approvals/${UUID_A}/approve`, body: { reason: 'fine' } },
      narrowTerms: { who: 'operator', path: `/v1/credential-assignments/${UUID_A}`, body: { terms: {} } },
      rejectAssignment: { who: 'operator', path: `/v1/credential-assignments/${UUID_A}/reject`, body: reason },
      revokeAssignment: { who: 'operator', path: `/v1/credential-assignments/${UUID_A}/revoke`, body: reason },
      rejectApproval: { who: 'operator', path: `/v1/approvals/${UUID_A}/reject`, body: reason },
      createResource: { who: 'admin', path: `/v1/projects/${project.body.id}/resources`, body: { origin: 'adopted', kind: 'node', external_ref: 'i-0abc' } },
      moveLease: { who: 'admin', path: `/v1/resources/${UUID_A}/lease`, body: { expires_at: '2099-01-01T00:00:00Z' } },
      createWebhook: { who: 'admin', path: `/v1/domains/${FIXTURES.domain.id}/webhooks`, body: { url: 'https://hooks.example.com/in', event_types: ['resource.created'] } },
      register: { path: '/v1/register', body: { ...registration, nonce: randomUUID(), public_key: wireguardKey() } },
      heartbeat: { path: `/v1/nodes/${node}/heartbeat`, body: heartbeatBody(), headers: asNode, code: 'malformed_heartbeat_request' },
      putCapabilities: {
        path: `/v1/nodes/${node}/capabilities`,
        body: { binary_version: 'plexd-v0.4.2', binary_checksum: Buffer.alloc(32, 1).toString('base64') },
        headers: asNode,
        code: 'malformed_capabilities_request',
      },
    };
  });

  it('has a case for every operation whose spec has a body', () => {
    const withBody = ROUTES.filter((r) => specOf(r)?.body).map((r) => r.operation);
    expect(Object.keys(cases).sort()).toEqual(withBody.sort());
  });

  it('answers an unknown field with 400, found by the spec schema itself', async () => {
    for (const route of ROUTES) {
      const schema = specOf(route)?.body?.schema;
      const c = cases[route.operation];
      if (!schema || !c) continue;
      const key = routeKey(route);
      expect(schema.safeParse(c.body).success, `${key}: the case's body is valid`).toBe(true);
      const spy = vi.spyOn(schema, 'safeParse');
      try {
        const res = await stack.call(c.who ?? null, route.method, c.path, { ...c.body, surprise: key }, c.headers);
        expect([res.status, res.body?.code], `${key}: ${res.text}`).toEqual([400, c.code ?? 'invalid_body']);
        const seen = spy.mock.calls.some(([input]) => (input as { surprise?: unknown } | undefined)?.surprise === key);
        expect(seen, `${key}: parsed with the schema its spec names`).toBe(true);
      } finally {
        spy.mockRestore();
      }
    }
  });
});

describe('request schemas', () => {
  const samples: Array<[key: string, body: Record<string, unknown>]> = [
    ['POST /v1/projects', { domain_id: FIXTURES.domain.id, name: 'Authz', slug: 'authz-1' }],
    ['POST /v1/projects/{id}/resources', { origin: 'provisioned', kind: 'node', blueprint_version_id: UUID_A, cloud_credential_id: UUID_B, parameters: {} }],
    ['POST /v1/projects/{id}/resources', { origin: 'adopted', kind: 'node', external_ref: 'i-0abc' }],
    ['POST /v1/projects/{id}/credential-assignments', { cloud_credential_id: UUID_B }],
    [
      'POST /v1/register',
      { project_id: UUID_A, resource_handle: UUID_B, bootstrap_token: 'psb_local_x_node_y', nonce: randomUUID(), public_key: Buffer.alloc(32, 7).toString('base64') },
    ],
    [
      'POST /v1/clouds',
      { display_name: 'C 1', slug: 'cloud-1', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: { region: 'us-east-1' }, external_id: 'ext-1' },
    ],
    ['POST /v1/credential-assignments/{id}/reject', { reason: 'no' }],
    ['POST /v1/nodes/{id}/heartbeat', { client_now: new Date().toISOString(), binary_checksum: 'ab', binary_version: 'plexd-v0.4.2-test', nat_summary: {} }],
    ['POST /v1/auth/device/approve', { user_code: 'ABCD-EFGH' }],
  ];

  it('compile as JSON Schema 2020-12 (ajv, strict schema mode)', () => {
    const schemaOf = ajvWith(served.doc);
    for (const name of Object.keys(served.doc.components.schemas)) expect(() => schemaOf(name), name).not.toThrow();
  });

  for (const [key, sample] of samples) {
    it(`${key}: accepts what our tests send (${JSON.stringify(sample).slice(0, 40)}…) and refuses an unknown field`, () => {
      const validate = ajvWith(served.doc)(bodyName(served.doc, key));
      expect(validate(sample), JSON.stringify(validate.errors)).toBe(true);
      expect(validate({ ...sample, unexpected: true })).toBe(false);
      // The zod schema the handler uses agrees on both.
      const schema = specOf(routeOf(key))?.body?.schema as z.ZodType;
      expect(schema.safeParse(sample).success).toBe(true);
      expect(schema.safeParse({ ...sample, unexpected: true }).success).toBe(false);
    });
  }

  it('refuse what the schema forbids beyond unknown fields (types, required fields, the origin discriminator)', () => {
    const schemaOf = ajvWith(served.doc);
    const project = schemaOf(bodyName(served.doc, 'POST /v1/projects'));
    expect(project({ domain_id: FIXTURES.domain.id, name: 'P' })).toBe(false);
    expect(project({ domain_id: 'not-a-uuid', name: 'P', slug: 'p' })).toBe(false);
    const resource = schemaOf(bodyName(served.doc, 'POST /v1/projects/{id}/resources'));
    expect(resource({ origin: 'imagined', kind: 'node' })).toBe(false);
    expect(resource({ origin: 'adopted', kind: 'node', cloud_credential_id: UUID_B })).toBe(false);
  });

  it('mark a body required unless every field of it is optional', () => {
    expect(operationOf(served.doc, 'POST', '/v1/projects').requestBody.required).toBe(true);
    expect(operationOf(served.doc, 'POST', '/v1/auth/device-code').requestBody.required).toBe(false);
  });
});

describe('the document as a whole', () => {
  it('is OpenAPI 3.1 with our info, servers and tags', () => {
    const doc = served.doc;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(doc.info.version).toBe(pkg.version);
    expect(API_DOCUMENT_VERSION).toBe(pkg.version);
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(doc.tags.map((t: { name: string }) => t.name).sort()).toEqual(Object.keys(FUNCTION_GROUPS).sort());
  });

  it('gives every operation a unique operationId, declared path parameters, responses and known security schemes', () => {
    const doc = served.doc;
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths) as Array<[string, Record<string, Doc>]>) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);
      for (const [method, op] of Object.entries(item)) {
        const label = `${method.toUpperCase()} ${path}`;
        expect(ids.has(op.operationId), `${label}: operationId ${op.operationId} is unique`).toBe(false);
        ids.add(op.operationId);
        const pathParams = (op.parameters ?? []).filter((p: Doc) => p.in === 'path');
        expect(pathParams.map((p: Doc) => p.name).sort(), label).toEqual(templated.sort());
        for (const p of pathParams) expect(p, label).toMatchObject({ required: true, schema: { type: 'string', format: 'uuid' } });
        const statuses = Object.keys(op.responses);
        expect(statuses.some((s) => /^(2\d\d|501)$/.test(s)), `${label}: a documented answer`).toBe(true);
        expect(op.responses['4XX'], label).toEqual({ $ref: '#/components/responses/Problem' });
        expect(op.responses['5XX'], label).toEqual({ $ref: '#/components/responses/Problem' });
        for (const requirement of op.security) {
          for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme], `${label}: ${scheme}`).toBeDefined();
        }
        for (const tag of op.tags) expect(doc.tags.some((t: { name: string }) => t.name === tag), `${label}: tag ${tag}`).toBe(true);
      }
    }
  });

  it('documents the success status each handler answers', () => {
    const successes = (method: string, path: string) => Object.keys(operationOf(served.doc, method, path).responses).filter((s) => /^\d+$/.test(s));
    expect(successes('POST', '/v1/projects')).toEqual(['201']);
    expect(successes('POST', '/v1/projects/{id}/resources').sort()).toEqual(['200', '201', '202']);
    expect(successes('DELETE', '/v1/resources/{id}').sort()).toEqual(['202', '204']);
    expect(successes('DELETE', '/v1/projects/{id}')).toEqual(['204']);
    expect(successes('POST', '/v1/register')).toEqual(['201']);
    expect(successes('GET', '/v1/nodes/{id}/events')).toEqual(['501']);
    expect(operationOf(served.doc, 'POST', '/v1/projects').responses['201'].headers.Location).toBeDefined();
  });

  it("documents the node state's ETag, If-None-Match and 304", () => {
    const op = operationOf(served.doc, 'GET', '/v1/nodes/{id}/state');
    expect(op.parameters.find((p: Doc) => p.in === 'header')).toMatchObject({ name: 'If-None-Match', required: false, schema: { type: 'string' } });
    expect(op.responses['200'].headers.ETag).toEqual({ $ref: '#/components/headers/ETag' });
    expect(served.doc.components.headers.ETag.schema).toEqual({ type: 'string' });
    expect(op.responses['304']).toEqual({ description: 'Not Modified' });
  });

  it('gives list routes cursor, limit (1..200) and their filters', () => {
    const query = (method: string, path: string) =>
      Object.fromEntries((operationOf(served.doc, method, path).parameters ?? []).filter((p: Doc) => p.in === 'query').map((p: Doc) => [p.name, p.schema]));
    for (const route of ROUTES.filter((r) => specOf(r)?.list)) {
      const q = query(route.method, route.path);
      expect(q.limit, routeKey(route)).toMatchObject({ type: 'integer', minimum: 1, maximum: 200 });
      expect(q.cursor, routeKey(route)).toEqual({ type: 'string' });
      const page = operationOf(served.doc, route.method, route.path).responses['200'].content['application/json'].schema.$ref;
      expect(page, routeKey(route)).toMatch(/^#\/components\/schemas\/\w+ViewPage$/);
      const item = served.doc.components.schemas[page.split('/').at(-1)];
      expect(item, routeKey(route)).toMatchObject({ required: ['items'], properties: { items: { type: 'array' }, next_cursor: { type: 'string' } } });
    }
    expect(Object.keys(query('GET', '/v1/approvals')).sort()).toEqual(['cursor', 'domain_id', 'kind', 'limit', 'status']);
    expect(Object.keys(query('GET', '/v1/projects')).sort()).toEqual(['cursor', 'domain_id', 'limit']);
  });

  it('resolves every $ref', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(served.doc);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) {
      expect(ref.startsWith('#/'), ref).toBe(true);
      const target = ref
        .slice(2)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<Doc>((at, key) => at?.[key], served.doc);
      expect(target, ref).toBeDefined();
    }
  });

  it("describes the problems the broker actually answers with its Problem schema", async () => {
    const validate = ajvWith(served.doc)('Problem');
    const unauthenticated = await stack.call(null, 'GET', '/v1/projects');
    expect(unauthenticated.status).toBe(401);
    expect(validate(unauthenticated.body), JSON.stringify(validate.errors)).toBe(true);
    const invalid = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: 'P', slug: 'p', unexpected: true });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors).toEqual(expect.any(Array));
    expect(validate(invalid.body), JSON.stringify(validate.errors)).toBe(true);
  });
});
