// Our own OpenAPI 3.1 document, built from the route table and the zod request-body schemas the
// handlers parse with. routes.ts stays free of runtime imports (infra reads it), so what a route
// takes and answers beyond its method, path and auth lives in ROUTE_DOCS below: one entry per
// route, checked against ROUTES by test/e2e/openapi.test.ts. Success bodies are described by the
// view schemas of functions/core (the output side), and test/e2e/openapi-responses.test.ts holds
// the broker's real answers to them.

import { z } from 'zod';
import { ApprovalViewSchema } from '../core/assignments/approvals.ts';
import { AssignmentViewSchema } from '../core/assignments/assignment.ts';
import { AuditEntryViewSchema } from '../core/assignments/audit.ts';
import { RequestAssignmentBodySchema, ReasonBodySchema } from '../core/assignments/use-cases.ts';
import {
  DeviceCodeRequestSchema,
  DeviceCodeViewSchema,
  DeviceDecisionRequestSchema,
  DeviceDecisionViewSchema,
  DeviceTokenRequestSchema,
  DeviceTokenViewSchema,
  IdpBindingViewSchema,
  JwksViewSchema,
  SignInRequestSchema,
  SignInViewSchema,
  WhoamiViewSchema,
} from '../core/auth/schemas.ts';
import {
  BlueprintVersionViewSchema,
  BlueprintViewSchema,
  CreateBlueprintBodySchema,
  PublishVersionBodySchema,
} from '../core/catalog/blueprints.ts';
import { CloudViewSchema, CreateCloudBodySchema, PatchCloudBodySchema } from '../core/catalog/clouds.ts';
import { CredentialViewSchema, IssueCredentialBodySchema, RevokeCredentialBodySchema } from '../core/catalog/credentials.ts';
import {
  CapabilitiesViewSchema,
  CapabilityManifestBodySchema,
  HeartbeatBodySchema,
  HeartbeatViewSchema,
  NodeStateViewSchema,
  RegisterBodySchema,
  RegistrationViewSchema,
} from '../core/enrolment/schemas.ts';
import { DEFAULT_LIMIT, MAX_LIMIT, pageViewSchema } from '../core/pagination.ts';
import { CreateResourceBodySchema, ResourceViewSchema } from '../core/resources.ts';
import { CreateProjectBodySchema, DomainViewSchema, PatchProjectBodySchema, ProjectViewSchema } from '../core/tenancy.ts';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, type RouteDef, routeKey } from './routes.ts';

/** The document's own version; follows package.json (a test holds them together). */
export const API_DOCUMENT_VERSION = '0.1.0';

type Json = Record<string, unknown>;

/** A named response schema: a component under #/components/schemas. */
export interface ViewDoc {
  name: string;
  schema: z.ZodType;
}

/** What a success answer carries: a view, a page or array of views, or no JSON at all. */
export type Content = { view: ViewDoc } | { page: ViewDoc } | { array: ViewDoc } | 'html' | 'empty' | 'problem';

interface QueryParam {
  schema: Json;
  description: string;
}

export interface RequestBodyDoc {
  /** Component name under #/components/schemas; routes parsing the same schema share one name. */
  name: string;
  schema: z.ZodType;
}

export interface RouteDoc {
  summary: string;
  /** The schema the handler hands to parseBody (or the node envelope parser). */
  body?: RequestBodyDoc;
  /** Set on a POST, PUT or PATCH that reads no JSON body: why. */
  noBody?: string;
  /** Status → what it carries; the handler's answers when all goes well. */
  answers: Partial<Record<200 | 201 | 202 | 204 | 501, Content>>;
  /** 201/202 answers name the new thing in a Location header. */
  location?: boolean;
  /** A list: `cursor` and `limit` are added, with these filters. */
  list?: Record<string, QueryParam>;
  query?: Record<string, QueryParam>;
  idempotencyKey?: boolean;
}

const body = (name: string, schema: z.ZodType): RequestBodyDoc => ({ name, schema });
const uuid = { type: 'string', format: 'uuid' };
const domainFilter = (description: string): QueryParam => ({ schema: uuid, description });

const view = (name: string, schema: z.ZodType): ViewDoc => ({ name, schema });
const OK = (v: ViewDoc) => ({ 200: { view: v } });
const CREATED = (v: ViewDoc) => ({ 201: { view: v } });
const PAGE = (v: ViewDoc) => ({ 200: { page: v } });
const NO_CONTENT = { 204: 'empty' } as const;

const DOMAIN = view('DomainView', DomainViewSchema);
const PROJECT = view('ProjectView', ProjectViewSchema);
const CLOUD = view('CloudView', CloudViewSchema);
const CREDENTIAL = view('CredentialView', CredentialViewSchema);
const BLUEPRINT = view('BlueprintView', BlueprintViewSchema);
const ASSIGNMENT = view('AssignmentView', AssignmentViewSchema);
const APPROVAL = view('ApprovalView', ApprovalViewSchema);
const RESOURCE = view('ResourceView', ResourceViewSchema);
const DEVICE_DECISION = view('DeviceDecisionView', DeviceDecisionViewSchema);
// Only the shape a reader relies on; the document is this very file's output.
const OPENAPI_DOCUMENT = view(
  'OpenApiDocument',
  z.looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
);

const REASON = body('ReasonBody', ReasonBodySchema);
const DECISION = body('DeviceDecisionRequest', DeviceDecisionRequestSchema);
const NO_DECISION_BODY = 'approving takes no body (an empty object is tolerated)';

/** Everything the route table does not say about a route, keyed by routeKey. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /v1/auth/idp-bindings': {
    summary: "List a domain's sign-in methods",
    answers: { 200: { array: view('IdpBindingView', IdpBindingViewSchema) } },
    query: {
      domain_id: domainFilter('The domain whose bindings to list (needed unless scope=platform).'),
      scope: { schema: { type: 'string', enum: ['platform'] }, description: 'platform: the platform-wide bindings (none in this broker).' },
    },
  },
  'POST /v1/auth/device-code': {
    summary: 'Start a device sign-in (RFC 8628)',
    body: body('DeviceCodeRequest', DeviceCodeRequestSchema),
    answers: OK(view('DeviceCodeView', DeviceCodeViewSchema)),
  },
  'POST /v1/auth/device-token': {
    summary: 'Poll for the access token of a device sign-in',
    body: body('DeviceTokenRequest', DeviceTokenRequestSchema),
    answers: OK(view('DeviceTokenView', DeviceTokenViewSchema)),
  },
  'GET /v1/auth/device': {
    summary: 'The sign-in page (HTML)',
    answers: { 200: 'html' },
    query: { user_code: { schema: { type: 'string' }, description: 'The code shown by the device, e.g. ABCD-EFGH.' } },
  },
  'POST /v1/auth/sign-in': {
    summary: 'Sign in on the page; sets the session and CSRF cookies',
    body: body('SignInRequest', SignInRequestSchema),
    answers: OK(view('SignInView', SignInViewSchema)),
  },
  'POST /v1/auth/device/approve': { summary: 'Approve a device sign-in from the page', body: DECISION, answers: OK(DEVICE_DECISION) },
  'POST /v1/auth/device/deny': { summary: 'Deny a device sign-in from the page', body: DECISION, answers: OK(DEVICE_DECISION) },
  'GET /v1/auth/jwks': { summary: 'Public keys that verify access tokens', answers: OK(view('JwksView', JwksViewSchema)) },
  'GET /v1/auth/whoami': { summary: 'Who the access token belongs to', answers: OK(view('WhoamiView', WhoamiViewSchema)) },
  'DELETE /v1/auth/whoami': { summary: 'Sign out of the page session (always 204)', answers: NO_CONTENT },
  'GET /v1/openapi.json': { summary: 'This document', answers: OK(OPENAPI_DOCUMENT) },

  'GET /v1/domains': { summary: 'List domains', answers: PAGE(DOMAIN), list: {} },
  'GET /v1/domains/{id}': { summary: 'Get a domain', answers: OK(DOMAIN) },
  'POST /v1/projects': {
    summary: 'Create a project',
    body: body('CreateProjectBody', CreateProjectBodySchema),
    answers: CREATED(PROJECT),
    location: true,
  },
  'GET /v1/projects': {
    summary: "List a domain's projects",
    answers: PAGE(PROJECT),
    list: { domain_id: domainFilter("The domain (default: the caller's).") },
  },
  'GET /v1/projects/{id}': { summary: 'Get a project', answers: OK(PROJECT) },
  'PATCH /v1/projects/{id}': {
    summary: 'Rename or describe a project',
    body: body('PatchProjectBody', PatchProjectBodySchema),
    answers: OK(PROJECT),
  },
  'DELETE /v1/projects/{id}': { summary: 'Delete an empty project', answers: NO_CONTENT },

  'POST /v1/clouds': {
    summary: 'Create a cloud',
    body: body('CreateCloudBody', CreateCloudBodySchema),
    answers: CREATED(CLOUD),
    location: true,
  },
  'GET /v1/clouds': { summary: 'List clouds', answers: PAGE(CLOUD), list: {} },
  'GET /v1/clouds/{id}': { summary: 'Get a cloud', answers: OK(CLOUD) },
  'PATCH /v1/clouds/{id}': { summary: 'Change a cloud', body: body('PatchCloudBody', PatchCloudBodySchema), answers: OK(CLOUD) },
  'DELETE /v1/clouds/{id}': { summary: 'Delete a cloud', answers: NO_CONTENT },
  'POST /v1/clouds/{id}/cloud-credentials': {
    summary: 'Issue a credential for a cloud (the payload is never returned)',
    body: body('IssueCredentialBody', IssueCredentialBodySchema),
    answers: CREATED(CREDENTIAL),
    location: true,
  },
  'GET /v1/clouds/{id}/cloud-credentials': { summary: "List a cloud's credentials", answers: PAGE(CREDENTIAL), list: {} },
  'GET /v1/cloud-credentials/{id}': { summary: 'Get a credential', answers: OK(CREDENTIAL) },
  'POST /v1/cloud-credentials/{id}/revoke': {
    summary: 'Revoke a credential',
    body: body('RevokeCredentialBody', RevokeCredentialBodySchema),
    answers: OK(CREDENTIAL),
  },
  'POST /v1/blueprints': {
    summary: 'Create a blueprint',
    body: body('CreateBlueprintBody', CreateBlueprintBodySchema),
    answers: CREATED(BLUEPRINT),
    location: true,
  },
  'GET /v1/blueprints': { summary: 'List blueprints (without their versions)', answers: PAGE(BLUEPRINT), list: {} },
  'GET /v1/blueprints/{id}': { summary: 'Get a blueprint and its versions', answers: OK(BLUEPRINT) },
  'POST /v1/blueprints/{id}/versions': {
    summary: 'Publish an immutable blueprint version',
    body: body('PublishVersionBody', PublishVersionBodySchema),
    answers: CREATED(view('BlueprintVersionView', BlueprintVersionViewSchema)),
    location: true,
  },

  'POST /v1/projects/{id}/credential-assignments': {
    summary: 'Ask for a credential to be assigned to a project',
    body: body('RequestAssignmentBody', RequestAssignmentBodySchema),
    answers: CREATED(ASSIGNMENT),
    location: true,
  },
  'GET /v1/projects/{id}/credential-assignments': {
    summary: "List a project's credential assignments",
    answers: PAGE(ASSIGNMENT),
    list: {},
  },
  'GET /v1/credential-assignments/{id}': { summary: 'Get a credential assignment', answers: OK(ASSIGNMENT) },
  'POST /v1/credential-assignments/{id}/approve': { summary: 'Approve an assignment', noBody: NO_DECISION_BODY, answers: OK(ASSIGNMENT) },
  'POST /v1/credential-assignments/{id}/reject': { summary: 'Reject an assignment', body: REASON, answers: OK(ASSIGNMENT) },
  'POST /v1/credential-assignments/{id}/revoke': { summary: 'Revoke an approved assignment', body: REASON, answers: OK(ASSIGNMENT) },
  'GET /v1/approvals': {
    summary: 'The approvals queue',
    answers: PAGE(APPROVAL),
    list: {
      status: {
        schema: { type: 'string', enum: ['proposed', 'pending-approval', 'approved', 'rejected', 'expired'] },
        description: 'Only approvals in this state.',
      },
      kind: { schema: { type: 'string' }, description: 'Only approvals of this kind.' },
      domain_id: domainFilter('Only approvals of this domain.'),
    },
  },
  'GET /v1/approvals/{id}': { summary: 'Get an approval (its id is the assignment id)', answers: OK(APPROVAL) },
  'POST /v1/approvals/{id}/approve': { summary: 'Approve from the queue', noBody: NO_DECISION_BODY, answers: OK(APPROVAL) },
  'POST /v1/approvals/{id}/reject': { summary: 'Reject from the queue', body: REASON, answers: OK(APPROVAL) },
  'GET /v1/domains/{id}/audit/entries': {
    summary: "A domain's audit trail",
    answers: PAGE(view('AuditEntryView', AuditEntryViewSchema)),
    list: {},
  },

  'POST /v1/projects/{id}/resources': {
    summary: 'Declare a Resource: 202 starts provisioning, 201 records an adopted one',
    body: body('CreateResourceBody', CreateResourceBodySchema),
    answers: { 202: { view: RESOURCE }, 201: { view: RESOURCE } },
    location: true,
    idempotencyKey: true,
  },
  'GET /v1/projects/{id}/resources': { summary: "List a project's Resources", answers: PAGE(RESOURCE), list: {} },
  'GET /v1/resources/{id}': { summary: 'Get a Resource and where its provisioning stands', answers: OK(RESOURCE) },
  'DELETE /v1/resources/{id}': {
    summary: 'Delete a Resource (a provisioned one is torn down: 202; an adopted one is removed: 204)',
    answers: { 202: 'empty', 204: 'empty' },
  },

  'POST /v1/register': {
    summary: 'Register a node with its bootstrap token',
    body: body('RegisterBody', RegisterBodySchema),
    answers: CREATED(view('RegistrationView', RegistrationViewSchema)),
  },
  'POST /v1/nodes/{id}/heartbeat': {
    summary: 'Node heartbeat',
    body: body('HeartbeatBody', HeartbeatBodySchema),
    answers: OK(view('HeartbeatView', HeartbeatViewSchema)),
  },
  'GET /v1/nodes/{id}/state': { summary: "The node's desired state", answers: OK(view('NodeStateView', NodeStateViewSchema)) },
  'GET /v1/nodes/{id}/events': { summary: 'Signed event stream (not provisioned here: always 501)', answers: { 501: 'problem' } },
  'PUT /v1/nodes/{id}/capabilities': {
    summary: "Record the node's capability manifest",
    body: body('CapabilityManifestBody', CapabilityManifestBodySchema),
    answers: OK(view('CapabilitiesView', CapabilitiesViewSchema)),
  },
};

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 501: 'Not Implemented' };

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
export const pageName = (item: ViewDoc): string => `${item.name}Page`;

function successResponse(status: number, content: Content, location: boolean): Json {
  const description = STATUS_TEXT[status] ?? String(status);
  const headers =
    location && (status === 201 || status === 202) ? { headers: { Location: { $ref: '#/components/headers/Location' } } } : {};
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
function responseSchemas(docs: RouteDoc[]): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  const named = new Map<string, z.ZodType>();
  const add = (name: string, schema: z.ZodType) => {
    const earlier = named.get(name);
    if (earlier && earlier !== schema) throw new Error(`openapi: two response schemas named ${name}`);
    if (!earlier) registry.add(schema, { id: name });
    named.set(name, schema);
  };
  const pages = new Map<string, z.ZodType>();
  for (const doc of docs) {
    for (const content of Object.values(doc.answers)) {
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

function queryParams(doc: RouteDoc): Json[] {
  const params: Record<string, QueryParam> = { ...doc.query };
  if (doc.list) {
    Object.assign(params, doc.list, {
      cursor: { schema: { type: 'string' }, description: 'next_cursor of the previous page.' },
      limit: {
        schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
        description: `Page size, 1 to ${MAX_LIMIT}; out of range is refused (invalid_limit), not clamped.`,
      },
    });
  }
  return Object.entries(params).map(([name, p]) => ({ name, in: 'query', required: false, ...p }));
}

function operation(route: RouteDef, doc: RouteDoc): Json {
  const pathParams = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: uuid }));
  const headerParams = doc.idempotencyKey
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Replaying the same key and body answers the same Resource; another body with it → 409.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
        },
      ]
    : [];
  const parameters = [...pathParams, ...queryParams(doc), ...headerParams];
  const responses: Json = {};
  for (const [status, content] of Object.entries(doc.answers)) {
    responses[status] = successResponse(Number(status), content as Content, doc.location === true);
  }
  responses['4XX'] = { $ref: '#/components/responses/Problem' };
  responses['5XX'] = { $ref: '#/components/responses/Problem' };
  return {
    operationId: route.operation,
    summary: doc.summary,
    tags: [route.group],
    security: SECURITY[route.auth],
    ...(parameters.length > 0 && { parameters }),
    ...(doc.body && {
      requestBody: {
        // A body whose every field is optional may be left out altogether.
        required: !doc.body.schema.safeParse({}).success,
        content: { 'application/json': { schema: schemaRef(doc.body.name) } },
      },
    }),
    responses,
  };
}

function buildDocument(): Json {
  const paths: Record<string, Json> = {};
  const bodySchemas: Record<string, Json> = {};
  const seen = new Map<string, z.ZodType>();
  for (const route of ROUTES) {
    const doc = ROUTE_DOCS[routeKey(route)];
    if (!doc) throw new Error(`openapi: no ROUTE_DOCS entry for ${routeKey(route)}`);
    if (doc.body) {
      const earlier = seen.get(doc.body.name);
      if (earlier && earlier !== doc.body.schema) throw new Error(`openapi: two schemas named ${doc.body.name}`);
      seen.set(doc.body.name, doc.body.schema);
      bodySchemas[doc.body.name] ??= inputJsonSchema(doc.body.schema);
    }
    paths[route.path] ??= {};
    (paths[route.path] as Json)[route.method.toLowerCase()] = operation(route, doc);
  }
  const views = responseSchemas(Object.values(ROUTE_DOCS));
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
