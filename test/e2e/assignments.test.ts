import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { createProject, demoCredentialId } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let stack: TestStack;
let credentialId: string;
const DOMAIN = FIXTURES.domain.id;
let slugCounter = 0;

beforeAll(async () => {
  stack = await startTestStack();
  credentialId = await demoCredentialId(stack);
});
afterAll(async () => {
  await stack?.close();
});

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

const newProject = () => createProject(stack, 'Assign', `assign-${++slugCounter}`);

async function request(projectId: string, credential = credentialId) {
  return stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: credential });
}

describe('the tutorial, steps 3 and 4', () => {
  it('admin requests, operator lists as auditor and approves, and the assignment materialises', async () => {
    const projectId = await newProject();
    const requested = await request(projectId);
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ project_id: projectId, cloud_credential_id: credentialId, state: 'requested', materialised: false });
    // Who asked, as the approver can tell: the requester's email is kept with the request.
    expect(requested.body).toMatchObject({ requested_by: FIXTURES.admin.id, requested_by_email: FIXTURES.admin.email });
    const queued = await stack.call('operator', 'GET', `/v1/approvals/${requested.body.id}`);
    expect(queued.body).toMatchObject({ proposer_subject: FIXTURES.admin.id, proposer_email: FIXTURES.admin.email });

    const listed = await stack.call('operator', 'GET', `/v1/projects/${projectId}/credential-assignments`);
    expect(listed.status).toBe(200);
    const pending = listed.body.items.filter((a: { state: string }) => a.state === 'requested');
    expect(pending.map((a: { id: string }) => a.id)).toEqual([requested.body.id]);

    const approved = await stack.call('operator', 'POST', `/v1/credential-assignments/${requested.body.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', materialised: true, decided_by: FIXTURES.operator.id });
  });
});

describe('separation of duties', () => {
  it('refuses the requester deciding its own request with 403 self_approval_denied, on both surfaces', async () => {
    const projectId = await newProject();
    const { body } = await request(projectId);
    const before = await snapshot();
    for (const path of [`/v1/credential-assignments/${body.id}/approve`, `/v1/approvals/${body.id}/approve`]) {
      const res = await stack.call('admin', 'POST', path);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('self_approval_denied');
      expect(res.body.correlation_id).toEqual(expect.any(String));
    }
    // Only audit entries of the refusals were added; the assignment is untouched.
    const after = (await snapshot()).filter((i) => !i.includes('"AUDIT#'));
    expect(after).toEqual(before.filter((i) => !i.includes('"AUDIT#')));
  });
});

describe('transitions', () => {
  it('rejects with a reason, then refuses any further decision with 409 illegal_transition', async () => {
    const projectId = await newProject();
    const { body } = await request(projectId);
    const rejected = await stack.call('operator', 'POST', `/v1/approvals/${body.id}/reject`, { reason: 'not this quarter' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ id: body.id, state: 'rejected', decision_reason: 'not this quarter', decided_by_subject: FIXTURES.operator.id });
    for (const [path, payload] of [
      [`/v1/credential-assignments/${body.id}/approve`, undefined],
      [`/v1/credential-assignments/${body.id}/revoke`, { reason: 'x' }],
      [`/v1/approvals/${body.id}/reject`, { reason: 'again' }],
    ] as const) {
      const res = await stack.call('operator', 'POST', path, payload);
      expect(res.status, path).toBe(409);
      expect(res.body.code).toBe('illegal_transition');
    }
  });

  it('allows one live assignment per project and credential, and a new request after a rejection', async () => {
    const projectId = await newProject();
    const first = await request(projectId);
    const before = await snapshot();
    const dup = await request(projectId);
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('duplicate_live_assignment');
    expect(await snapshot()).toEqual(before);
    await stack.call('operator', 'POST', `/v1/credential-assignments/${first.body.id}/reject`, { reason: 'no' });
    expect((await request(projectId)).status).toBe(201);
  });

  it('lets exactly one of two racing decisions win', async () => {
    for (let round = 0; round < 6; round++) {
      const projectId = await newProject();
      const { body } = await request(projectId);
      const [a, b] = await Promise.all([
        stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/approve`),
        stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/reject`, { reason: 'race' }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const final = await stack.call('admin', 'GET', `/v1/credential-assignments/${body.id}`);
      const winner = a.status === 200 ? 'approved' : 'rejected';
      expect(final.body.state).toBe(winner);
    }
  });

  it('revokes an approved assignment; materialised goes false', async () => {
    const projectId = await newProject();
    const { body } = await request(projectId);
    await stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/approve`);
    const revoked = await stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/revoke`, { reason: 'rotation' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: 'revoked', materialised: false });
    expect((await request(projectId)).status).toBe(201);
  });

  it('does not let a non-owner decide (the domain admin is not the credential owner)', async () => {
    // A request made by the admin can only be refused to the admin as self-approval; so the
    // non-owner case is shown with revoke, which needs the credential's owner.
    const projectId = await newProject();
    const { body } = await request(projectId);
    await stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/approve`);
    const res = await stack.call('admin', 'POST', `/v1/credential-assignments/${body.id}/revoke`, { reason: 'mine' });
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('insufficient_relation');
  });
});

describe('bad input', () => {
  it('answers malformed ids, unknown fields and unknown credentials with the contract codes and stores nothing', async () => {
    const projectId = await newProject();
    const before = await snapshot();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/projects/nope/credential-assignments', { cloud_credential_id: credentialId }, 400, 'invalid_project_id'],
      ['POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: credentialId, extra: 1 }, 400, 'invalid_body'],
      ['POST', `/v1/projects/${projectId}/credential-assignments`, {}, 400, 'invalid_body'],
      [
        'POST',
        `/v1/projects/${projectId}/credential-assignments`,
        { cloud_credential_id: credentialId, cloud_id: FIXTURES.cloud.id },
        400,
        'ambiguous_credential_target',
      ],
      ['POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: '019100c0-0d00-7000-8000-0000000000ff' }, 422, 'credential_not_assignable'],
      ['POST', '/v1/credential-assignments/nope/approve', undefined, 400, 'invalid_credential_assignment_id'],
      ['POST', '/v1/approvals/nope/approve', undefined, 400, 'invalid_approval_id'],
      ['POST', '/v1/credential-assignments/019100c0-0d00-7000-8000-0000000000ff/approve', undefined, 404, 'credential_assignment_not_found'],
      ['GET', '/v1/approvals?status=bogus', undefined, 400, 'invalid_status'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await stack.call('admin', method, path, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body.code, `${method} ${path}`).toBe(code);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a request for a revoked credential with 422 credential_not_assignable', async () => {
    const payload = Buffer.from(JSON.stringify({ access_key_id: 'AKIDREVOKED', secret_access_key: 'revoked-secret' })).toString('base64');
    const created = await stack.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, { display_name: 'to-revoke', payload });
    expect(created.status).toBe(201);
    expect((await stack.call('operator', 'POST', `/v1/cloud-credentials/${created.body.id}/revoke`, { reason: 'leaked' })).status).toBe(200);
    const projectId = await newProject();
    const res = await request(projectId, created.body.id);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('credential_not_assignable');
  });
});

describe('the approvals queue and the audit trail', () => {
  it('shows pending requests to the credential owner and filters by status and kind', async () => {
    const projectId = await newProject();
    const { body } = await request(projectId);
    const pending = await stack.call('operator', 'GET', `/v1/approvals?status=pending-approval&domain_id=${DOMAIN}&limit=200`);
    expect(pending.status).toBe(200);
    const row = pending.body.items.find((a: { id: string }) => a.id === body.id);
    expect(row).toMatchObject({
      id: body.id,
      domain_id: DOMAIN,
      proposer_subject: FIXTURES.admin.id,
      action_kind: 'credential_assignment',
      state: 'pending-approval',
    });
    expect(row.expires_at).toEqual(expect.any(String));
    const none = await stack.call('operator', 'GET', '/v1/approvals?kind=cloud_assignment');
    expect(none.body.items).toEqual([]);
    const one = await stack.call('operator', 'GET', `/v1/approvals/${body.id}`);
    expect(one.body.state).toBe('pending-approval');
  });

  it('records requests and decisions with who, what, when and the correlation id', async () => {
    const projectId = await newProject();
    const { body } = await stack.call(
      'admin',
      'POST',
      `/v1/projects/${projectId}/credential-assignments`,
      { cloud_credential_id: credentialId },
      { 'x-correlation-id': 'corr-request-1' },
    );
    await stack.call('operator', 'POST', `/v1/credential-assignments/${body.id}/approve`, undefined, { 'x-correlation-id': 'corr-approve-1' });
    const entries: Array<Record<string, string>> = [];
    let cursor: string | undefined;
    do {
      const page = await stack.call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/entries?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      entries.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor);
    const mine = entries.filter((e) => e.target === body.id);
    expect(mine.map((e) => [e.action, e.actor_subject, e.correlation_id, e.outcome])).toEqual([
      ['credential_assignment.request', FIXTURES.admin.id, 'corr-request-1', 'succeeded'],
      ['credential_assignment.approve', FIXTURES.operator.id, 'corr-approve-1', 'succeeded'],
    ]);
    expect((await stack.call('operator', 'GET', `/v1/domains/${DOMAIN}/audit/entries`)).status).toBe(200);
  });
});
