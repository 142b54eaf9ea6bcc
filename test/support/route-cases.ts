import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { enrollingResource, heartbeatBody, wireguardKey } from './nodes.ts';
import { type Catalog, approvedProject, createResource, issueCredential, provisionedBody, seededCatalog, untilPhase } from './resources.ts';
import { governanceCases, mergeCases } from './governance-route-cases.ts';
import { webhookCases } from './webhook-route-cases.ts';
import { eventCases } from './event-route-cases.ts';
import { signInSession } from './sign-in.ts';
import { type ApiResponse, startTestStack, type TestStack } from './stack.ts';

// The journey the route-by-route e2e tests drive (a project with an approved demo-credential
// assignment, a Ready Resource and a registered node), and one success and typical error case
// per route, keyed by route. contract.test.ts checks them against the published contract,
// openapi-responses.test.ts against our own document.

export const DOMAIN = FIXTURES.domain.id;
const CLOUD = FIXTURES.cloud.id;
const BLUEPRINT = FIXTURES.cloudlessBlueprint.id;
export const UNKNOWN_ID = '019100c0-0d00-7000-8000-0000000000ff';
export const DEMO_KEYS = { access_key_id: 'AKIDEMOLOCAL0000000', secret_access_key: 'contract-conformance' };

export type Who = 'operator' | 'admin' | null;

export interface Case {
  name: string;
  status: number;
  run: () => Promise<ApiResponse>;
  /** Set on a case the published contract does not cover (our extension): why. Our own document still does. */
  beyondContract?: string;
}

export interface Journey {
  stack: TestStack;
  catalog: Catalog;
  /** A project with an approved demo-credential assignment and a Ready resource in it. */
  projectId: string;
  resourceId: string;
  /** A node registered on a fixture Resource of that project, with its NSK bearer. */
  node: { node_id: string; bearer: string };
}

/** Boots a stack and walks the journey up to a Ready Resource and a registered node. */
export async function startJourney(): Promise<Journey> {
  const stack = await startTestStack({ SUBSTRATE_TIMEOUT_SECONDS: '30' }, { heartbeatIntervalMs: 500 });
  const catalog = await seededCatalog(stack);
  const projectId = await approvedProject(stack, catalog.demoCredentialId);
  const resourceId = await createResource(stack, projectId, catalog);
  const bound = await enrollingResource(projectId);
  const registered = await stack.call(null, 'POST', '/v1/register', {
    project_id: bound.resource.project_id,
    resource_handle: bound.resource.external_ref,
    bootstrap_token: bound.token,
    nonce: randomUUID(),
    public_key: wireguardKey(),
  });
  expect(registered.status, registered.text).toBe(201);
  const node = { node_id: registered.body.node_id, bearer: formatNskBearer('local', registered.body.node_id, registered.body.nsk) };
  await untilPhase(stack, resourceId, 'Ready');
  return { stack, catalog, projectId, resourceId, node };
}

/** The case table over a journey, and the helpers it calls with. */
export function journeyCases(j: Journey) {
  const { stack, catalog, projectId, resourceId, node } = j;
  let seq = 0;
  const fresh = (base: string) => `${base}-${Date.now().toString(36)}-${++seq}`;

  const call = (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => stack.call(who, method, path, body, headers);
  const asNode = (bearer: string, method: string, path: string, body?: unknown) => stack.call(null, method, path, body, { authorization: `Bearer ${bearer}` });

  async function created(res: Promise<ApiResponse>): Promise<string> {
    const r = await res;
    expect(r.status, r.text).toBeLessThan(300);
    return r.body.id;
  }

  const newProject = () => created(call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Contract', slug: fresh('contract') }));
  const cloudBody = () => {
    const slug = fresh('contract-cloud');
    return { display_name: `Cloud ${slug}`, slug, provider: 'aws', endpoint: { region: 'eu-central-1', url: 'http://127.0.0.1:4566' }, region_defaults: {}, external_id: slug };
  };
  const newCloud = () => created(call('operator', 'POST', '/v1/clouds', cloudBody()));
  /** A fresh credential, so the journey project can hold one more live assignment of it. */
  const requested = async (project = projectId, terms?: Record<string, unknown>) => {
    const credentialId = await issueCredential(stack, DEMO_KEYS);
    return created(call('admin', 'POST', `/v1/projects/${project}/credential-assignments`, { cloud_credential_id: credentialId, ...(terms && { terms }) }));
  };
  const approved = async () => {
    const id = await requested();
    expect((await call('operator', 'POST', `/v1/credential-assignments/${id}/approve`)).status).toBe(200);
    return id;
  };
  const versionBody = (version: string) => ({ version, provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: [] });
  const resourceBody = (over: Record<string, unknown> = {}) => provisionedBody(catalog, catalog.demoCredentialId, over);
  const register = (bound: { resource: { project_id: string; external_ref?: string }; token: string }, over: Record<string, unknown> = {}) =>
    call(null, 'POST', '/v1/register', {
      project_id: bound.resource.project_id,
      resource_handle: bound.resource.external_ref,
      bootstrap_token: bound.token,
      nonce: randomUUID(),
      public_key: wireguardKey(),
      ...over,
    });
  /** A device code approved through the sign-in page's API, ready to be exchanged. */
  async function approvedDevice(): Promise<{ device_code: string; approve: ApiResponse }> {
    const device = await call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id });
    const { cookie, csrf } = await signInSession(stack.url, FIXTURES.admin.email, 'password');
    const approve = await call(null, 'POST', '/v1/auth/device/approve', { user_code: device.body.user_code }, { cookie, 'x-plexsphere-csrf': csrf });
    return { device_code: device.body.device_code, approve };
  }

  const ok = (name: string, status: number, run: () => Promise<ApiResponse>): Case => ({ name, status, run });
  const err = ok;

  const routeCases: Record<string, Case[]> = {
    'GET /v1/auth/idp-bindings': [
      ok('the domain’s bindings', 200, () => call(null, 'GET', `/v1/auth/idp-bindings?domain_id=${DOMAIN}`)),
      err('a malformed domain id', 400, () => call(null, 'GET', '/v1/auth/idp-bindings?domain_id=nope')),
    ],
    'POST /v1/auth/device-code': [
      ok('a device code', 200, () => call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id })),
      err('an unknown domain', 404, () => call(null, 'POST', '/v1/auth/device-code', { domain_id: UNKNOWN_ID })),
      err('an unknown field', 400, () => call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, surprise: 1 })),
    ],
    'POST /v1/auth/device-token': [
      ok('an approved device code', 200, async () => {
        const { device_code } = await approvedDevice();
        return call(null, 'POST', '/v1/auth/device-token', { device_code });
      }),
      err('authorization_pending', 400, async () => {
        const device = await call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id });
        return call(null, 'POST', '/v1/auth/device-token', { device_code: device.body.device_code });
      }),
      err('access_denied', 400, async () => {
        const device = await call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id });
        const { cookie, csrf } = await signInSession(stack.url, FIXTURES.admin.email, 'password');
        const denied = await call(null, 'POST', '/v1/auth/device/deny', { user_code: device.body.user_code }, { cookie, 'x-plexsphere-csrf': csrf });
        expect(denied.status, denied.text).toBeLessThan(300);
        return call(null, 'POST', '/v1/auth/device-token', { device_code: device.body.device_code });
      }),
    ],
    'POST /v1/auth/device/approve': [
      ok('approve from a signed-in session', 200, async () => (await approvedDevice()).approve),
      err('no session', 401, () => call(null, 'POST', '/v1/auth/device/approve', { user_code: 'ABCD-EFGH' })),
      err('an unknown user code', 404, async () => {
        const { cookie, csrf } = await signInSession(stack.url, FIXTURES.admin.email, 'password');
        return call(null, 'POST', '/v1/auth/device/approve', { user_code: 'BCDF-GHJK' }, { cookie, 'x-plexsphere-csrf': csrf });
      }),
    ],
    'GET /v1/auth/whoami': [ok('the caller', 200, () => call('admin', 'GET', '/v1/auth/whoami')), err('no token', 401, () => call(null, 'GET', '/v1/auth/whoami'))],
    'DELETE /v1/auth/whoami': [
      ok('a signed-in page session', 204, async () => {
        const { cookie } = await signInSession(stack.url, FIXTURES.admin.email, 'password');
        return call(null, 'DELETE', '/v1/auth/whoami', undefined, { cookie });
      }),
      ok('no session at all', 204, () => call(null, 'DELETE', '/v1/auth/whoami')),
    ],

    'GET /v1/domains': [ok('the caller’s domains', 200, () => call('admin', 'GET', '/v1/domains')), err('limit out of range', 400, () => call('admin', 'GET', '/v1/domains?limit=0'))],
    'GET /v1/domains/{id}': [
      ok('the seeded domain', 200, () => call('admin', 'GET', `/v1/domains/${DOMAIN}`)),
      err('an unknown domain', 404, () => call('admin', 'GET', `/v1/domains/${UNKNOWN_ID}`)),
    ],
    'POST /v1/projects': [
      ok('a new project', 201, () => call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Contract', slug: fresh('contract'), description: 'x' })),
      err('a taken slug', 409, async () => {
        const slug = fresh('taken');
        await created(call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Taken', slug }));
        return call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Taken', slug });
      }),
      err('without manage on the domain', 403, () => call('operator', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'No', slug: fresh('no') })),
      err('an unknown field', 400, () => call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'No', slug: fresh('no'), surprise: 1 })),
    ],
    'GET /v1/projects': [
      ok('the domain’s projects', 200, () => call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}`)),
      ok('a page with a cursor', 200, async () => {
        const page = await call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=1`);
        expect(page.body.next_cursor).toEqual(expect.any(String));
        return page;
      }),
      err('limit out of range', 400, () => call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=201`)),
    ],
    'GET /v1/projects/{id}': [
      ok('the journey project', 200, () => call('admin', 'GET', `/v1/projects/${projectId}`)),
      err('an unknown project', 404, () => call('admin', 'GET', `/v1/projects/${UNKNOWN_ID}`)),
    ],
    'PATCH /v1/projects/{id}': [
      ok('a new name', 200, async () => call('admin', 'PATCH', `/v1/projects/${await newProject()}`, { name: 'Renamed' })),
      err('an unknown field', 400, async () => call('admin', 'PATCH', `/v1/projects/${await newProject()}`, { surprise: 1 })),
      err('as the domain auditor', 403, () => call('operator', 'PATCH', `/v1/projects/${projectId}`, { name: 'Nope' })),
      err('an unknown project', 404, () => call('admin', 'PATCH', `/v1/projects/${UNKNOWN_ID}`, { name: 'Nope' })),
    ],
    'DELETE /v1/projects/{id}': [
      ok('an empty project', 204, async () => call('admin', 'DELETE', `/v1/projects/${await newProject()}`)),
      err('a project with a live resource', 409, () => call('admin', 'DELETE', `/v1/projects/${projectId}`)),
      err('an unknown project', 404, () => call('admin', 'DELETE', `/v1/projects/${UNKNOWN_ID}`)),
    ],
    'POST /v1/projects/{id}/owner': [
      // The contract has no ownership transfer (issue #14); the seeded admin hands a project to itself.
      { ...ok('to a domain admin', 200, async () => call('admin', 'POST', `/v1/projects/${await newProject()}/owner`, { user_id: FIXTURES.admin.id })), beyondContract: 'ownership transfer' },
      { ...err('to the auditor, who may not own projects', 422, async () => call('admin', 'POST', `/v1/projects/${await newProject()}/owner`, { user_id: FIXTURES.operator.id })), beyondContract: 'ownership transfer' },
      { ...err('as the domain auditor', 403, () => call('operator', 'POST', `/v1/projects/${projectId}/owner`, { user_id: FIXTURES.operator.id })), beyondContract: 'ownership transfer' },
      { ...err('an unknown project', 404, () => call('admin', 'POST', `/v1/projects/${UNKNOWN_ID}/owner`, { user_id: FIXTURES.admin.id })), beyondContract: 'ownership transfer' },
    ],

    'POST /v1/clouds': [
      ok('a new cloud', 201, () => call('operator', 'POST', '/v1/clouds', cloudBody())),
      err('not a catalog manager', 403, () => call('admin', 'POST', '/v1/clouds', cloudBody())),
      err('a taken slug', 409, () => call('operator', 'POST', '/v1/clouds', { ...cloudBody(), slug: 'demo-cloud' })),
    ],
    'GET /v1/clouds': [ok('the catalog', 200, () => call('operator', 'GET', '/v1/clouds')), err('not a catalog reader', 403, () => call('admin', 'GET', '/v1/clouds'))],
    'GET /v1/clouds/{id}': [
      ok('the demo cloud', 200, () => call('operator', 'GET', `/v1/clouds/${CLOUD}`)),
      err('an unknown cloud', 404, () => call('operator', 'GET', `/v1/clouds/${UNKNOWN_ID}`)),
    ],
    'PATCH /v1/clouds/{id}': [
      ok('a new display name', 200, async () => call('operator', 'PATCH', `/v1/clouds/${await newCloud()}`, { display_name: 'Renamed' })),
      err('an unknown cloud', 404, () => call('operator', 'PATCH', `/v1/clouds/${UNKNOWN_ID}`, { display_name: 'Renamed' })),
    ],
    'DELETE /v1/clouds/{id}': [
      ok('an empty cloud', 204, async () => call('operator', 'DELETE', `/v1/clouds/${await newCloud()}`)),
      err('a cloud with credentials', 409, () => call('operator', 'DELETE', `/v1/clouds/${CLOUD}`)),
    ],
    'POST /v1/clouds/{id}/cloud-credentials': [
      ok('a new credential', 201, () =>
        call('operator', 'POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: fresh('cred'), payload: Buffer.from(JSON.stringify(DEMO_KEYS)).toString('base64') }),
      ),
      err('an unknown field', 400, () => call('operator', 'POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: fresh('cred'), payload: 'e30=', surprise: 1 })),
    ],
    'GET /v1/clouds/{id}/cloud-credentials': [
      ok('the demo cloud’s credentials', 200, () => call('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`)),
      err('not a catalog reader', 403, () => call('admin', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`)),
    ],
    'GET /v1/cloud-credentials/{id}': [
      ok('the demo credential', 200, () => call('operator', 'GET', `/v1/cloud-credentials/${catalog.demoCredentialId}`)),
      err('an unknown credential', 404, () => call('operator', 'GET', `/v1/cloud-credentials/${UNKNOWN_ID}`)),
    ],
    'POST /v1/cloud-credentials/{id}/revoke': [
      ok('a fresh credential', 200, async () => call('operator', 'POST', `/v1/cloud-credentials/${await issueCredential(stack, DEMO_KEYS)}/revoke`, { reason: 'rotation' })),
      err('an unknown credential', 404, () => call('operator', 'POST', `/v1/cloud-credentials/${UNKNOWN_ID}/revoke`, { reason: 'rotation' })),
      err('not a catalog manager', 403, () => call('admin', 'POST', `/v1/cloud-credentials/${catalog.demoCredentialId}/revoke`, { reason: 'nope' })),
    ],
    'POST /v1/blueprints': [
      ok('a new blueprint', 201, () => call('operator', 'POST', '/v1/blueprints', { slug: fresh('bp'), display_name: 'Blueprint' })),
      err('a taken slug', 409, () => call('operator', 'POST', '/v1/blueprints', { slug: 'kubernetes-cloudless-node', display_name: 'Dup' })),
    ],
    'GET /v1/blueprints': [
      ok('the blueprints', 200, () => call('operator', 'GET', '/v1/blueprints')),
      err('limit out of range', 400, () => call('operator', 'GET', '/v1/blueprints?limit=0')),
      err('not a catalog reader', 403, () => call('admin', 'GET', '/v1/blueprints')),
    ],
    'GET /v1/blueprints/{id}': [
      ok('the cloudless blueprint', 200, () => call('operator', 'GET', `/v1/blueprints/${BLUEPRINT}`)),
      err('an unknown blueprint', 404, () => call('operator', 'GET', `/v1/blueprints/${UNKNOWN_ID}`)),
    ],
    'POST /v1/blueprints/{id}/versions': [
      ok('a new version', 201, async () => {
        const bp = await created(call('operator', 'POST', '/v1/blueprints', { slug: fresh('bp'), display_name: 'Blueprint' }));
        return call('operator', 'POST', `/v1/blueprints/${bp}/versions`, versionBody('v1'));
      }),
      err('a published version', 409, () => call('operator', 'POST', `/v1/blueprints/${BLUEPRINT}/versions`, versionBody('v1alpha1'))),
      err('an unknown blueprint', 404, () => call('operator', 'POST', `/v1/blueprints/${UNKNOWN_ID}/versions`, versionBody('v1'))),
    ],

    'POST /v1/projects/{id}/credential-assignments': [
      ok('a request', 201, async () => call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: await issueCredential(stack, DEMO_KEYS) })),
      err('a second live request', 409, () => call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: catalog.demoCredentialId })),
      err('an unknown credential', 422, () => call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: UNKNOWN_ID })),
      err('without deploy on the project', 403, async () =>
        call('operator', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: await issueCredential(stack, DEMO_KEYS) }),
      ),
    ],
    'GET /v1/projects/{id}/credential-assignments': [
      ok('the project’s assignments, as the domain auditor', 200, () => call('operator', 'GET', `/v1/projects/${projectId}/credential-assignments`)),
      err('limit out of range', 400, () => call('admin', 'GET', `/v1/projects/${projectId}/credential-assignments?limit=0`)),
    ],
    'POST /v1/credential-assignments/{id}/approve': [
      ok('by the credential’s owner', 200, async () => call('operator', 'POST', `/v1/credential-assignments/${await requested()}/approve`)),
      err('already approved', 409, async () => call('operator', 'POST', `/v1/credential-assignments/${await approved()}/approve`)),
      // The contract README gates decisions on `assign` on the credential (its owner), superseding
      // the subset YAML's "manage on the project": the project's owner who asked is refused.
      err('by the requester', 403, async () => call('admin', 'POST', `/v1/credential-assignments/${await requested()}/approve`)),
    ],
    'POST /v1/credential-assignments/{id}/reject': [
      ok('a request', 200, async () => call('operator', 'POST', `/v1/credential-assignments/${await requested()}/reject`, { reason: 'not now' })),
      err('already approved', 409, async () => call('operator', 'POST', `/v1/credential-assignments/${await approved()}/reject`, { reason: 'late' })),
    ],
    'POST /v1/credential-assignments/{id}/revoke': [
      ok('an approved assignment', 200, async () => call('operator', 'POST', `/v1/credential-assignments/${await approved()}/revoke`, { reason: 'rotation' })),
      err('an unknown assignment', 404, () => call('operator', 'POST', `/v1/credential-assignments/${UNKNOWN_ID}/revoke`, { reason: 'rotation' })),
    ],
    'GET /v1/approvals': [
      ok('filtered by status and kind', 200, () => call('operator', 'GET', `/v1/approvals?status=pending-approval&domain_id=${DOMAIN}&limit=1`)),
      ok('the owner’s queue', 200, async () => {
        await requested();
        return call('operator', 'GET', `/v1/approvals?domain_id=${DOMAIN}`);
      }),
      err('limit out of range', 400, () => call('operator', 'GET', '/v1/approvals?limit=500')),
    ],
    'GET /v1/approvals/{id}': [
      ok('a pending approval', 200, async () => call('operator', 'GET', `/v1/approvals/${await requested()}`)),
      err('an unknown approval', 404, () => call('operator', 'GET', `/v1/approvals/${UNKNOWN_ID}`)),
    ],
    'POST /v1/approvals/{id}/approve': [
      ok('by the credential’s owner', 200, async () => call('operator', 'POST', `/v1/approvals/${await requested()}/approve`)),
      err('already approved', 409, async () => call('operator', 'POST', `/v1/approvals/${await approved()}/approve`)),
    ],
    'POST /v1/approvals/{id}/reject': [
      ok('by the credential’s owner', 200, async () => call('operator', 'POST', `/v1/approvals/${await requested()}/reject`, { reason: 'not now' })),
      err('an unknown approval', 404, () => call('operator', 'POST', `/v1/approvals/${UNKNOWN_ID}/reject`, { reason: 'not now' })),
      err('already approved', 409, async () => call('operator', 'POST', `/v1/approvals/${await approved()}/reject`, { reason: 'late' })),
    ],

    'POST /v1/projects/{id}/resources': [
      ok('a node', 202, () => call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody(), { 'idempotency-key': fresh('key') })),
      err('parameters outside the schema', 422, () => call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ parameters: { size: 'large' } }))),
      err('a credential without an approved assignment', 403, async () =>
        call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ cloud_credential_id: await issueCredential(stack, DEMO_KEYS) })),
      ),
      err('an unknown field', 400, () => call('admin', 'POST', `/v1/projects/${projectId}/resources`, { ...resourceBody(), surprise: 1 })),
      err('an Idempotency-Key reused with another body', 409, async () => {
        const headers = { 'idempotency-key': fresh('key') };
        expect((await call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody(), headers)).status).toBe(202);
        return call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ kind: 'gateway' }), headers);
      }),
    ],
    'GET /v1/projects/{id}/resources': [
      ok('the project’s resources', 200, () => call('admin', 'GET', `/v1/projects/${projectId}/resources`)),
      err('a malformed project id', 400, () => call('admin', 'GET', '/v1/projects/nope/resources')),
    ],
    'GET /v1/resources/{id}': [
      ok('the Ready resource', 200, () => call('admin', 'GET', `/v1/resources/${resourceId}`)),
      err('an unknown resource', 404, () => call('admin', 'GET', `/v1/resources/${UNKNOWN_ID}`)),
    ],
    'DELETE /v1/resources/{id}': [
      ok('the Ready resource', 202, () => call('admin', 'DELETE', `/v1/resources/${resourceId}`)),
      err('an unknown resource', 404, () => call('admin', 'DELETE', `/v1/resources/${UNKNOWN_ID}`)),
      err('as the domain auditor', 403, () => call('operator', 'DELETE', `/v1/resources/${resourceId}`)),
    ],

    'POST /v1/register': [
      ok('a fresh token', 201, async () => register(await enrollingResource(projectId))),
      err('a consumed token', 403, async () => {
        const bound = await enrollingResource(projectId);
        expect((await register(bound)).status).toBe(201);
        return register(bound);
      }),
      err('an unknown resource handle', 404, async () => {
        const bound = await enrollingResource(projectId);
        return register({ ...bound, resource: { ...bound.resource, external_ref: UNKNOWN_ID } });
      }),
      err('a malformed public key', 400, async () => register(await enrollingResource(projectId), { public_key: 'AAAA' })),
      err('a malformed token', 422, async () => register(await enrollingResource(projectId), { bootstrap_token: 'psb_local_nope' })),
      err('another project’s token', 403, async () => {
        const other = await created(call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Other', slug: fresh('other') }));
        return register(await enrollingResource(projectId), { project_id: other });
      }),
    ],
    'POST /v1/nodes/{id}/heartbeat': [
      ok('a heartbeat', 200, () => asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody())),
      err('a skewed clock', 400, () =>
        asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody({ client_now: new Date(Date.now() - 120_000).toISOString() })),
      ),
      err('another node’s path', 403, () => asNode(node.bearer, 'POST', `/v1/nodes/${UNKNOWN_ID}/heartbeat`, heartbeatBody())),
      err('an unknown field', 400, () => asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody({ surprise: 1 }))),
    ],
    'GET /v1/nodes/{id}/state': [
      ok('the snapshot', 200, () => asNode(node.bearer, 'GET', `/v1/nodes/${node.node_id}/state`)),
      err('no NSK', 401, () => call(null, 'GET', `/v1/nodes/${node.node_id}/state`)),
      err('another node’s state', 403, () => asNode(node.bearer, 'GET', `/v1/nodes/${UNKNOWN_ID}/state`)),
    ],
    'GET /v1/nodes/{id}/events': [
      err('no event bus', 501, () => asNode(node.bearer, 'GET', `/v1/nodes/${node.node_id}/events`)),
      err('another node’s stream', 403, () => asNode(node.bearer, 'GET', `/v1/nodes/${UNKNOWN_ID}/events`)),
    ],
    'PUT /v1/nodes/{id}/capabilities': [
      ok('a manifest', 200, () =>
        asNode(node.bearer, 'PUT', `/v1/nodes/${node.node_id}/capabilities`, { binary_version: 'plexd-v0.4.2', binary_checksum: Buffer.alloc(32, 1).toString('base64') }),
      ),
      err('a malformed checksum', 400, () => asNode(node.bearer, 'PUT', `/v1/nodes/${node.node_id}/capabilities`, { binary_version: 'plexd-v0.4.2', binary_checksum: 'short' })),
      err('a hook without a digest', 422, () =>
        asNode(node.bearer, 'PUT', `/v1/nodes/${node.node_id}/capabilities`, {
          binary_version: 'plexd-v0.4.2',
          binary_checksum: Buffer.alloc(32, 1).toString('base64'),
          plexd_hooks: [{ name: 'backup', image_digest: 'latest' }],
        }),
      ),
      err('a body over the cap', 413, () =>
        asNode(node.bearer, 'PUT', `/v1/nodes/${node.node_id}/capabilities`, { binary_version: 'x'.repeat(40 * 1024), binary_checksum: 'x' }),
      ),
    ],
  };
  const governed = mergeCases(routeCases, governanceCases({ call, created, requested, resourceBody, projectId, unknownId: UNKNOWN_ID }));
  const withEvents = mergeCases(governed, eventCases({ call, domainId: DOMAIN, projectId }));
  const cases = mergeCases(withEvents, webhookCases({ call, created, requested: () => requested(), domainId: DOMAIN, unknownId: UNKNOWN_ID }));
  return { cases, call, asNode, created, fresh, requested, approved };
}
