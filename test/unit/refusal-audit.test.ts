import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AssignableCredential } from '../../functions/core/assignments/credential-directory.ts';
import { narrowTerms } from '../../functions/core/assignments/terms-change.ts';
import { type AssignmentPorts, decide, requestAssignment } from '../../functions/core/assignments/use-cases.ts';
import type { AuthzSubject, Authorizer } from '../../functions/core/authz/model.ts';
import { activeCredential, actorOf, assignmentPorts, IDS } from '../support/assignment-ports.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// A refused decision goes into the domain's audit trail only when the actor has standing there;
// asking for a credential tells nothing of one the requester could not use.

const { OWNER, REQUESTER, PROJECT, CREDENTIAL, DOMAIN } = IDS;
const STRANGER = '019100a0-0c00-7000-8000-0000000000ee';
const COLLEAGUE = '019100a0-0c00-7000-8000-0000000000ef';

/** The policies as far as these tests need them: the credential's owner decides, nobody else does. */
const ownerDecides: Authorizer = {
  decide: async (subject, action, resource) => {
    if (action === 'decide' || action === 'assign') {
      const owner = resource.type === 'CredentialAssignment' ? resource.credentialOwnerId : resource.type === 'CloudCredential' ? resource.ownerId : '';
      return owner === subject.userId ? { allowed: true } : { allowed: false, reason: 'insufficient_relation' };
    }
    return { allowed: true };
  },
};

const stranger: AuthzSubject = { userId: STRANGER, domainId: '019100a0-0a00-7000-8000-0000000000ee', platformOperator: false, adminOf: ['019100a0-0a00-7000-8000-0000000000ee'], auditorOf: [], mayOwnIn: [] };
const strangerActor = { subject: stranger, correlationId: 'stranger' };

let dynamo: TestDynamo;
let ports: AssignmentPorts;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});
beforeEach(async () => {
  const table = await dynamo.freshTable('refusals');
  const now = new Date('2026-06-01T00:00:00Z');
  ports = { ...assignmentPorts(table, { now: () => now }), authorizer: ownerDecides };
});

const trail = async () => (await ports.audit.list(DOMAIN, { limit: 200 })).items.map((e) => [e.actor_subject, e.action, e.outcome, e.reason]);

describe('a refused decision', () => {
  it('by someone with no role in the domain leaves the audit trail as it was', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    const before = await trail();
    await expect(decide(ports, strangerActor, a.id, 'approve')).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(decide(ports, strangerActor, a.id, 'reject', { reason: 'no' })).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(narrowTerms(ports, strangerActor, a.id, { max_live_resources: 1 })).rejects.toMatchObject({ code: 'permission_denied' });
    expect(await trail()).toEqual(before);
  });

  it('by someone with a role in the domain is audited', async () => {
    const a = await requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
    await expect(decide(ports, actorOf(COLLEAGUE), a.id, 'approve')).rejects.toMatchObject({ code: 'permission_denied' });
    expect(await trail()).toContainEqual([COLLEAGUE, 'credential_assignment.approve', 'denied', 'permission_denied']);
    expect((await ports.assignments.get(a.id))?.state).toBe('requested');
    expect((await decide(ports, actorOf(OWNER), a.id, 'approve')).state).toBe('approved');
  });
});

describe('asking for a credential', () => {
  it('answers a revoked, an expired and a missing credential with the same refusal', async () => {
    const of = (status: AssignableCredential['status']): AssignableCredential => ({ ...activeCredential, status });
    const refusals = [];
    for (const credential of [of('revoked'), of('expired'), undefined]) {
      const withCredential = { ...ports, credentials: { getCredential: async () => credential, credentialsOfCloud: async () => [] } };
      const err = await requestAssignment(withCredential, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL }).catch((e: unknown) => e);
      refusals.push(JSON.stringify({ name: (err as Error).name, ...(err as object), message: (err as Error).message }));
    }
    expect(new Set(refusals).size).toBe(1);
    expect(JSON.parse(refusals[0] as string)).toMatchObject({ code: 'credential_not_assignable' });
  });
});
