import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/api/routes.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { demoCredentialId } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { deliveredWebhook } from '../support/webhook-route-cases.ts';

// Every route of the route table × each seeded identity × no token. A route added to the table
// without an entry here fails the first test, so no route goes unchecked.

type Who = 'operator' | 'admin';
type Expect = 'allow' | 'deny' | 'public';
interface Case {
  /** Builds a fresh, valid request (creating what it needs), so only authorization decides. */
  request: (s: TestStack) => Promise<{ path: string; body?: unknown }>;
  operator: Expect;
  admin: Expect;
}

let stack: TestStack;
let n = 0;
const DOMAIN = FIXTURES.domain.id;
const UNKNOWN = '019100c0-0d00-7000-8000-0000000000ff';

async function project(s: TestStack): Promise<string> {
  return (await s.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Authz', slug: `authz-${++n}` })).body.id;
}
async function assignment(s: TestStack, approved = false): Promise<string> {
  const p = await project(s);
  const a = await s.call('admin', 'POST', `/v1/projects/${p}/credential-assignments`, { cloud_credential_id: await demoCredentialId(s) });
  if (approved) await s.call('operator', 'POST', `/v1/credential-assignments/${a.body.id}/approve`);
  return a.body.id;
}
async function cloud(s: TestStack): Promise<string> {
  const res = await s.call('operator', 'POST', '/v1/clouds', {
    display_name: `Cloud ${++n}`,
    slug: `cloud-${n}`,
    provider: 'aws',
    endpoint: { region: 'us-east-1' },
    region_defaults: { region: 'us-east-1' },
    external_id: `ext-${n}`,
  });
  return res.body.id;
}
const creds = () => Buffer.from(JSON.stringify({ access_key_id: 'AKIDAUTHZ', secret_access_key: 'authz-secret' })).toString('base64');
async function resource(s: TestStack): Promise<string> {
  const id = await assignment(s, true);
  const a = await s.call('admin', 'GET', `/v1/credential-assignments/${id}`);
  const bp = await s.call('operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
  const r = await s.call('admin', 'POST', `/v1/projects/${a.body.project_id}/resources`, {
    origin: 'provisioned',
    kind: 'node',
    blueprint_version_id: bp.body.versions[0].id,
    cloud_credential_id: a.body.cloud_credential_id,
    parameters: {},
  });
  return r.body.id;
}

const fixed = (path: string, body?: unknown) => async () => ({ path, body });
async function webhook(s: TestStack): Promise<string> {
  const res = await s.call('admin', 'POST', `/v1/domains/${DOMAIN}/webhooks`, { url: 'https://hooks.example.com/in', event_types: ['resource.created'] });
  return res.body.id;
}

const CASES: Record<string, Case> = {
  'GET /v1/auth/idp-bindings': { request: fixed(`/v1/auth/idp-bindings?domain_id=${DOMAIN}`), operator: 'public', admin: 'public' },
  'POST /v1/auth/device-code': { request: fixed('/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id }), operator: 'public', admin: 'public' },
  'POST /v1/auth/device-token': { request: fixed('/v1/auth/device-token', { device_code: 'unknown' }), operator: 'public', admin: 'public' },
  'GET /v1/auth/device': { request: fixed('/v1/auth/device'), operator: 'public', admin: 'public' },
  'POST /v1/auth/sign-in': { request: fixed('/v1/auth/sign-in', { domain_id: DOMAIN, email: 'nobody@example.com', password: 'x' }), operator: 'public', admin: 'public' },
  'POST /v1/auth/device/approve': { request: fixed('/v1/auth/device/approve', { user_code: 'ABCD-EFGH' }), operator: 'public', admin: 'public' },
  'POST /v1/auth/device/deny': { request: fixed('/v1/auth/device/deny', { user_code: 'ABCD-EFGH' }), operator: 'public', admin: 'public' },
  'GET /v1/auth/jwks': { request: fixed('/v1/auth/jwks'), operator: 'public', admin: 'public' },
  'GET /v1/auth/whoami': { request: fixed('/v1/auth/whoami'), operator: 'allow', admin: 'allow' },
  'DELETE /v1/auth/whoami': { request: fixed('/v1/auth/whoami'), operator: 'public', admin: 'public' },
  'GET /v1/openapi.json': { request: fixed('/v1/openapi.json'), operator: 'public', admin: 'public' },

  'GET /v1/domains': { request: fixed('/v1/domains'), operator: 'allow', admin: 'allow' },
  'GET /v1/domains/{id}': { request: fixed(`/v1/domains/${DOMAIN}`), operator: 'allow', admin: 'allow' },
  'POST /v1/projects': { request: async () => ({ path: '/v1/projects', body: { domain_id: DOMAIN, name: 'P', slug: `authz-new-${++n}` } }), operator: 'deny', admin: 'allow' },
  'GET /v1/projects': { request: fixed(`/v1/projects?domain_id=${DOMAIN}`), operator: 'allow', admin: 'allow' },
  'GET /v1/projects/{id}': { request: async (s) => ({ path: `/v1/projects/${await project(s)}` }), operator: 'allow', admin: 'allow' },
  'PATCH /v1/projects/{id}': { request: async (s) => ({ path: `/v1/projects/${await project(s)}`, body: { name: 'Renamed' } }), operator: 'deny', admin: 'allow' },
  'DELETE /v1/projects/{id}': { request: async (s) => ({ path: `/v1/projects/${await project(s)}` }), operator: 'deny', admin: 'allow' },
  'POST /v1/projects/{id}/owner': {
    request: async (s) => ({ path: `/v1/projects/${await project(s)}/owner`, body: { user_id: FIXTURES.admin.id } }),
    operator: 'deny',
    admin: 'allow',
  },

  'POST /v1/clouds': {
    request: async () => ({
      path: '/v1/clouds',
      body: { display_name: `C ${++n}`, slug: `authz-cloud-${n}`, provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: { region: 'us-east-1' }, external_id: `x-${n}` },
    }),
    operator: 'allow',
    admin: 'deny',
  },
  'GET /v1/clouds': { request: fixed('/v1/clouds'), operator: 'allow', admin: 'deny' },
  'GET /v1/clouds/{id}': { request: fixed(`/v1/clouds/${FIXTURES.cloud.id}`), operator: 'allow', admin: 'deny' },
  'PATCH /v1/clouds/{id}': { request: async (s) => ({ path: `/v1/clouds/${await cloud(s)}`, body: { display_name: 'Renamed' } }), operator: 'allow', admin: 'deny' },
  'DELETE /v1/clouds/{id}': { request: async (s) => ({ path: `/v1/clouds/${await cloud(s)}` }), operator: 'allow', admin: 'deny' },
  'POST /v1/clouds/{id}/cloud-credentials': {
    request: async () => ({ path: `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, body: { display_name: `cred-${++n}`, payload: creds() } }),
    operator: 'allow',
    admin: 'deny',
  },
  'GET /v1/clouds/{id}/cloud-credentials': { request: fixed(`/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`), operator: 'allow', admin: 'deny' },
  'GET /v1/cloud-credentials/{id}': { request: async (s) => ({ path: `/v1/cloud-credentials/${await demoCredentialId(s)}` }), operator: 'allow', admin: 'deny' },
  'POST /v1/cloud-credentials/{id}/revoke': {
    request: async (s) => {
      const c = await s.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, { display_name: `rev-${++n}`, payload: creds() });
      return { path: `/v1/cloud-credentials/${c.body.id}/revoke`, body: { reason: 'test' } };
    },
    operator: 'allow',
    admin: 'deny',
  },
  'POST /v1/blueprints': { request: async () => ({ path: '/v1/blueprints', body: { slug: `authz-bp-${++n}`, display_name: 'BP' } }), operator: 'allow', admin: 'deny' },
  'GET /v1/blueprints': { request: fixed('/v1/blueprints'), operator: 'allow', admin: 'deny' },
  'GET /v1/blueprints/{id}': { request: fixed(`/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`), operator: 'allow', admin: 'deny' },
  'POST /v1/blueprints/{id}/versions': {
    request: async () => ({
      path: `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}/versions`,
      body: { version: `v${++n}`, provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: [] },
    }),
    operator: 'allow',
    admin: 'deny',
  },

  'POST /v1/projects/{id}/credential-assignments': {
    request: async (s) => ({ path: `/v1/projects/${await project(s)}/credential-assignments`, body: { cloud_credential_id: await demoCredentialId(s) } }),
    operator: 'deny',
    admin: 'allow',
  },
  'GET /v1/projects/{id}/credential-assignments': { request: async (s) => ({ path: `/v1/projects/${await project(s)}/credential-assignments` }), operator: 'allow', admin: 'allow' },
  'GET /v1/credential-assignments/{id}': { request: async (s) => ({ path: `/v1/credential-assignments/${await assignment(s)}` }), operator: 'allow', admin: 'allow' },
  'POST /v1/credential-assignments/{id}/approve': { request: async (s) => ({ path: `/v1/credential-assignments/${await assignment(s)}/approve` }), operator: 'allow', admin: 'deny' },
  'POST /v1/credential-assignments/{id}/reject': {
    request: async (s) => ({ path: `/v1/credential-assignments/${await assignment(s)}/reject`, body: { reason: 'no' } }),
    operator: 'allow',
    admin: 'deny',
  },
  'PATCH /v1/credential-assignments/{id}': {
    request: async (s) => ({ path: `/v1/credential-assignments/${await assignment(s, true)}`, body: { terms: { max_live_resources: 9 } } }),
    operator: 'allow',
    admin: 'deny',
  },
  'POST /v1/credential-assignments/{id}/revoke': {
    request: async (s) => ({ path: `/v1/credential-assignments/${await assignment(s, true)}/revoke`, body: { reason: 'no' } }),
    operator: 'allow',
    admin: 'deny',
  },
  'GET /v1/approvals': { request: fixed('/v1/approvals'), operator: 'allow', admin: 'allow' },
  'GET /v1/approvals/{id}': { request: async (s) => ({ path: `/v1/approvals/${await assignment(s)}` }), operator: 'allow', admin: 'allow' },
  'POST /v1/approvals/{id}/approve': { request: async (s) => ({ path: `/v1/approvals/${await assignment(s)}/approve` }), operator: 'allow', admin: 'deny' },
  'POST /v1/approvals/{id}/reject': { request: async (s) => ({ path: `/v1/approvals/${await assignment(s)}/reject`, body: { reason: 'no' } }), operator: 'allow', admin: 'deny' },
  'GET /v1/domains/{id}/audit/entries': { request: fixed(`/v1/domains/${DOMAIN}/audit/entries`), operator: 'allow', admin: 'allow' },
  'GET /v1/domains/{id}/audit/verify': { request: fixed(`/v1/domains/${DOMAIN}/audit/verify`), operator: 'allow', admin: 'allow' },

  'POST /v1/projects/{id}/resources': {
    request: async (s) => {
      const a = await s.call('admin', 'GET', `/v1/credential-assignments/${await assignment(s, true)}`);
      const bp = await s.call('operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
      return {
        path: `/v1/projects/${a.body.project_id}/resources`,
        body: { origin: 'provisioned', kind: 'node', blueprint_version_id: bp.body.versions.at(-1).id, cloud_credential_id: a.body.cloud_credential_id, parameters: {} },
      };
    },
    operator: 'deny',
    admin: 'allow',
  },
  'GET /v1/projects/{id}/resources': { request: async (s) => ({ path: `/v1/projects/${await project(s)}/resources` }), operator: 'allow', admin: 'allow' },
  'GET /v1/resources/{id}': { request: async (s) => ({ path: `/v1/resources/${await resource(s)}` }), operator: 'allow', admin: 'allow' },
  'POST /v1/resources/{id}/lease': {
    request: async (s) => ({ path: `/v1/resources/${await resource(s)}/lease`, body: { expires_at: new Date(Date.now() + 3600_000).toISOString() } }),
    operator: 'deny',
    admin: 'allow',
  },
  'DELETE /v1/resources/{id}': { request: async (s) => ({ path: `/v1/resources/${await resource(s)}` }), operator: 'deny', admin: 'allow' },

  'GET /v1/domains/{id}/events': { request: fixed(`/v1/domains/${DOMAIN}/events`), operator: 'allow', admin: 'allow' },
  'GET /v1/projects/{id}/events': { request: async (s) => ({ path: `/v1/projects/${await project(s)}/events` }), operator: 'allow', admin: 'allow' },

  'POST /v1/domains/{id}/webhooks': { request: fixed(`/v1/domains/${DOMAIN}/webhooks`, { url: 'https://hooks.example.com/in', event_types: ['resource.created'] }), operator: 'deny', admin: 'allow' },
  'GET /v1/domains/{id}/webhooks': { request: fixed(`/v1/domains/${DOMAIN}/webhooks`), operator: 'allow', admin: 'allow' },
  'GET /v1/webhooks/{id}': { request: async (s) => ({ path: `/v1/webhooks/${await webhook(s)}` }), operator: 'allow', admin: 'allow' },
  'DELETE /v1/webhooks/{id}': { request: async (s) => ({ path: `/v1/webhooks/${await webhook(s)}` }), operator: 'deny', admin: 'allow' },
  'GET /v1/webhooks/{id}/deliveries': { request: async (s) => ({ path: `/v1/webhooks/${await webhook(s)}/deliveries` }), operator: 'allow', admin: 'allow' },
  'POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': {
    request: async (s) => {
      const { id, deliveryId } = await deliveredWebhook(s.call, DOMAIN, () => assignment(s));
      return { path: `/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver` };
    },
    operator: 'deny',
    admin: 'allow',
  },

  'POST /v1/register': {
    request: fixed('/v1/register', { project_id: UNKNOWN, resource_handle: UNKNOWN, bootstrap_token: 'psb_local_x_node_y', nonce: 'n', public_key: 'AAAA' }),
    operator: 'public',
    admin: 'public',
  },
  'POST /v1/nodes/{id}/heartbeat': { request: fixed(`/v1/nodes/${UNKNOWN}/heartbeat`, {}), operator: 'deny', admin: 'deny' },
  'GET /v1/nodes/{id}/state': { request: fixed(`/v1/nodes/${UNKNOWN}/state`), operator: 'deny', admin: 'deny' },
  'GET /v1/nodes/{id}/events': { request: fixed(`/v1/nodes/${UNKNOWN}/events`), operator: 'deny', admin: 'deny' },
  'PUT /v1/nodes/{id}/capabilities': { request: fixed(`/v1/nodes/${UNKNOWN}/capabilities`, {}), operator: 'deny', admin: 'deny' },
};

beforeAll(async () => {
  stack = await startTestStack({}, { reconcileIntervalMs: 0 });
});
afterAll(async () => {
  await stack?.close();
});

describe('authorization across the route table', () => {
  it('has an expectation for every route, and none for a route that does not exist', () => {
    expect(Object.keys(CASES).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  for (const route of ROUTES) {
    const key = routeKey(route);
    describe(key, () => {
      it('without a token or session: 401 unless the route is public', async () => {
        const c = CASES[key] as Case;
        const { path, body } = await c.request(stack);
        const res = await stack.call(null, route.method, path, body);
        if (route.auth === 'none') {
          // A public route may still refuse what it is sent (sign-in with a wrong password is a
          // 401 invalid_credentials), but never for want of a token or a session.
          expect(res.status, res.text).toBeLessThan(500);
          expect(['missing_token', 'unauthenticated', 'unauthorized']).not.toContain(res.body?.code);
        } else {
          expect(res.status, res.text).toBe(401);
          expect(res.headers.get('content-type')).toContain('application/problem+json');
        }
      });
      for (const who of ['operator', 'admin'] as Who[]) {
        it(`as ${who}`, async () => {
          const c = CASES[key] as Case;
          const { path, body } = await c.request(stack);
          const res = await stack.call(who, route.method, path, body);
          expect(res.status, res.text).toBeLessThan(500);
          const expected = c[who];
          if (expected === 'allow') expect(res.status, res.text).toBeLessThan(400);
          if (expected === 'deny') {
            // Node routes refuse user tokens as unauthenticated; user routes refuse with 403 and say why.
            if (route.auth === 'node') expect(res.status).toBe(401);
            else {
              expect(res.status, res.text).toBe(403);
              expect(['out_of_scope', 'insufficient_relation']).toContain(res.body.reason);
              expect(res.body.correlation_id).toEqual(expect.any(String));
            }
          }
        });
      }
    });
  }
});

describe('what the route table does not name', () => {
  it('answers an unknown path with 404 route_not_found and a known path with the wrong method with 405 and Allow', async () => {
    const unknown = await stack.call('admin', 'GET', '/v1/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(unknown.body).toMatchObject({ code: 'route_not_found', title: 'Not Found', correlation_id: expect.any(String) });
    const wrongMethod = await stack.call('admin', 'PUT', '/v1/projects');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, GET');
    expect(wrongMethod.body).toMatchObject({ code: 'method_not_allowed', title: 'Method Not Allowed' });
  });
});
