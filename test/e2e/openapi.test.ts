import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { API_DOCUMENT_VERSION, openApiDocument, ROUTE_DOCS } from '../../functions/api/openapi.ts';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, routeKey } from '../../functions/api/routes.ts';
import * as assignments from '../../functions/core/assignments/use-cases.ts';
import * as auth from '../../functions/core/auth/schemas.ts';
import * as blueprints from '../../functions/core/catalog/blueprints.ts';
import * as clouds from '../../functions/core/catalog/clouds.ts';
import * as credentials from '../../functions/core/catalog/credentials.ts';
import * as enrolment from '../../functions/core/enrolment/schemas.ts';
import * as resources from '../../functions/core/resources.ts';
import * as tenancy from '../../functions/core/tenancy.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Our own OpenAPI document (GET /v1/openapi.json): served publicly, complete against the route
// table, and its request schemas agree with the zod schemas the handlers parse with.

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
  it('has one ROUTE_DOCS entry per route, and none for a route that does not exist', () => {
    expect(Object.keys(ROUTE_DOCS).sort()).toEqual(ROUTES.map(routeKey).sort());
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
      const entry = ROUTE_DOCS[key];
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

  it('documents the schema each handler operation parses its body with', () => {
    // Reads the handlers' parseBody/parseEnvelope calls: an operation that parses a body directly
    // must name that very schema in ROUTE_DOCS, and a schema parsed in a helper must be documented
    // on some route.
    const modules: Record<string, Record<string, unknown>> = { assignments, auth, blueprints, clouds, credentials, enrolment, resources, tenancy };
    const exported = (name: string) => Object.values(modules).find((m) => name in m)?.[name] as z.ZodType | undefined;
    const documentedSchemas = new Set(Object.values(ROUTE_DOCS).flatMap((d) => (d.body ? [d.body.schema] : [])));
    let parsed = 0;
    for (const group of Object.keys(FUNCTION_GROUPS) as FunctionGroup[]) {
      const source = readFileSync(resolve(ROOT, FUNCTION_GROUPS[group].entry), 'utf8');
      const start = source.indexOf('createApiHandler(');
      // Each operation of the handler map starts a line with two spaces of indent and its name.
      const chunks = source.slice(start).split(/\n(?= {2}\w+: )/);
      for (const [i, text] of [source.slice(0, start), ...chunks].entries()) {
        const operation = i === 0 ? undefined : /^ {2}(\w+): /.exec(text)?.[1];
        for (const [, ref] of text.matchAll(/\b(?:parseBody|parseEnvelope)\(\s*([\w.]+)\s*,/g)) {
          if (ref === 'schema') continue; // the generic helpers themselves
          parsed++;
          const name = (ref as string).split('.').at(-1) as string;
          const schema = exported(name);
          expect(schema, `${group}: ${name} is exported from functions/core`).toBeDefined();
          expect(documentedSchemas.has(schema as z.ZodType), `${group}: ${name} is documented`).toBe(true);
          if (operation) {
            const route = ROUTES.find((r) => r.group === group && r.operation === operation);
            expect(route, `${group}.${operation} is a route`).toBeDefined();
            expect(ROUTE_DOCS[routeKey(route as (typeof ROUTES)[number])]?.body?.schema === schema, `${group}.${operation} documents ${name}`).toBe(true);
          }
        }
      }
    }
    expect(parsed).toBeGreaterThanOrEqual(18);
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
      const schema = ROUTE_DOCS[key]?.body?.schema as z.ZodType;
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
    expect(successes('POST', '/v1/projects/{id}/resources').sort()).toEqual(['201', '202']);
    expect(successes('DELETE', '/v1/resources/{id}').sort()).toEqual(['202', '204']);
    expect(successes('DELETE', '/v1/projects/{id}')).toEqual(['204']);
    expect(successes('POST', '/v1/register')).toEqual(['201']);
    expect(successes('GET', '/v1/nodes/{id}/events')).toEqual(['501']);
    expect(operationOf(served.doc, 'POST', '/v1/projects').responses['201'].headers.Location).toBeDefined();
  });

  it('gives list routes cursor, limit (1..200) and their filters', () => {
    const query = (method: string, path: string) =>
      Object.fromEntries((operationOf(served.doc, method, path).parameters ?? []).filter((p: Doc) => p.in === 'query').map((p: Doc) => [p.name, p.schema]));
    for (const route of ROUTES.filter((r) => ROUTE_DOCS[routeKey(r)]?.list)) {
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
