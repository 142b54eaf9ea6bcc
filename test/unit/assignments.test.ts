import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../functions/adapters/assignment-store.ts';
import { DynamoAuditLog } from '../../functions/adapters/audit-log.ts';
import { documentClient, Table } from '../../functions/adapters/dynamo/table.ts';
import { type AssignableCredential, type AssignmentPorts, approvalState, assignmentView, decide, requestAssignment } from '../../functions/core/assignments.ts';
import type { Authorizer, AuthzSubject } from '../../functions/core/authz/model.ts';
import type { TenancyStore } from '../../functions/core/ports.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import type { Vault } from '../../functions/core/vault.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// Core use cases against the real DynamoDB store (dynalite), with an authorizer that allows
// everything: what is refused here is refused by the code and the conditional writes alone.

const DOMAIN = '019100a0-0a00-7000-8000-000000000001';
const OWNER = '019100a0-0c00-7000-8000-000000000001';
const REQUESTER = '019100a0-0c00-7000-8000-000000000002';
const PROJECT = '019100a0-0e00-7000-8000-000000000001';
const CREDENTIAL = '019100a0-0f00-7000-8000-000000000001';

const subject = (userId: string): AuthzSubject => ({ userId, domainId: DOMAIN, platformOperator: false, adminOf: [], auditorOf: [] });
const allowAll: Authorizer = { decide: async () => ({ allowed: true }) };

let dynamo: TestDynamo;
let dir: string;
let ports: AssignmentPorts;
let now: Date;
let store: DynamoAssignmentStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'assignments-'));
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  const table = await dynamo.freshTable('assignments');
  store = new DynamoAssignmentStore(table);
  now = new Date('2026-06-01T00:00:00Z');
  const project: Project = {
    id: PROJECT,
    domain_id: DOMAIN,
    name: 'p',
    slug: 'p',
    owner_id: REQUESTER,
    resource_count: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  const credential: AssignableCredential = {
    id: CREDENTIAL,
    cloud_id: DOMAIN,
    owner_id: OWNER,
    status: 'active',
    secret_arn: 'arn:secret',
    created_at: now.toISOString(),
  };
  const vault: Vault = {
    create: async () => ({ arn: 'arn:secret', versionId: 'v1' }),
    read: async () => ({ value: 'never-used', versionId: 'v1' }),
    put: async () => ({ arn: 'arn:secret', versionId: 'v2' }),
    describe: async () => ({ arn: 'arn:secret', currentVersionId: 'v1' }),
    remove: async () => {},
  };
  ports = {
    tenancy: { getProject: async (id: string) => (id === PROJECT ? project : undefined) } as unknown as TenancyStore,
    assignments: store,
    credentials: { getCredential: async (id) => (id === CREDENTIAL ? credential : undefined), credentialsOfCloud: async () => [credential] },
    audit: new DynamoAuditLog(table),
    vault,
    authorizer: allowAll,
    clock: { now: () => now },
    requestTtlSeconds: 3600,
  };
});

const actor = (userId: string) => ({ subject: subject(userId), correlationId: 'test' });

describe('credential assignments (allow-all authorizer)', () => {
  it('still refuses a self-approval', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    await expect(decide(ports, actor(REQUESTER), a.id, 'approve')).rejects.toMatchObject({ code: 'self_approval_denied' });
    expect((await store.get(a.id))?.state).toBe('requested');
  });

  it('enforces separation of duties in the conditional write itself', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const at = now.toISOString();
    const refused = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: REQUESTER, at, notRequestedBy: REQUESTER });
    expect(refused).toBeUndefined();
    const accepted = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: OWNER, at, notRequestedBy: OWNER });
    expect(accepted?.state).toBe('approved');
  });

  it('pins the vaulted secret version on approval and reports materialised only while approved', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const approved = await decide(ports, actor(OWNER), a.id, 'approve');
    expect(approved.handle).toEqual({ secret_arn: 'arn:secret', version_id: 'v1' });
    expect(assignmentView(approved, now).materialised).toBe(true);
    const revoked = await decide(ports, actor(OWNER), a.id, 'revoke', 'rotation');
    expect(assignmentView(revoked, now).materialised).toBe(false);
  });

  it('expires an undecided request: expired on the queue, rejected with reason expired on the assignment', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    now = new Date(now.getTime() + 3600 * 1000);
    expect(approvalState(a, now)).toBe('expired');
    expect(assignmentView(a, now)).toMatchObject({ state: 'rejected', decision_reason: 'expired' });
    await expect(decide(ports, actor(OWNER), a.id, 'approve')).rejects.toMatchObject({ code: 'illegal_transition' });
    expect(await store.get(a.id)).toMatchObject({ state: 'rejected', decision_reason: 'expired' });
    // The expired request no longer holds the live slot.
    const again = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    expect(again.state).toBe('requested');
  });

  it('refuses a decision that lands just after expiry in the write, even when the read saw it pending', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const late = new Date(Date.parse(a.expires_at) + 1).toISOString();
    expect(await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: OWNER, at: late })).toBeUndefined();
  });

  it('lets only one of two concurrent decisions land', async () => {
    const a = await requestAssignment(ports, actor(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const results = await Promise.allSettled([decide(ports, actor(OWNER), a.id, 'approve'), decide(ports, actor(OWNER), a.id, 'reject', 'race')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'illegal_transition' });
  });
});
