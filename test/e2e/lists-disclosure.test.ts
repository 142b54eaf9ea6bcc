import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignmentItem } from '../../functions/adapters/assignment-store.ts';
import { listReadBudget } from '../../functions/adapters/dynamo/table.ts';
import type { Assignment } from '../../functions/core/assignments/assignment.ts';
import { newId } from '../../functions/core/ids.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { auditEntries } from '../support/audit-trail.ts';
import { createProject, demoCredentialId } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { seedTenant, type Tenant } from '../support/tenant.ts';

// What a caller learns of what it cannot see: a queue it has no role in, a credential it cannot
// use, a domain whose trail it has no standing in. And lists read a bounded amount per page.

let stack: TestStack;
let tenant: Tenant;
let credentialId: string;
const DOMAIN = FIXTURES.domain.id;
let slugs = 0;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await seedTenant(stack, { tag: 'd15c105e', slug: 'lists-disclosure', people: { admin: 'admin', nobody: 'none' } });
  credentialId = await demoCredentialId(stack);
});
afterAll(async () => {
  await stack?.close();
});

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

const newProject = () => createProject(stack, 'Disclosure', `disclosure-${++slugs}`);

const requestCredential = (projectId: string, id: string) =>
  stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: id });

/** A problem without what differs on every answer. */
const problemOf = (body: Record<string, unknown>) => {
  const { correlation_id: _c, ...rest } = body;
  return rest;
};

describe('asking for a credential', () => {
  it('answers a revoked and a missing credential alike', async () => {
    const payload = Buffer.from(JSON.stringify({ access_key_id: 'AKIDHIDDEN', secret_access_key: 'hidden-secret' })).toString('base64');
    const created = await stack.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, { display_name: 'hidden', payload });
    expect(created.status).toBe(201);
    expect((await stack.call('operator', 'POST', `/v1/cloud-credentials/${created.body.id}/revoke`, { reason: 'leaked' })).status).toBe(200);
    const projectId = await newProject();
    const before = await snapshot();
    const revoked = await requestCredential(projectId, created.body.id);
    const missing = await requestCredential(projectId, '019100c0-0d00-7000-8000-0000000000fe');
    expect(await snapshot()).toEqual(before);
    expect(revoked.status).toBe(422);
    expect(revoked.body.code).toBe('credential_not_assignable');
    expect([missing.status, missing.headers.get('content-type')]).toEqual([revoked.status, revoked.headers.get('content-type')]);
    expect(problemOf(missing.body)).toEqual(problemOf(revoked.body));
    // An active credential the operator handed over is still requested as before.
    expect((await requestCredential(projectId, credentialId)).status).toBe(201);
  });
});

describe('the approvals queue of a domain without a role in it', () => {
  it('is 403 permission_denied (out_of_scope), with or without naming the domain', async () => {
    const theirs = await tenant.call('admin', 'GET', `/v1/approvals?domain_id=${DOMAIN}`);
    expect([theirs.status, theirs.body.code, theirs.body.reason]).toEqual([403, 'permission_denied', 'out_of_scope']);
    expect(theirs.headers.get('content-type')).toContain('application/problem+json');
    const own = await tenant.call('nobody', 'GET', '/v1/approvals');
    expect([own.status, own.body.code]).toEqual([403, 'permission_denied']);
    expect((await stack.call('admin', 'GET', `/v1/approvals?domain_id=${DOMAIN}`)).status).toBe(200);
  });
});

describe('a refused decision', () => {
  it('by someone with no role in the domain leaves its audit trail (and the table) as it was', async () => {
    const projectId = await newProject();
    const requested = await requestCredential(projectId, credentialId);
    expect(requested.status).toBe(201);
    const trail = await auditEntries(stack, DOMAIN);
    const before = await snapshot();
    for (const path of [`/v1/approvals/${requested.body.id}/approve`, `/v1/credential-assignments/${requested.body.id}/approve`]) {
      const res = await tenant.call('admin', 'POST', path);
      expect([res.status, res.body.code], path).toEqual([403, 'permission_denied']);
    }
    const rejected = await tenant.call('nobody', 'POST', `/v1/approvals/${requested.body.id}/reject`, { reason: 'spam' });
    expect([rejected.status, rejected.body.code]).toEqual([403, 'permission_denied']);
    expect(await snapshot()).toEqual(before);
    expect(await auditEntries(stack, DOMAIN)).toEqual(trail);
  });

  it('by someone with standing in the domain is still audited', async () => {
    const projectId = await newProject();
    const requested = await requestCredential(projectId, credentialId);
    const self = await stack.call('admin', 'POST', `/v1/approvals/${requested.body.id}/approve`);
    expect([self.status, self.body.code]).toEqual([403, 'self_approval_denied']);
    const entries = (await auditEntries(stack, DOMAIN)).filter((e) => e.target === requested.body.id);
    expect(entries.map((e) => e.action)).toEqual(['credential_assignment.request', 'credential_assignment.approve']);
  });
});

describe('a list whose filter keeps few rows', () => {
  /** `count` rejected assignments in the tenant's queue, then one approved: written straight to the table. */
  async function seedQueue(count: number): Promise<string> {
    const projectId = await tenant.ownedProject('admin', 'queue');
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    );
    const start = Date.parse('2026-01-01T00:00:00Z');
    const rows = Array.from({ length: count + 1 }, (_, i): Assignment => {
      const at = new Date(start + i).toISOString();
      return {
        id: newId(start + i),
        project_id: projectId,
        domain_id: tenant.domainId,
        cloud_credential_id: credentialId,
        credential_owner_id: FIXTURES.operator.id,
        requested_by: tenant.users.admin as string,
        state: i === count ? 'approved' : 'rejected',
        created_at: at,
        updated_at: at,
        expires_at: at,
        decided_at: at,
        decided_by: FIXTURES.operator.id,
      };
    });
    try {
      for (let at = 0; at < rows.length; at += 25) {
        const puts = rows.slice(at, at + 25).map((a) => ({ PutRequest: { Item: assignmentItem(a) } }));
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: puts } }));
        expect(Object.keys(out.UnprocessedItems ?? {})).toEqual([]);
      }
    } finally {
      client.destroy();
    }
    return (rows[count] as Assignment).id;
  }

  it('answers a page after a bounded read, and the cursor reads on to the row', async () => {
    const approvedId = await seedQueue(listReadBudget(1) + 100);
    const path = `/v1/approvals?domain_id=${tenant.domainId}&status=approved&limit=1`;
    const first = await tenant.call('admin', 'GET', path);
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await tenant.call('admin', 'GET', `${path}&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((a: { id: string }) => a.id)).toEqual([approvedId]);
    expect(second.body.next_cursor).toBeUndefined();
    // The cursor is the caller's: another one cannot read on with it.
    const replayed = await stack.call('admin', 'GET', `${path}&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect([replayed.status, replayed.body.code]).toEqual([403, 'cursor_binding_mismatch']);
  });
});
