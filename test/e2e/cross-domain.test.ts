import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceKeys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedDomain, seedUser } from '../../scripts/seed.ts';
import { approvedProject, createResource, seededCatalog, untilPhase } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { waitFor } from '../support/wait.ts';

// Two tenants on one broker: Acme Corp (seeded) and Globex, written here with its own admin.
// Nobody reads or changes across the line, and each refusal says so without touching the table.
const GLOBEX = '019100a0-0a00-7000-8000-0000000000b2';
const GLOBEX_ADMIN = { id: '019100a0-0c00-7000-8000-0000000000b2', email: 'admin@globex.example', name: 'Globex Admin' };

let stack: TestStack;
let globexToken: string;
let acme: { projectId: string; resourceId: string; assignmentsPath: string };
let globexProjectId: string;

beforeAll(async () => {
  // No node agents: the Resource waits in Enrolling, so the table holds still while refusals are checked.
  stack = await startTestStack({}, { startAgents: false });
  const table = new Table(stack.tableName);
  const report = { created: [], kept: [] };
  const at = new Date().toISOString();
  await seedDomain(table, report, {
    domain: { id: GLOBEX, slug: 'globex', name: 'Globex', mesh_cidr: '100.65.0.0/16', created_at: at, updated_at: at },
    binding: { id: '019100a0-0b00-7000-8000-0000000000b2', domain_id: GLOBEX, label: 'Globex password', kind: 'password', issuer_host: 'localhost', primary: true, platform_scoped: false },
  });
  await seedUser(table, report, { ...GLOBEX_ADMIN, domainId: GLOBEX, password: 'globex-password', roles: { platform_operator: false, domain_roles: { [GLOBEX]: ['admin'] } } });
  globexToken = (await deps().tokens.issue({ subject: GLOBEX_ADMIN.id, domainId: GLOBEX, email: GLOBEX_ADMIN.email })).token;

  const catalog = await seededCatalog(stack);
  const projectId = await approvedProject(stack, catalog.demoCredentialId);
  const resourceId = await createResource(stack, projectId, catalog);
  await untilPhase(stack, resourceId, 'Enrolling');
  // The Enrolling step stores its task token just after the phase changes: once it is there,
  // nothing writes to the table until a node registers (none will).
  await waitFor(async () => {
    const item = (await table.getRaw(resourceKeys.resource(resourceId))) as { provisioning?: { enrol_task_token?: string } } | undefined;
    return item?.provisioning?.enrol_task_token ? true : undefined;
  }, { what: 'the Enrolling step to store its task token' });
  acme = { projectId, resourceId, assignmentsPath: `/v1/projects/${projectId}/credential-assignments` };
  const globex = await asGlobex('POST', '/v1/projects', { domain_id: GLOBEX, name: 'Globex fleet', slug: 'fleet' });
  expect(globex.status, globex.text).toBe(201);
  globexProjectId = globex.body.id;
});
afterAll(async () => {
  await stack?.close();
});

const asGlobex = (method: string, path: string, body?: unknown) => stack.call(null, method, path, body, { authorization: `Bearer ${globexToken}` });
const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

function expectRefused(res: { status: number; body: { code?: string; reason?: string } }, label: string) {
  // Either "not yours" (403 out_of_scope) or "no such thing for you" (404); never a 2xx.
  expect([403, 404], `${label}: ${JSON.stringify(res.body)}`).toContain(res.status);
  if (res.status === 403) expect(res.body.reason, label).toBe('out_of_scope');
}

describe('across domains', () => {
  it("keeps Globex's admin out of everything of Acme Corp's, and stores nothing", async () => {
    const before = await snapshot();
    const reads: Array<[string, string]> = [
      ['GET', `/v1/domains/${FIXTURES.domain.id}`],
      ['GET', `/v1/projects?domain_id=${FIXTURES.domain.id}`],
      ['GET', `/v1/projects/${acme.projectId}`],
      ['GET', acme.assignmentsPath],
      ['GET', `/v1/projects/${acme.projectId}/resources`],
      ['GET', `/v1/resources/${acme.resourceId}`],
      ['GET', `/v1/domains/${FIXTURES.domain.id}/audit/entries`],
      ['GET', `/v1/domains/${FIXTURES.domain.id}/audit/verify`],
    ];
    for (const [method, path] of reads) expectRefused(await asGlobex(method, path), `${method} ${path}`);
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: 'Intruder', slug: 'intruder' }],
      ['PATCH', `/v1/projects/${acme.projectId}`, { name: 'Renamed' }],
      ['DELETE', `/v1/projects/${acme.projectId}`, undefined],
      ['DELETE', `/v1/resources/${acme.resourceId}`, undefined],
    ];
    for (const [method, path, body] of writes) expectRefused(await asGlobex(method, path, body), `${method} ${path}`);
    expect(await snapshot()).toEqual(before);
  });

  it("shows each admin only its own domain and projects", async () => {
    const domains = await asGlobex('GET', '/v1/domains');
    expect(domains.body.items.map((d: { id: string }) => d.id)).toEqual([GLOBEX]);
    const projects = await asGlobex('GET', '/v1/projects');
    expect(projects.body.items.map((p: { id: string }) => p.id)).toEqual([globexProjectId]);
    const acmeProjects = await stack.call('admin', 'GET', '/v1/projects');
    expect(acmeProjects.body.items.map((p: { id: string }) => p.id)).not.toContain(globexProjectId);
  });

  it("keeps Acme Corp's admin out of Globex, the other way round", async () => {
    expectRefused(await stack.call('admin', 'GET', `/v1/domains/${GLOBEX}`), 'domain');
    expectRefused(await stack.call('admin', 'GET', `/v1/projects/${globexProjectId}`), 'project');
    expectRefused(await stack.call('admin', 'POST', `/v1/projects/${globexProjectId}/credential-assignments`, { cloud_credential_id: FIXTURES.cloud.id }), 'assignment request');
  });
});
