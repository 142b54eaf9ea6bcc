import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoResourceStore } from '../../functions/adapters/resource-store.ts';
import { newId } from '../../functions/core/ids.ts';
import type { Resource } from '../../functions/core/resources.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { FULL_ARC, phasesOf, provisionedBody, seededCatalog } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshotButAudit } from '../support/table-snapshot.ts';
import { waitFor } from '../support/wait.ts';

let stack: TestStack;
let credentialId: string;
let versionId: string;
const DOMAIN = FIXTURES.domain.id;
let counter = 0;

beforeAll(async () => {
  stack = await startTestStack({ SUBSTRATE_TIMEOUT_SECONDS: '30' }, { heartbeatIntervalMs: 500 });
  ({ demoCredentialId: credentialId, versionId } = await seededCatalog(stack));
});
afterAll(async () => {
  await stack?.close();
});

/** A project with an approved assignment of the demo credential: the tutorial's steps 2-4. */
async function approvedProject(): Promise<string> {
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Fleet', slug: `fleet-${++counter}` });
  const assignment = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
  const approved = await stack.call('operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/approve`);
  expect(approved.body.state).toBe('approved');
  return project.body.id;
}

function createBody(overrides: Record<string, unknown> = {}) {
  return provisionedBody({ versionId }, credentialId, overrides);
}

async function phaseOf(id: string): Promise<string> {
  return (await stack.call('admin', 'GET', `/v1/resources/${id}`)).body.provisioning.phase;
}

const untilPhase = (id: string, phase: string, timeoutMs = 30_000) =>
  waitFor(async () => {
    const res = await stack.call('admin', 'GET', `/v1/resources/${id}`);
    return res.body.provisioning.phase === phase ? res.body : undefined;
  }, { timeoutMs, what: `resource ${id} to reach ${phase}` });

describe('create → Ready → delete → Deleted', () => {
  it('runs the whole arc, in order, with the instance and node really gone at the end', async () => {
    const projectId = await approvedProject();
    const created = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody());
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/v1/resources/${created.body.id}`);
    expect(created.body).toMatchObject({ kind: 'node', origin: 'provisioned', project_id: projectId, domain_id: DOMAIN, provisioning: { phase: 'Pending' } });
    const id = created.body.id as string;

    const ready = await untilPhase(id, 'Ready');
    expect(phasesOf(ready)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready']);
    expect(ready.provisioning.provisioned_resource_id).not.toBe(id);
    expect(ready.provisioning.node.mesh_ip).toMatch(/^100\.64\./);
    const instanceId = ready.provisioning.substrate.instance_id as string;
    expect(stack.ec2.instances().find((i) => i.instanceId === instanceId)?.state).toBe('running');

    const deleted = await stack.call('admin', 'DELETE', `/v1/resources/${id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.text).toBe('');
    const gone = await untilPhase(id, 'Deleted');
    expect(phasesOf(gone)).toEqual(FULL_ARC);
    expect(stack.ec2.instances().find((i) => i.instanceId === instanceId)?.state).toBe('terminated');
    // A Deleted Resource stays readable, and deleting it again starts nothing.
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${id}`)).status).toBe(202);
    expect(await phaseOf(id)).toBe('Deleted');
    // The project no longer counts it, so it can be deleted.
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });
});

describe('create: checks before anything is applied', () => {
  it('refuses a credential the project has no approved assignment of, and stores nothing', async () => {
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Unassigned', slug: `unassigned-${++counter}` });
    const before = await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName);
    const res = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/resources`, createBody());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('credential_not_approved');
    expect(await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName)).toEqual(before);
  });

  it('refuses a caller without deploy on the project', async () => {
    const projectId = await approvedProject();
    const res = await stack.call('operator', 'POST', `/v1/projects/${projectId}/resources`, createBody());
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('insufficient_relation');
  });

  it('validates parameters against the version schema with field paths (422)', async () => {
    const projectId = await approvedProject();
    const before = await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName);
    const res = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody({ parameters: { size: 'large' } }));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('invalid_parameters');
    expect(res.body.errors).toEqual([{ path: 'parameters.size', message: expect.any(String), name: 'size', reason: expect.any(String) }]);
    expect(await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName)).toEqual(before);
  });

  it('refuses a Resource on a cloud whose provider has no substrate (azure) with 422 provider_not_supported, and stores nothing', async () => {
    const cloud = await stack.call('operator', 'POST', '/v1/clouds', {
      display_name: 'Azure',
      slug: `azure-${++counter}`,
      provider: 'azure',
      endpoint: {},
      region_defaults: {},
      external_id: 'tenant',
    });
    expect(cloud.status, cloud.text).toBe(201);
    const payload = Buffer.from(JSON.stringify({ tenant_id: 't', client_id: 'c', client_secret: 's' })).toString('base64');
    const credential = await stack.call('operator', 'POST', `/v1/clouds/${cloud.body.id}/cloud-credentials`, { display_name: 'azure-sp', payload });
    expect(credential.status, credential.text).toBe(201);
    const bp = await stack.call('operator', 'POST', '/v1/blueprints', { slug: `azure-bp-${counter}`, display_name: 'Azure VM' });
    const version = await stack.call('operator', 'POST', `/v1/blueprints/${bp.body.id}/versions`, {
      version: '1.0.0',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: { parameters: [] },
    });
    expect(version.status, version.text).toBe(201);
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Azure', slug: `azure-${counter}` });
    const assignment = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credential.body.id });
    const approved = await stack.call('operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/approve`);
    expect(approved.body.state).toBe('approved');

    const before = await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName);
    const res = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/resources`, createBody({ blueprint_version_id: version.body.id, cloud_credential_id: credential.body.id }));
    expect([res.status, res.body.code], res.text).toEqual([422, 'provider_not_supported']);
    expect(res.body.detail).toContain('"azure"');
    expect(await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName)).toEqual(before);
    expect((await stack.call('admin', 'GET', `/v1/projects/${project.body.id}/resources`)).body.items).toEqual([]);
  });

  it('answers bad bodies and ids with the contract codes', async () => {
    const projectId = await approvedProject();
    const cases: Array<[string, unknown, number, string]> = [
      [`/v1/projects/${projectId}/resources`, { ...createBody(), origin: 'imported' }, 400, 'invalid_resource_origin'],
      [`/v1/projects/${projectId}/resources`, { ...createBody(), extra: true }, 400, 'invalid_body'],
      [`/v1/projects/${projectId}/resources`, createBody({ blueprint_version_id: 'x' }), 400, 'invalid_body'],
      ['/v1/projects/nope/resources', createBody(), 400, 'invalid_project_id'],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await stack.call('admin', 'POST', path, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect((await stack.call('admin', 'GET', '/v1/resources/nope')).body.code).toBe('invalid_resource_id');
    expect((await stack.call('admin', 'GET', '/v1/resources/019100c0-0d00-7000-8000-0000000000ff')).status).toBe(404);
  });

  it('honours Idempotency-Key: same body → same Resource, other body → 409', async () => {
    const projectId = await approvedProject();
    const headers = { 'idempotency-key': `key-${counter}` };
    const first = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody(), headers);
    const again = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody(), headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const other = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody({ kind: 'gateway' }), headers);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    const list = await stack.call('admin', 'GET', `/v1/projects/${projectId}/resources`);
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
  });
});

describe('teardown', () => {
  it('tears down after the assignment and the credential were revoked, using the pinned handle', async () => {
    const payload = Buffer.from(JSON.stringify({ access_key_id: 'AKIDEMOLOCAL0000000', secret_access_key: 'demo-secret-for-revocation' })).toString('base64');
    const extra = await stack.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, { display_name: `revocable-${++counter}`, payload });
    expect(extra.status).toBe(201);
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Revoked', slug: `revoked-${counter}` });
    const assignment = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: extra.body.id });
    await stack.call('operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/approve`);
    const created = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/resources`, createBody({ cloud_credential_id: extra.body.id }));
    await untilPhase(created.body.id, 'Ready');

    await stack.call('operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/revoke`, { reason: 'rotation' });
    await stack.call('operator', 'POST', `/v1/cloud-credentials/${extra.body.id}/revoke`, { reason: 'rotation' });
    // New Resources with it are refused...
    const refused = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/resources`, createBody({ cloud_credential_id: extra.body.id }));
    expect(refused.status).toBe(403);
    // ...but the running one still tears down.
    await stack.call('admin', 'DELETE', `/v1/resources/${created.body.id}`);
    await untilPhase(created.body.id, 'Deleted');
  });

  it('deletes in the middle of provisioning and leaves no machine behind', async () => {
    const projectId = await approvedProject();
    const created = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, createBody());
    const id = created.body.id as string;
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${id}`)).status).toBe(202);
    const gone = await untilPhase(id, 'Deleted');
    const phases = phasesOf(gone);
    expect(phases.slice(-3)).toEqual(['Deregistering', 'Deprovisioning', 'Deleted']);
    // Whatever the provision run launched before the delete fenced it off is terminated.
    await waitFor(async () => {
      const mine = stack.ec2.instances().filter((i) => i.tags['plexsphere:resource-id'] === id);
      return mine.every((i) => i.state === 'terminated') ? true : undefined;
    }, { timeoutMs: 20_000, what: 'every instance of the resource to be terminated' });
  });
});

// ---------------------------------------------------------------------------------------------
// Failed creates and deletes leave the project's count exact, so the project can be deleted.

type Command = { constructor: { name: string }; input: { Item?: { PK?: string }; Key?: { PK?: string } } };

/**
 * A resource store on the stack's table whose client loses the answer to the commands `lost`
 * picks: the command is carried out, then the caller sees a failure (a timeout, a crash after the
 * write), as a retry would find it.
 */
function storeLosing(lost: (command: Command) => boolean): DynamoResourceStore {
  const real = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const client = {
    async send(command: Command) {
      const answer = await real.send(command as never);
      if (lost(command)) throw Object.assign(new Error('answer lost'), { name: 'TimeoutError' });
      return answer;
    },
  };
  return new DynamoResourceStore(new Table(stack.tableName, client as unknown as DynamoDBDocumentClient));
}
const healthyStore = () => storeLosing(() => false);
const isTransaction = (c: Command) => c.constructor.name === 'TransactWriteCommand';

async function resourceCount(projectId: string): Promise<number | undefined> {
  const item = await new Table(stack.tableName).getRaw(keys.project(projectId));
  return item?.resource_count as number | undefined;
}

function adopted(projectId: string): Resource {
  const at = new Date().toISOString();
  return { id: newId(), project_id: projectId, domain_id: DOMAIN, kind: 'bare-metal', origin: 'adopted', external_ref: 'rack-7', created_at: at, updated_at: at, created_by: FIXTURES.admin.id };
}

function pending(projectId: string): Resource {
  const at = new Date().toISOString();
  const id = newId();
  return {
    ...adopted(projectId),
    id,
    origin: 'provisioned',
    external_ref: id,
    provisioning: { phase: 'Pending', generation: 1, run: 'provision', provisioned_resource_id: newId(), reason: 'test', transitions: [{ phase: 'Pending', at }] },
  };
}

/**
 * The items of the table that name the project (the project, its claims, its Resources): other
 * tests' Resources keep heartbeating, so the whole table does not stand still.
 */
async function projectSnapshot(projectId: string): Promise<string[]> {
  return (await tableSnapshotButAudit(stack.dynamoUrl, stack.tableName)).filter((item) => item.includes(projectId));
}

async function emptyProject(): Promise<string> {
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Counted', slug: `counted-${++counter}` });
  expect(project.status).toBe(201);
  return project.body.id;
}

describe('create: a failed create leaves nothing behind', () => {
  it('refuses an integer parameter beyond the safe range (1e200) with 422 and its path; nothing stored; the project still deletes', async () => {
    const bp = await stack.call('operator', 'POST', '/v1/blueprints', { slug: `counted-bp-${++counter}`, display_name: 'Counted' });
    const version = await stack.call('operator', 'POST', `/v1/blueprints/${bp.body.id}/versions`, {
      version: '1.0.0',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: { parameters: [{ name: 'count', type: 'integer', required: true }] },
    });
    expect(version.status, version.text).toBe(201);
    const projectId = await approvedProject();
    const before = await projectSnapshot(projectId);
    for (const [i, count] of [1e200, 2 ** 53].entries()) {
      const res = await stack.call(
        'admin',
        'POST',
        `/v1/projects/${projectId}/resources`,
        createBody({ blueprint_version_id: version.body.id, parameters: { count } }),
        { 'idempotency-key': `overflow-${counter}-${i}` },
      );
      expect([res.status, res.body.code], res.text).toEqual([422, 'invalid_parameters']);
      expect(res.body.errors).toEqual([{ path: 'parameters.count', message: expect.any(String), name: 'count', reason: expect.any(String) }]);
    }
    expect(await projectSnapshot(projectId)).toEqual(before);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });

  it('stores nothing when the table refuses the Resource: its count and Idempotency-Key go with it', async () => {
    const projectId = await emptyProject();
    const before = await projectSnapshot(projectId);
    // Over DynamoDB's 400 KB item limit: the transaction is refused whole.
    const oversized = { ...adopted(projectId), external_ref: 'x'.repeat(410 * 1024) };
    await expect(healthyStore().create(oversized, { key: 'oversized', requestHash: 'h' })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(healthyStore().create({ ...oversized, id: newId() })).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await projectSnapshot(projectId)).toEqual(before);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });

  it('counts a Resource once when a create whose answer was lost is retried with its Idempotency-Key', async () => {
    const projectId = await emptyProject();
    const first = adopted(projectId);
    await expect(storeLosing(isTransaction).create(first, { key: 'lost', requestHash: 'h' })).rejects.toThrow('answer lost');
    expect(await resourceCount(projectId)).toBe(1);
    // The retry comes with another pre-generated id; the key's record names the first, counted once.
    const retried = await healthyStore().create(adopted(projectId), { key: 'lost', requestHash: 'h' });
    expect(retried).toMatchObject({ replayed: true, resource: { id: first.id } });
    expect(await resourceCount(projectId)).toBe(1);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).body.code).toBe('project_not_empty');
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${first.id}`)).status).toBe(204);
    expect(await resourceCount(projectId)).toBe(0);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });

  it('counts a Resource down once when the step that wrote Deleted lost the answer and is retried', async () => {
    const projectId = await emptyProject();
    const resource = pending(projectId);
    await healthyStore().create(resource);
    expect(await resourceCount(projectId)).toBe(1);
    const change = { from: ['Pending'] as const, to: 'Deleted' as const, generation: 1, at: new Date().toISOString(), reason: 'Gone.' };
    await expect(storeLosing(isTransaction).changePhase(resource.id, change)).rejects.toThrow('answer lost');
    expect(await phaseOf(resource.id)).toBe('Deleted');
    expect(await resourceCount(projectId)).toBe(0);
    // The retried step: its write is refused (already Deleted), and the count stays where it is.
    expect(await healthyStore().changePhase(resource.id, change)).toBeUndefined();
    expect(await healthyStore().changePhase(resource.id, change)).toBeUndefined();
    expect(await resourceCount(projectId)).toBe(0);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });
});

describe('adopted Resources', () => {
  it('deletes one with a single write (204): it is gone, no longer counted, and the project deletes', async () => {
    const projectId = await emptyProject();
    const created = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, { origin: 'adopted', kind: 'bare-metal', external_ref: 'rack-1' });
    expect(created.status, created.text).toBe(201);
    expect(created.body.provisioning).toBeUndefined();
    const id = created.body.id as string;
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).body.code).toBe('project_not_empty');
    expect((await stack.call('operator', 'DELETE', `/v1/resources/${id}`)).status).toBe(403);

    const deleted = await stack.call('admin', 'DELETE', `/v1/resources/${id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    expect((await stack.call('admin', 'GET', `/v1/resources/${id}`)).body.code).toBe('resource_not_found');
    expect((await stack.call('admin', 'GET', `/v1/projects/${projectId}/resources`)).body.items).toEqual([]);
    // Deleting again changes nothing.
    const before = await projectSnapshot(projectId);
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${id}`)).status).toBe(204);
    expect(await projectSnapshot(projectId)).toEqual(before);
    expect(await resourceCount(projectId)).toBe(0);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });

  it('answers a delete whose answer was lost again, counting the Resource down once', async () => {
    const projectId = await emptyProject();
    const resource = adopted(projectId);
    await healthyStore().create(resource);
    await expect(storeLosing(isTransaction).retireAdopted(resource.id, new Date().toISOString())).rejects.toThrow('answer lost');
    expect(await resourceCount(projectId)).toBe(0);
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${resource.id}`)).status).toBe(204);
    expect(await resourceCount(projectId)).toBe(0);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${projectId}`)).status).toBe(204);
  });
});
