import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../functions/adapters/assignment-store.ts';
import { approvalState } from '../../functions/core/assignments/approvals.ts';
import { assignmentView } from '../../functions/core/assignments/assignment.ts';
import { type AssignmentPorts, decide, requestAssignment } from '../../functions/core/assignments/use-cases.ts';
import { actorOf, assignmentPorts, IDS } from '../support/assignment-ports.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// Core use cases against the real DynamoDB store (dynalite), with an authorizer that allows
// everything: what is refused here is refused by the code and the conditional writes alone.

const { OWNER, REQUESTER, PROJECT, CREDENTIAL } = IDS;

let dynamo: TestDynamo;
let ports: AssignmentPorts;
let now: Date;
let store: DynamoAssignmentStore;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});

beforeEach(async () => {
  const table = await dynamo.freshTable('assignments');
  now = new Date('2026-06-01T00:00:00Z');
  store = new DynamoAssignmentStore(table);
  ports = assignmentPorts(table, { now: () => now }, store);
});


describe('credential assignments (allow-all authorizer)', () => {
  it('still refuses a self-approval', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    await expect(decide(ports, actorOf(REQUESTER), a.id, 'approve')).rejects.toMatchObject({ code: 'self_approval_denied' });
    expect((await store.get(a.id))?.state).toBe('requested');
  });

  it('enforces separation of duties in the conditional write itself', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const at = now.toISOString();
    const refused = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: REQUESTER, at, notRequestedBy: REQUESTER });
    expect(refused).toBeUndefined();
    const accepted = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: OWNER, at, notRequestedBy: OWNER });
    expect(accepted?.state).toBe('approved');
  });

  it('pins the vaulted secret version on approval and reports materialised only while approved', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const approved = await decide(ports, actorOf(OWNER), a.id, 'approve');
    expect(approved.handle).toEqual({ secret_arn: 'arn:secret', version_id: 'v1' });
    expect(assignmentView(approved, now).materialised).toBe(true);
    const revoked = await decide(ports, actorOf(OWNER), a.id, 'revoke', { reason: 'rotation' });
    expect(assignmentView(revoked, now).materialised).toBe(false);
  });

  it('expires an undecided request: expired on the queue, rejected with reason expired on the assignment', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    now = new Date(now.getTime() + 3600 * 1000);
    expect(approvalState(a, now)).toBe('expired');
    expect(assignmentView(a, now)).toMatchObject({ state: 'rejected', decision_reason: 'expired' });
    await expect(decide(ports, actorOf(OWNER), a.id, 'approve')).rejects.toMatchObject({ code: 'illegal_transition' });
    expect(await store.get(a.id)).toMatchObject({ state: 'rejected', decision_reason: 'expired' });
    // The expired request no longer holds the live slot.
    const again = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    expect(again.state).toBe('requested');
  });

  it('refuses a decision that lands just after expiry in the write, even when the read saw it pending', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const late = new Date(Date.parse(a.expires_at) + 1).toISOString();
    expect(await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: OWNER, at: late })).toBeUndefined();
  });

  it('lets only one of two concurrent decisions land', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const results = await Promise.allSettled([decide(ports, actorOf(OWNER), a.id, 'approve'), decide(ports, actorOf(OWNER), a.id, 'reject', { reason: 'race' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'illegal_transition' });
  });
});
