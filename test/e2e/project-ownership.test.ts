import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { eventDraft } from '../../functions/core/events/event.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { signedInPlexctl } from '../support/plexctl.ts';
import { demoCredentialId } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { seedTenant, type Tenant } from '../support/tenant.ts';

// Ownership follows membership (#14 item 6): an owner keeps owner rights only while holding a
// role that may own projects (admin, member) in the project's domain, and
// POST /v1/projects/{id}/owner hands a project on (its owner or a domain admin).

let stack: TestStack;
let umbrella: Tenant;
let n = 0;

beforeAll(async () => {
  stack = await startTestStack({}, { startAgents: false });
  umbrella = await seedTenant(stack, {
    tag: '0000a0e6',
    slug: 'umbrella',
    people: { admin: 'admin', owner: 'member', heir: 'member', auditor: 'auditor', nobody: 'none', leaver: 'member', asker: 'member' },
  });
});
afterAll(async () => {
  await stack?.close();
});

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);
const transfer = (who: string, projectId: string, userId: string) => umbrella.call(who, 'POST', `/v1/projects/${projectId}/owner`, { user_id: userId });
const ownedBy = (who: string) => umbrella.ownedProject(who, `owned-${who}-${++n}`);

/** Sets a user's roles in the tenant's domain straight in the table (the API has no membership route). */
async function setRoles(userId: string, roles: string[]): Promise<void> {
  await new Table(stack.tableName).update({
    Key: keys.user(userId),
    UpdateExpression: 'SET domain_roles = :r',
    ExpressionAttributeValues: { ':r': { [umbrella.domainId]: roles } },
  });
}

describe('transferring a project', () => {
  it('by its owner: the heir runs it, the old owner keeps nothing; an event and an audit entry record it', async () => {
    const id = await ownedBy('owner');
    const res = await transfer('owner', id, umbrella.users.heir as string);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id, owner_id: umbrella.users.heir });
    expect((await umbrella.call('heir', 'PATCH', `/v1/projects/${id}`, { name: 'Mine now' })).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', `/v1/projects/${id}`, undefined],
      ['PATCH', `/v1/projects/${id}`, { name: 'Still mine?' }],
      ['POST', `/v1/projects/${id}/owner`, { user_id: umbrella.users.owner }],
    ] as const) {
      expect((await umbrella.call('owner', method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    const events = await umbrella.call('admin', 'GET', `/v1/projects/${id}/events`);
    expect(events.body.items).toContainEqual(
      expect.objectContaining({
        type: 'project.owner_changed',
        subject: { kind: 'project', id },
        actor: { kind: 'user', id: umbrella.users.owner },
        data: { from: umbrella.users.owner, to: umbrella.users.heir },
      }),
    );
    const audit = await umbrella.call('admin', 'GET', `/v1/domains/${umbrella.domainId}/audit/entries?limit=200`);
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'project.transfer_owner', target: id, outcome: 'succeeded', actor_subject: umbrella.users.owner }),
    );
  });

  it('by a domain admin, of a project it does not own', async () => {
    const id = await ownedBy('owner');
    const res = await transfer('admin', id, umbrella.users.heir as string);
    expect(res.status, res.text).toBe(200);
    expect(res.body.owner_id).toBe(umbrella.users.heir);
  });

  it('is refused with 403 to anyone else, and stores nothing', async () => {
    const id = await ownedBy('owner');
    const before = await snapshot();
    for (const who of ['heir', 'auditor', 'nobody']) {
      const res = await transfer(who, id, umbrella.users[who] as string);
      expect(res.status, who).toBe(403);
      expect(res.body.code).toBe('permission_denied');
    }
    // An admin of another domain.
    const foreign = await stack.call('admin', 'POST', `/v1/projects/${id}/owner`, { user_id: FIXTURES.admin.id });
    expect(foreign.status).toBe(403);
    expect(foreign.body.reason).toBe('out_of_scope');
    expect(await snapshot()).toEqual(before);
  });

  it('to someone who may not own projects in the domain is 422 owner_not_eligible, and stores nothing', async () => {
    const id = await ownedBy('owner');
    const before = await snapshot();
    const UNKNOWN = '019100c0-0d00-7000-8000-0000000000ff';
    for (const [who, userId] of [
      ['an admin of another domain', FIXTURES.admin.id],
      ['an auditor', umbrella.users.auditor],
      ['a user with no role', umbrella.users.nobody],
      ['no such user', UNKNOWN],
    ] as const) {
      const res = await transfer('owner', id, userId as string);
      expect(res.status, who).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.code, who).toBe('owner_not_eligible');
    }
    const bad = await transfer('owner', id, 'not-a-uuid');
    expect(bad.status).toBe(400);
    expect(await snapshot()).toEqual(before);
    expect((await umbrella.call('owner', 'GET', `/v1/projects/${id}`)).body.owner_id).toBe(umbrella.users.owner);
  });

  it('lets one of two racing transfers win: the write is conditioned on the owner read', async () => {
    const id = await ownedBy('owner');
    const project = (await deps().tenancy.getProject(id)) as Project;
    const at = new Date().toISOString();
    const event = (to: string) =>
      eventDraft({ domain_id: project.domain_id, project_id: id, subject: { kind: 'project', id } }, 'project.owner_changed', at, { from: project.owner_id, to });
    const heir = umbrella.users.heir as string;
    const admin = umbrella.users.admin as string;
    const outcomes = await Promise.allSettled([
      deps().tenancy.transferProject(project, heir, at, event(heir)),
      deps().tenancy.transferProject(project, admin, at, event(admin)),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: 'project_owner_changed' });
    const events = await umbrella.call('admin', 'GET', `/v1/projects/${id}/events`);
    expect(events.body.items.filter((e: { type: string }) => e.type === 'project.owner_changed')).toHaveLength(1);
  });
});

describe('owner rights follow membership', () => {
  it('an owner whose member role is taken away loses every owner right at once', async () => {
    const id = await ownedBy('leaver');
    expect((await umbrella.call('leaver', 'GET', `/v1/projects/${id}`)).status).toBe(200);
    await setRoles(umbrella.users.leaver as string, []);
    for (const [method, path, body] of [
      ['GET', `/v1/projects/${id}`, undefined],
      ['PATCH', `/v1/projects/${id}`, { name: 'Gone' }],
      ['POST', `/v1/projects/${id}/credential-assignments`, { cloud_credential_id: '019100c0-0d00-7000-8000-0000000000ff' }],
      ['POST', `/v1/projects/${id}/owner`, { user_id: umbrella.users.heir }],
      ['DELETE', `/v1/projects/${id}`, undefined],
    ] as const) {
      expect((await umbrella.call('leaver', method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    // The role back, the rights back: they were never copied anywhere.
    await setRoles(umbrella.users.leaver as string, ['member']);
    expect((await umbrella.call('leaver', 'GET', `/v1/projects/${id}`)).status).toBe(200);
  });

  it('an owner whose role is taken away no longer reads the credential assignment it requested', async () => {
    const id = await ownedBy('asker');
    const requested = await umbrella.call('asker', 'POST', `/v1/projects/${id}/credential-assignments`, {
      cloud_credential_id: await demoCredentialId(stack),
    });
    expect(requested.status, requested.text).toBe(201);
    const path = `/v1/credential-assignments/${requested.body.id}`;
    expect((await umbrella.call('asker', 'GET', path)).status).toBe(200);
    await setRoles(umbrella.users.asker as string, []);
    // The same assignment as the approvals queue shows it.
    for (const at of [path, `/v1/approvals/${requested.body.id}`]) {
      const refused = await umbrella.call('asker', 'GET', at);
      expect(refused.status, `${at} ${refused.text}`).toBe(403);
      expect(refused.text).not.toContain(requested.body.cloud_credential_id);
    }
    await setRoles(umbrella.users.asker as string, ['member']);
    expect((await umbrella.call('asker', 'GET', path)).status).toBe(200);
  });

  it('an owner who is only an auditor of the domain has no owner rights', async () => {
    const id = await ownedBy('auditor');
    expect((await umbrella.call('auditor', 'PATCH', `/v1/projects/${id}`, { name: 'Nope' })).status).toBe(403);
    expect((await umbrella.call('auditor', 'DELETE', `/v1/projects/${id}`)).status).toBe(403);
  });
});

describe('plexctl project transfer', () => {
  it('hands a project on, and says why when the new owner may not own it', async () => {
    const plexctl = await signedInPlexctl(stack);
    const created = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: 'Handed', slug: 'handed-on' });
    const moved = await plexctl.json('project', 'transfer', created.body.id, '--to', FIXTURES.admin.id);
    expect(moved).toMatchObject({ id: created.body.id, owner_id: FIXTURES.admin.id });
    const refused = await plexctl.run('project', 'transfer', created.body.id, '--to', FIXTURES.operator.id);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('owner_not_eligible');
    const usage = await plexctl.run('project', 'transfer', created.body.id);
    expect(usage.stderr).toContain('--to');
  });
});
