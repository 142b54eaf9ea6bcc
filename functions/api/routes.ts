// The one route table. It feeds the CDK HttpApi (infra/) and the local gateway (local/), so a
// route cannot exist in one and not the other. It names handler entry files as strings so that
// infra can read it without loading any runtime code.

export type FunctionGroup = 'auth' | 'tenancy' | 'catalog' | 'assignments' | 'resources' | 'nodes' | 'events' | 'webhooks';

/** How a route authenticates its caller. */
export type RouteAuth =
  | 'none' // public: sign-in flow, JWKS, node registration, the OpenAPI document
  | 'user' // Authorization: Bearer <access token>
  | 'session' // the sign-in page's cookie session (plus the CSRF header on writes)
  | 'node'; // a registered node: Authorization: Bearer nsk_<env>_<node id + key>

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteDef {
  method: HttpMethod;
  path: string;
  group: FunctionGroup;
  /** Key into the group handler's operation map. */
  operation: string;
  auth: RouteAuth;
  /** Overrides the default 8 KiB body ceiling. */
  maxBodyBytes?: number;
}

export interface FunctionGroupDef {
  /** Entry file, relative to the repository root. */
  entry: string;
  description: string;
}

export const FUNCTION_GROUPS: Record<FunctionGroup, FunctionGroupDef> = {
  auth: { entry: 'functions/api/auth.handler.ts', description: 'Device sign-in, sign-in page, whoami, JWKS, the OpenAPI document' },
  tenancy: { entry: 'functions/api/tenancy.handler.ts', description: 'Domains and projects' },
  catalog: { entry: 'functions/api/catalog.handler.ts', description: 'Clouds, cloud credentials, blueprints' },
  assignments: {
    entry: 'functions/api/assignments.handler.ts',
    description: 'Credential assignments, the approvals queue, the audit trail',
  },
  resources: { entry: 'functions/api/resources.handler.ts', description: 'Resources: declare, read, delete (starts the phase arcs)' },
  nodes: { entry: 'functions/api/nodes.handler.ts', description: 'Node enrolment and the node-side API (NSK envelope)' },
  events: {
    entry: 'functions/api/events.handler.ts',
    description: "The domain event log: a domain's and a project's events, in seq order",
  },
  webhooks: { entry: 'functions/api/webhooks.handler.ts', description: 'Signed webhooks: registrations, their deliveries, redelivery' },
};

const route = (method: HttpMethod, path: string, group: FunctionGroup, operation: string, auth: RouteAuth = 'user'): RouteDef => ({
  method,
  path,
  group,
  operation,
  auth,
});

export const ROUTES: readonly RouteDef[] = [
  route('GET', '/v1/auth/idp-bindings', 'auth', 'listIdpBindings', 'none'),
  route('POST', '/v1/auth/device-code', 'auth', 'startDeviceAuthorization', 'none'),
  route('POST', '/v1/auth/device-token', 'auth', 'exchangeDeviceCode', 'none'),
  route('GET', '/v1/auth/device', 'auth', 'signInPage', 'none'),
  route('POST', '/v1/auth/sign-in', 'auth', 'signIn', 'none'),
  route('POST', '/v1/auth/device/approve', 'auth', 'approveDevice', 'session'),
  route('POST', '/v1/auth/device/deny', 'auth', 'denyDevice', 'session'),
  route('GET', '/v1/auth/jwks', 'auth', 'jwks', 'none'),
  route('GET', '/v1/auth/whoami', 'auth', 'whoami'),
  route('DELETE', '/v1/auth/whoami', 'auth', 'signOut', 'none'),
  route('GET', '/v1/openapi.json', 'auth', 'openApiDocument', 'none'),

  route('GET', '/v1/domains', 'tenancy', 'listDomains'),
  route('GET', '/v1/domains/{id}', 'tenancy', 'getDomain'),
  route('POST', '/v1/projects', 'tenancy', 'createProject'),
  route('GET', '/v1/projects', 'tenancy', 'listProjects'),
  route('GET', '/v1/projects/{id}', 'tenancy', 'getProject'),
  route('PATCH', '/v1/projects/{id}', 'tenancy', 'patchProject'),
  route('DELETE', '/v1/projects/{id}', 'tenancy', 'deleteProject'),
  route('POST', '/v1/projects/{id}/owner', 'tenancy', 'transferProject'),

  route('POST', '/v1/clouds', 'catalog', 'createCloud'),
  route('GET', '/v1/clouds', 'catalog', 'listClouds'),
  route('GET', '/v1/clouds/{id}', 'catalog', 'getCloud'),
  route('PATCH', '/v1/clouds/{id}', 'catalog', 'patchCloud'),
  route('DELETE', '/v1/clouds/{id}', 'catalog', 'deleteCloud'),
  route('POST', '/v1/clouds/{id}/cloud-credentials', 'catalog', 'createCredential'),
  route('GET', '/v1/clouds/{id}/cloud-credentials', 'catalog', 'listCredentials'),
  route('GET', '/v1/cloud-credentials/{id}', 'catalog', 'getCredential'),
  route('POST', '/v1/cloud-credentials/{id}/revoke', 'catalog', 'revokeCredential'),
  route('POST', '/v1/blueprints', 'catalog', 'createBlueprint'),
  route('GET', '/v1/blueprints', 'catalog', 'listBlueprints'),
  route('GET', '/v1/blueprints/{id}', 'catalog', 'getBlueprint'),
  route('POST', '/v1/blueprints/{id}/versions', 'catalog', 'publishBlueprintVersion'),

  route('POST', '/v1/projects/{id}/credential-assignments', 'assignments', 'requestAssignment'),
  route('GET', '/v1/projects/{id}/credential-assignments', 'assignments', 'listAssignments'),
  route('GET', '/v1/credential-assignments/{id}', 'assignments', 'getAssignment'),
  route('PATCH', '/v1/credential-assignments/{id}', 'assignments', 'narrowTerms'),
  route('POST', '/v1/credential-assignments/{id}/approve', 'assignments', 'approveAssignment'),
  route('POST', '/v1/credential-assignments/{id}/reject', 'assignments', 'rejectAssignment'),
  route('POST', '/v1/credential-assignments/{id}/revoke', 'assignments', 'revokeAssignment'),
  route('GET', '/v1/approvals', 'assignments', 'listApprovals'),
  route('GET', '/v1/approvals/{id}', 'assignments', 'getApproval'),
  route('POST', '/v1/approvals/{id}/approve', 'assignments', 'approveApproval'),
  route('POST', '/v1/approvals/{id}/reject', 'assignments', 'rejectApproval'),
  route('GET', '/v1/domains/{id}/audit/entries', 'assignments', 'listAuditEntries'),
  route('GET', '/v1/domains/{id}/audit/verify', 'assignments', 'verifyAuditChain'),

  route('POST', '/v1/projects/{id}/resources', 'resources', 'createResource'),
  route('GET', '/v1/projects/{id}/resources', 'resources', 'listResources'),
  route('GET', '/v1/resources/{id}', 'resources', 'getResource'),
  route('POST', '/v1/resources/{id}/lease', 'resources', 'moveLease'),
  route('DELETE', '/v1/resources/{id}', 'resources', 'deleteResource'),

  // events routes
  route('GET', '/v1/domains/{id}/events', 'events', 'listDomainEvents'),
  route('GET', '/v1/projects/{id}/events', 'events', 'listProjectEvents'),

  // webhooks routes
  route('POST', '/v1/domains/{id}/webhooks', 'webhooks', 'createWebhook'),
  route('GET', '/v1/domains/{id}/webhooks', 'webhooks', 'listWebhooks'),
  route('GET', '/v1/webhooks/{id}', 'webhooks', 'getWebhook'),
  route('DELETE', '/v1/webhooks/{id}', 'webhooks', 'deleteWebhook'),
  route('GET', '/v1/webhooks/{id}/deliveries', 'webhooks', 'listDeliveries'),
  route('POST', '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', 'webhooks', 'redeliver'),

  route('POST', '/v1/register', 'nodes', 'register', 'none'),
  route('POST', '/v1/nodes/{id}/heartbeat', 'nodes', 'heartbeat', 'node'),
  route('GET', '/v1/nodes/{id}/state', 'nodes', 'nodeState', 'node'),
  route('GET', '/v1/nodes/{id}/events', 'nodes', 'nodeEvents', 'node'),
  { ...route('PUT', '/v1/nodes/{id}/capabilities', 'nodes', 'putCapabilities', 'node'), maxBodyBytes: 32 * 1024 },
];

/**
 * The web console's files (functions/api/console.handler.ts): served by the same HttpApi as the
 * API, so the console and the API share one origin (no CORS, one cookie scope). They are pages
 * and static files, not API operations, so they are kept out of ROUTES and the OpenAPI document.
 */
export const CONSOLE_FUNCTION: FunctionGroupDef = {
  entry: 'functions/api/console.handler.ts',
  description: "The web console's page and its static files",
};

export const CONSOLE_ROUTES: readonly Pick<RouteDef, 'method' | 'path'>[] = [
  { method: 'GET', path: '/console' },
  { method: 'GET', path: '/console/{path+}' },
];

export function routeKey(r: Pick<RouteDef, 'method' | 'path'>): string {
  return `${r.method} ${r.path}`;
}

export function routesOf(group: FunctionGroup): RouteDef[] {
  return ROUTES.filter((r) => r.group === group);
}
