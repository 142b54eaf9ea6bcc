import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type Catalog, createResource, FULL_ARC, type Granted, getResource, grantedProject, issueCredential, phasesOf, provisionedBody, seededCatalog, untilPhase } from '../support/resources.ts';
import { DEMO_KEYS } from '../support/route-cases.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot, tableSnapshotButAudit } from '../support/table-snapshot.ts';
import { fireTimersAfter as fireTimersAfterOn, movingClock } from '../support/moving-clock.ts';

// Governed spend over HTTP on the embedded stack: the credential's owner approves with terms, and
// every create is admitted against them: the quota taken atomically, a lease on every Resource,
// dry runs that store nothing, narrowing and revoking that block new Resources at once.

const clock = movingClock();

const fireTimersAfter = (ms: number) => fireTimersAfterOn(clock, stack.scheduler, ms);

let stack: TestStack;
let catalog: Catalog;

beforeAll(async () => {
  stack = await startTestStack({ SUBSTRATE_TIMEOUT_SECONDS: '30' }, { heartbeatIntervalMs: 500, clock });
  catalog = await seededCatalog(stack);
}, 60_000);
afterAll(() => stack?.close());

/** A new project with a fresh credential, requested (proposing `proposed`) and approved (with `terms`). */
const granted = (terms?: Record<string, unknown>, proposed?: Record<string, unknown>) => grantedProject(stack, DEMO_KEYS, terms, proposed);

const body = (g: Granted, over: Record<string, unknown> = {}) => provisionedBody(catalog, g.credentialId, over);
const create = (g: Granted, over: Record<string, unknown> = {}, query = '') =>
  stack.call('admin', 'POST', `/v1/projects/${g.projectId}/resources${query}`, body(g, over));
const assignment = async (g: Granted) => (await stack.call('admin', 'GET', `/v1/credential-assignments/${g.assignmentId}`)).body;
const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);
const snapshotButAudit = () => tableSnapshotButAudit(stack.dynamoUrl, stack.tableName);

describe('terms on an approval', () => {
  it('a request proposes, the approver narrows, and both views carry terms and usage', async () => {
    const g = await granted({ max_live_resources: 2, max_lease_seconds: 3600 }, { max_live_resources: 3, max_lease_seconds: 7200 });
    const a = await assignment(g);
    expect(a).toMatchObject({
      proposed_terms: { max_live_resources: 3, max_lease_seconds: 7200 },
      terms: { max_live_resources: 2, max_lease_seconds: 3600 },
      usage: { live_resources: 0 },
    });
    const approval = await stack.call('operator', 'GET', `/v1/approvals/${g.assignmentId}`);
    expect(approval.body).toMatchObject({ terms: { max_live_resources: 2 }, usage: { live_resources: 0 } });
  });

  it('an approver cannot widen what was proposed, and nothing is stored', async () => {
    const slug = `widen-${Date.now().toString(36)}`;
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: slug, slug });
    const credentialId = await issueCredential(stack, DEMO_KEYS);
    const request = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, {
      cloud_credential_id: credentialId,
      terms: { allowed_blueprint_version_ids: [catalog.versionId] },
    });
    const before = await snapshotButAudit();
    const widened = await stack.call('operator', 'POST', `/v1/credential-assignments/${request.body.id}/approve`, { terms: {} });
    expect(widened.status, widened.text).toBe(422);
    expect(widened.headers.get('content-type')).toContain('application/problem+json');
    expect(widened.body.code).toBe('terms_not_narrower');
    expect(await snapshotButAudit()).toEqual(before);
    const audit = await stack.call('operator', 'GET', `/v1/domains/${FIXTURES.domain.id}/audit/entries?limit=200`);
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'credential_assignment.approve', target: request.body.id, outcome: 'denied', reason: 'terms_not_narrower' }),
    );
  });
});

// Before any Resource exists: a running node's heartbeats change the table on their own.
describe('dry runs', () => {
  it('a dry run answers the plan (lease included) and stores nothing, not even an audit entry', async () => {
    const g = await granted({ max_live_resources: 2, max_lease_seconds: 7200 });
    const before = await snapshot();
    const plan = await create(g, { lease_seconds: 3600 }, '?dry_run=true');
    expect(plan.status, plan.text).toBe(200);
    expect(plan.body).toMatchObject({ allowed: true, reasons: [], quota: { limit: 2, live: 0 } });
    expect(plan.body.resource).toMatchObject({ project_id: g.projectId, provisioning: { phase: 'Pending' } });
    expect(Date.parse(plan.body.resource.lease.expires_at) - Date.parse(plan.body.resource.created_at)).toBe(3600_000);
    expect(Date.parse(plan.body.resource.lease.max_expires_at) - Date.parse(plan.body.resource.created_at)).toBe(7200_000);
    const refusedPlan = await create(g, { lease_seconds: 9000, parameters: { surprise: 1 } }, '?dry_run=true');
    expect(refusedPlan.status).toBe(200);
    expect(refusedPlan.body.allowed).toBe(false);
    expect(refusedPlan.body.reasons.map((r: { code: string }) => r.code)).toEqual(['invalid_parameters', 'lease_beyond_terms']);
    expect(await snapshot()).toEqual(before);
    expect((await stack.call('admin', 'GET', `/v1/resources/${plan.body.resource.id}`)).status).toBe(404);
    expect(plan.body.blueprint_version).toEqual({ id: catalog.versionId, version: 'v1alpha1', parameter_schema: [] });
  });

  it("a plan names the version's parameters and constraints, to a project granted the credential only", async () => {
    const bp = await stack.call('operator', 'POST', '/v1/blueprints', { slug: `plan-bp-${Date.now().toString(36)}`, display_name: 'Planned' });
    const parameters = [
      { name: 'size', type: 'integer', required: false, default: 2, minimum: 1, maximum: 8, description: 'How many' },
      { name: 'tier', type: 'string', required: true, allowed_values: ['small', 'large'] },
    ];
    const published = await stack.call('operator', 'POST', `/v1/blueprints/${bp.body.id}/versions`, {
      version: '2.0.0',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: { parameters },
    });
    expect(published.status, published.text).toBe(201);
    const g = await granted();
    const plan = await create(g, { blueprint_version_id: published.body.id, parameters: { size: 9 } }, '?dry_run=true');
    expect(plan.body.allowed).toBe(false);
    expect(plan.body.reasons.map((r: { code: string }) => r.code)).toEqual(['invalid_parameters']);
    expect(plan.body.blueprint_version).toEqual({ id: published.body.id, version: '2.0.0', parameter_schema: parameters });
    // Requested but not approved: the catalog's data stays with those who were granted it.
    const slug = `pending-${Date.now().toString(36)}`;
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: slug, slug });
    await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: g.credentialId });
    const pending = { projectId: project.body.id, assignmentId: '', credentialId: g.credentialId };
    const unseen = await create(pending, { blueprint_version_id: published.body.id }, '?dry_run=true');
    expect(unseen.status, unseen.text).toBe(200);
    expect(unseen.body.allowed).toBe(false);
    expect(unseen.body).not.toHaveProperty('blueprint_version');
    // Approved, but on terms that name other versions: that version's schema is not theirs to see either.
    const narrowed = await granted({ allowed_blueprint_version_ids: [catalog.versionId] });
    const elsewhere = await create(narrowed, { blueprint_version_id: published.body.id }, '?dry_run=true');
    expect(elsewhere.body.reasons.map((r: { code: string }) => r.code)).toContain('blueprint_version_not_allowed');
    expect(elsewhere.body).not.toHaveProperty('blueprint_version');
  });

  it('a refused create stores nothing but its audit entry', async () => {
    const g = await granted({ max_lease_seconds: 600 });
    const before = await snapshotButAudit();
    const refused = await create(g, { lease_seconds: 601 });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'lease_beyond_terms', max_lease_seconds: 600 });
    expect(await snapshotButAudit()).toEqual(before);
  });
});

describe('the quota', () => {
  it('fifty concurrent creates against a limit of five leave exactly five Resources', async () => {
    const g = await granted({ max_live_resources: 5 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => create(g)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 409)).toHaveLength(45);
    const refused = answers.find((a) => a.status === 409);
    expect(refused?.body).toMatchObject({ code: 'quota_exceeded', limit: 5, live: 5 });
    const listed = await stack.call('admin', 'GET', `/v1/projects/${g.projectId}/resources?limit=200`);
    expect(listed.body.items).toHaveLength(5);
    expect((await assignment(g)).usage).toEqual({ live_resources: 5 });
    // Each refusal is in the domain's audit trail, with its code.
    const audit = await stack.call('operator', 'GET', `/v1/domains/${FIXTURES.domain.id}/audit/entries?limit=200`);
    const denied = audit.body.items.filter((e: { action: string; reason?: string; target: string }) => e.action === 'resource.create' && e.target === `projects/${g.projectId}`);
    expect(denied).toHaveLength(45);
    expect(new Set(denied.map((e: { reason: string }) => e.reason))).toEqual(new Set(['quota_exceeded']));
  }, 60_000);

  it('a Resource frees its slot when it reaches Deleted', async () => {
    const g = await granted({ max_live_resources: 1 });
    const first = await createResource(stack, g.projectId, catalog, g.credentialId);
    expect((await create(g)).body.code).toBe('quota_exceeded');
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${first}`)).status).toBe(202);
    await untilPhase(stack, first, 'Deleted');
    expect((await assignment(g)).usage).toEqual({ live_resources: 0 });
    expect((await create(g)).status).toBe(202);
  }, 60_000);

  it('narrowing below what is in use blocks new Resources and touches no running one', async () => {
    const g = await granted({ max_live_resources: 3 });
    const running = await createResource(stack, g.projectId, catalog, g.credentialId);
    const narrowed = await stack.call('operator', 'PATCH', `/v1/credential-assignments/${g.assignmentId}`, { terms: { max_live_resources: 0 } });
    expect(narrowed.status, narrowed.text).toBe(200);
    expect(narrowed.body).toMatchObject({ terms: { max_live_resources: 0 }, usage: { live_resources: 1 } });
    const refused = await create(g);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', limit: 0, live: 1 });
    const view = await untilPhase(stack, running, 'Ready');
    expect(view.provisioning.reason_code).toBeUndefined();
  }, 60_000);

  it('a blueprint version the terms leave out is refused with 403 blueprint_version_not_allowed', async () => {
    const g = await granted({ allowed_blueprint_version_ids: [FIXTURES.domain.id] });
    const refused = await create(g);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.code).toBe('blueprint_version_not_allowed');
  });
});

describe('leases', () => {
  it('with no terms a Resource gets the stage default of seven days and no ceiling', async () => {
    const g = await granted();
    const created = await create(g);
    expect(created.status).toBe(202);
    const { lease, created_at } = created.body;
    expect(Date.parse(lease.expires_at) - Date.parse(created_at)).toBe(7 * 24 * 3600 * 1000);
    expect(lease.max_expires_at).toBeNull();
  });

  it('a lease moves within max_expires_at and not beyond it', async () => {
    const g = await granted({ max_lease_seconds: 7200 });
    const created = await create(g, { lease_seconds: 600 });
    const id = created.body.id;
    const max = created.body.lease.max_expires_at;
    const moved = await stack.call('admin', 'POST', `/v1/resources/${id}/lease`, { expires_at: max });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.lease).toEqual({ expires_at: max, max_expires_at: max });
    const beyond = await stack.call('admin', 'POST', `/v1/resources/${id}/lease`, { expires_at: new Date(Date.parse(max) + 1000).toISOString() });
    expect(beyond.status).toBe(422);
    expect(beyond.body).toMatchObject({ code: 'lease_beyond_terms', max_expires_at: max });
    expect((await getResource(stack, id)).lease.expires_at).toBe(max);
  });

  it('when the lease runs out the broker tears the Resource down on its own (reason lease_expired)', async () => {
    const g = await granted();
    const id = (await create(g, { lease_seconds: 60 })).body.id;
    await untilPhase(stack, id, 'Ready');
    // Not yet: the timer is not due, and waking the scheduler changes nothing.
    await stack.scheduler.wake();
    expect((await getResource(stack, id)).provisioning.phase).toBe('Ready');
    await fireTimersAfter(61_000);
    const tearing = await getResource(stack, id);
    expect(tearing.provisioning).toMatchObject({ reason_code: 'lease_expired' });
    const deleted = await untilPhase(stack, id, 'Deleted');
    expect(phasesOf(deleted)).toEqual(FULL_ARC);
  }, 60_000);

  it('an extended lease is not cut short by its earlier timer', async () => {
    const g = await granted();
    const id = (await create(g, { lease_seconds: 120 })).body.id;
    const later = new Date(clock.now().getTime() + 3600_000).toISOString();
    expect((await stack.call('admin', 'POST', `/v1/resources/${id}/lease`, { expires_at: later })).status).toBe(200);
    await fireTimersAfter(121_000);
    const view = await getResource(stack, id);
    expect(view.provisioning.reason_code).toBeUndefined();
    expect(['Pending', 'Provisioning', 'Enrolling', 'Ready']).toContain(view.provisioning.phase);
  });
});

describe('revocation', () => {
  it('blocks new Resources at once and leaves running ones alone unless it asks for teardown', async () => {
    const g = await granted();
    const running = await createResource(stack, g.projectId, catalog, g.credentialId);
    const revoked = await stack.call('operator', 'POST', `/v1/credential-assignments/${g.assignmentId}/revoke`, { reason: 'budget' });
    expect(revoked.status, revoked.text).toBe(200);
    const refused = await create(g);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('credential_not_approved');
    const view = await untilPhase(stack, running, 'Ready');
    expect(view.provisioning.reason_code).toBeUndefined();
  }, 60_000);

  it('with teardown: true tears every running Resource of the assignment down, in order', async () => {
    const g = await granted();
    const ids = [await createResource(stack, g.projectId, catalog, g.credentialId), await createResource(stack, g.projectId, catalog, g.credentialId)];
    await untilPhase(stack, ids[0] as string, 'Ready');
    const revoked = await stack.call('operator', 'POST', `/v1/credential-assignments/${g.assignmentId}/revoke`, { reason: 'budget', teardown: true });
    expect(revoked.status, revoked.text).toBe(200);
    for (const id of ids) {
      const view = await untilPhase(stack, id, 'Deleted');
      expect(view.provisioning.reason_code).toBe('assignment_revoked');
      expect(phasesOf(view).slice(-3)).toEqual(['Deregistering', 'Deprovisioning', 'Deleted']);
    }
    expect((await assignment(g)).usage).toEqual({ live_resources: 0 });
  }, 60_000);
});
