// Our own OpenAPI 3.1 document, built from the route table and the operation specs
// (<group>.spec.ts, see spec.ts): the very entries whose body schemas the handlers parse with.
// routes.ts stays free of runtime imports (infra reads it). Success bodies are described by the
// view schemas of functions/core (the output side), and test/e2e/openapi-responses.test.ts holds
// the broker's real answers to them.

import * as z from 'zod';
import { DEFAULT_LIMIT, MAX_LIMIT, pageViewSchema } from '../core/pagination.ts';
import { assignmentsSpec } from './assignments.spec.ts';
import { authSpec } from './auth.spec.ts';
import { catalogSpec } from './catalog.spec.ts';
import { eventsSpec } from './events.spec.ts';
import { nodesSpec } from './nodes.spec.ts';
import { resourcesSpec } from './resources.spec.ts';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, type RouteDef, routeKey } from './routes.ts';
import { type Content, type GroupSpec, type Json, type Named, type OperationSpec, type QueryParam, uuid } from './spec.ts';
import { tenancySpec } from './tenancy.spec.ts';
import { webhooksSpec } from './webhooks.spec.ts';

/** The document's own version; follows package.json (a test holds them together). */
export const API_DOCUMENT_VERSION = '0.1.0';

/** Every group's operation specs. */
export const SPECS: Record<FunctionGroup, GroupSpec> = {
  auth: authSpec,
  tenancy: tenancySpec,
  catalog: catalogSpec,
  assignments: assignmentsSpec,
  resources: resourcesSpec,
  nodes: nodesSpec,
  events: eventsSpec,
  webhooks: webhooksSpec,
};

/** The spec of a route's operation; undefined when it has none. */
export function specOf(route: Pick<RouteDef, 'group' | 'operation'>): OperationSpec | undefined {
  return Object.hasOwn(SPECS[route.group], route.operation) ? SPECS[route.group][route.operation] : undefined;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  501: 'Not Implemented',
};

const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable, the prose is not.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'code', 'correlation_id'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Machine-readable reason, e.g. invalid_body or project_slug_conflict.' },
    correlation_id: { type: 'string', description: 'Finds the request in the log; also sent as X-Correlation-Id.' },
    reason: { type: 'string', enum: ['out_of_scope', 'insufficient_relation'], description: 'Why authorization refused (403).' },
    errors: {
      type: 'array',
      description: 'One entry per offending field.',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const SECURITY_SCHEMES: Json = {
  accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the device sign-in.' },
  nodeKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'NSK',
    description: "A registered node's envelope: nsk_<env>_<base64url, unpadded, of the node id's 16 bytes then the 32 nsk bytes>.",
  },
  session: { type: 'apiKey', in: 'cookie', name: 'plexsphere_session', description: "The sign-in page's session cookie." },
  csrf: { type: 'apiKey', in: 'header', name: 'X-Plexsphere-CSRF', description: 'Echoes the plexsphere_csrf cookie.' },
};

const SECURITY: Record<RouteDef['auth'], Json[]> = {
  none: [],
  user: [{ accessToken: [] }],
  node: [{ nodeKey: [] }],
  session: [{ session: [], csrf: [] }],
};

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The input side of a zod schema as a JSON Schema 2020-12 object (OpenAPI 3.1's dialect). */
export function inputJsonSchema(schema: z.ZodType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Json;
  return rest;
}

/** Component name of a list page of `item`. */
export const pageName = (item: Named): string => `${item.name}Page`;

function successResponse(status: number, content: Content, spec: OperationSpec): Json {
  const description = STATUS_TEXT[status] ?? String(status);
  const headers =
    spec.location && (status === 201 || status === 202)
      ? { headers: { Location: { $ref: '#/components/headers/Location' } } }
      : spec.etag && status === 200
        ? { headers: { ETag: { $ref: '#/components/headers/ETag' } } }
        : {};
  const json = (schema: Json) => ({ description, ...headers, content: { 'application/json': { schema } } });
  if (content === 'empty') return { description, ...headers };
  if (content === 'problem') return { $ref: '#/components/responses/Problem' };
  if (content === 'html') return { description, content: { 'text/html': { schema: { type: 'string' } } } };
  if ('page' in content) return json(schemaRef(pageName(content.page)));
  if ('array' in content) return json({ type: 'array', items: schemaRef(content.array.name) });
  return json(schemaRef(content.view.name));
}

/**
 * The response components: every view, and a page wrapper per listed view. One zod registry, so
 * a view inside another (a page's items) becomes a $ref to its component.
 */
function responseSchemas(specs: OperationSpec[]): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named = new Map<string, z.ZodType>();
  const add = (name: string, schema: z.ZodType) => {
    const earlier = named.get(name);
    if (earlier && earlier !== schema) throw new Error(`openapi: two response schemas named ${name}`);
    if (!earlier) registry.add(schema, { id: name });
    named.set(name, schema);
  };
  const pages = new Map<string, z.ZodType>();
  for (const spec of specs) {
    for (const content of Object.values(spec.answers)) {
      if (typeof content !== 'object') continue;
      const item = 'view' in content ? content.view : 'page' in content ? content.page : content.array;
      add(item.name, item.schema);
      if ('page' in content && !pages.has(item.name)) {
        const page = pageViewSchema(item.schema).meta({
          description: `One page of ${item.name}; next_cursor is absent on the last page, opaque, and only valid for the same caller and query.`,
        });
        pages.set(item.name, page);
        add(pageName(item), page);
      }
    }
  }
  const { schemas } = z.toJSONSchema(registry, { io: 'output', uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, Json>;
  };
  return Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _dialect, $id: _id, ...rest }]) => [name, rest]));
}

function queryParams(spec: OperationSpec): Json[] {
  const params: Record<string, QueryParam> = { ...spec.query };
  if (spec.list) {
    Object.assign(params, spec.list, {
      cursor: { schema: { type: 'string' }, description: 'next_cursor of the previous page.' },
      limit: {
        schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
        description: `Page size, 1 to ${MAX_LIMIT}; out of range is refused (invalid_limit), not clamped.`,
      },
    });
  }
  return Object.entries(params).map(([name, p]) => ({ name, in: 'query', required: false, ...p }));
}

const IDEMPOTENCY_KEY: Json = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Replaying the same key and body answers the same Resource; another body with it → 409.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
};

const IF_NONE_MATCH: Json = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'The ETag of the last 200; while it still matches, the answer is 304 without a body.',
  schema: { type: 'string' },
};

/** The Cedar action (and the entity type it is asked on), or how else the caller is checked. */
function authorizationOf(spec: OperationSpec): Json {
  const a = spec.authorization;
  return typeof a === 'string' ? { 'x-plexsphere-action': a } : { 'x-plexsphere-action': a.action, 'x-plexsphere-resource': a.on };
}

function operation(route: RouteDef, spec: OperationSpec): Json {
  const pathParams = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: uuid }));
  const headerParams = [...(spec.idempotencyKey ? [IDEMPOTENCY_KEY] : []), ...(spec.etag ? [IF_NONE_MATCH] : [])];
  const parameters = [...pathParams, ...queryParams(spec), ...headerParams];
  const responses: Json = {};
  for (const [status, content] of Object.entries(spec.answers)) responses[status] = successResponse(Number(status), content, spec);
  responses['4XX'] = { $ref: '#/components/responses/Problem' };
  responses['5XX'] = { $ref: '#/components/responses/Problem' };
  return {
    operationId: route.operation,
    summary: spec.summary,
    tags: [route.group],
    security: SECURITY[route.auth],
    ...authorizationOf(spec),
    ...(parameters.length > 0 && { parameters }),
    ...(spec.body && {
      requestBody: {
        // A body whose every field is optional may be left out altogether.
        required: !spec.body.schema.safeParse({}).success,
        content: { 'application/json': { schema: schemaRef(spec.body.name) } },
      },
    }),
    responses,
  };
}

function buildDocument(): Json {
  const paths: Record<string, Json> = {};
  const bodySchemas: Record<string, Json> = {};
  const seen = new Map<string, z.ZodType>();
  const specs: OperationSpec[] = [];
  for (const route of ROUTES) {
    const spec = specOf(route);
    if (!spec) throw new Error(`openapi: no spec entry ${route.group}.${route.operation} for ${routeKey(route)}`);
    specs.push(spec);
    if (spec.body) {
      const earlier = seen.get(spec.body.name);
      if (earlier && earlier !== spec.body.schema) throw new Error(`openapi: two schemas named ${spec.body.name}`);
      seen.set(spec.body.name, spec.body.schema);
      bodySchemas[spec.body.name] ??= inputJsonSchema(spec.body.schema);
    }
    paths[route.path] ??= {};
    (paths[route.path] as Json)[route.method.toLowerCase()] = operation(route, spec);
  }
  const views = responseSchemas(specs);
  for (const name of Object.keys(bodySchemas))
    if (name in views) throw new Error(`openapi: ${name} names both a request and a response schema`);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Plexsphere provisioning broker',
      version: API_DOCUMENT_VERSION,
      description:
        'Generated from the route table and the request schemas the handlers validate with. Request bodies are strict ' +
        '(unknown fields → 400 invalid_body); every error is application/problem+json with a stable code.',
    },
    servers: [{ url: '/' }],
    tags: (Object.keys(FUNCTION_GROUPS) as FunctionGroup[]).map((name) => ({ name, description: FUNCTION_GROUPS[name].description })),
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA, ...views, ...bodySchemas },
      responses: {
        Problem: { description: 'The request failed', content: { 'application/problem+json': { schema: schemaRef('Problem') } } },
      },
      headers: {
        Location: { description: 'Path of the created (or accepted) item.', schema: { type: 'string' } },
        ETag: { description: 'Names this answer; send it back as If-None-Match.', schema: { type: 'string' } },
      },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

let built: Json | undefined;

/** The document, built on first use and kept for the container's life. */
export function openApiDocument(): Json {
  built ??= buildDocument();
  return built;
}
