import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type Catalog, type Granted, grantedProject, provisionedBody, issueCredential, seededCatalog, untilPhase } from '../support/resources.ts';
import { DEMO_KEYS } from '../support/route-cases.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { fireTimersAfter as fireTimersAfterOn, movingClock } from '../support/moving-clock.ts';

// What the event log says about a Resource's life, over HTTP on the embedded stack: exactly the
// changes that happened, in order, once each, with who caused them.

const clock = movingClock();

const fireTimersAfter = (ms: number) => fireTimersAfterOn(clock, stack.scheduler, ms);

/** Requests wait ten minutes for a decision here, so one can expire without the clock jumping days. */
const REQUEST_TTL_SECONDS = 600;

let stack: TestStack;
let catalog: Catalog;

beforeAll(async () => {
  stack = await startTestStack({ SUBSTRATE_TIMEOUT_SECONDS: '30', ASSIGNMENT_REQUEST_TTL_SECONDS: String(REQUEST_TTL_SECONDS) }, { heartbeatIntervalMs: 500, clock });
  catalog = await seededCatalog(stack);
}, 60_000);
afterAll(() => stack?.close());

interface Event {
  id: string;
  seq: number;
  type: string;
  subject: { kind: string; id: string };
  actor?: { kind: string; id: string };
  data: Record<string, unknown>;
}

/** A project with a fresh credential approved for it, as the admin asks and the operator grants. */
const granted = (terms?: Record<string, unknown>) => grantedProject(stack, DEMO_KEYS, terms);

const create = (g: Granted, over: Record<string, unknown> = {}) =>
  stack.call('admin', 'POST', `/v1/projects/${g.projectId}/resources`, provisionedBody(catalog, g.credentialId, over));

/** Every event of the project, read page by page from the project's event route. */
async function projectEvents(projectId: string): Promise<Event[]> {
  const out: Event[] = [];
  let after = 0;
  for (;;) {
    const page = await stack.call('admin', 'GET', `/v1/projects/${projectId}/events?after_seq=${after}&limit=3`);
    expect(page.status, page.text).toBe(200);
    out.push(...page.body.items);
    if (page.body.items.length === 0) return out;
    after = page.body.next_after_seq;
  }
}

const whoAmI = async (who: 'admin' | 'operator') => (await stack.call(who, 'GET', '/v1/auth/whoami')).body.subject as string;

/** Seqs rise and ids are unique: no event twice, none out of order. */
function expectOrderedOnce(events: Event[]): void {
  expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
  expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
}

describe('the event log of a Resource', () => {
  it('a full provision and teardown writes exactly its events, in order, once each', async () => {
    const g = await granted();
    const created = await create(g);
    expect(created.status, created.text).toBe(202);
    const id = created.body.id as string;
    await untilPhase(stack, id, 'Ready');
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${id}`)).status).toBe(202);
    await untilPhase(stack, id, 'Deleted');

    const events = await projectEvents(g.projectId);
    expectOrderedOnce(events);
    const [admin, operator] = [await whoAmI('admin'), await whoAmI('operator')];
    expect(events.map((e) => [e.type, e.subject.id, e.data.phase ?? null, e.actor?.id ?? null])).toEqual([
      ['assignment.requested', g.assignmentId, null, admin],
      ['assignment.approved', g.assignmentId, null, operator],
      ['resource.created', id, 'Pending', admin],
      ['resource.lease_set', id, null, admin],
      ['resource.phase_changed', id, 'Provisioning', null],
      ['resource.phase_changed', id, 'Enrolling', null],
      ['resource.phase_changed', id, 'Ready', null],
      ['resource.phase_changed', id, 'Deregistering', admin],
      ['resource.phase_changed', id, 'Deprovisioning', null],
      ['resource.phase_changed', id, 'Deleted', null],
    ]);
    const phases = events.filter((e) => e.type === 'resource.phase_changed');
    expect(phases.map((e) => e.data.from)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning']);
    expect(phases[3]?.data).toMatchObject({ reason_code: 'delete_requested' });
  }, 60_000);

  it('a create refused by the quota is an event, and nothing else is written', async () => {
    const g = await granted({ max_live_resources: 1 });
    expect((await create(g)).status).toBe(202);
    const refused = await create(g);
    expect(refused.status).toBe(409);
    const events = await projectEvents(g.projectId);
    const refusal = events.filter((e) => e.type === 'resource.create_refused');
    expect(refusal).toHaveLength(1);
    expect(refusal[0]).toMatchObject({ subject: { kind: 'project', id: g.projectId }, data: { code: 'quota_exceeded', limit: 1, live: 1 } });
    expect(events.filter((e) => e.type === 'resource.created')).toHaveLength(1);
  });

  it('warns 15 minutes before a lease ends, once; then records the expiry and the teardown it starts', async () => {
    const g = await granted();
    const id = (await create(g, { lease_seconds: 1200 })).body.id as string;
    await untilPhase(stack, id, 'Ready');
    // Six minutes in: inside the last fifteen. The warning timer fires; firing again warns no more.
    await fireTimersAfter(6 * 60_000);
    await fireTimersAfter(7 * 60_000);
    const warned = (await projectEvents(g.projectId)).filter((e) => e.type === 'resource.lease_expiring');
    expect(warned).toHaveLength(1);
    const lease = (await stack.call('admin', 'GET', `/v1/resources/${id}`)).body.lease;
    expect(warned[0]?.data).toEqual({ expires_at: lease.expires_at });

    await fireTimersAfter(1201_000);
    await untilPhase(stack, id, 'Deleted');
    const tail = (await projectEvents(g.projectId)).filter((e) => e.subject.id === id).slice(-5);
    expect(tail.map((e) => [e.type, e.data.phase ?? null, e.data.reason_code ?? null])).toEqual([
      ['resource.lease_expiring', null, null],
      ['resource.lease_expired', null, null],
      ['resource.phase_changed', 'Deregistering', 'lease_expired'],
      ['resource.phase_changed', 'Deprovisioning', null],
      ['resource.phase_changed', 'Deleted', null],
    ]);
    expect(tail[1]?.actor).toBeUndefined();
  }, 60_000);

  it('an extended lease says so, with who moved it', async () => {
    const g = await granted();
    const id = (await create(g, { lease_seconds: 3600 })).body.id as string;
    const before = (await stack.call('admin', 'GET', `/v1/resources/${id}`)).body.lease.expires_at as string;
    const later = new Date(Date.parse(before) + 3600_000).toISOString();
    expect((await stack.call('admin', 'POST', `/v1/resources/${id}/lease`, { expires_at: later })).status).toBe(200);
    const extended = (await projectEvents(g.projectId)).filter((e) => e.type === 'resource.lease_extended');
    expect(extended.map((e) => [e.data, e.actor?.id])).toEqual([[{ from: before, expires_at: later }, await whoAmI('admin')]]);
  });

  it('an undecided request expires on time, with its event, and only once', async () => {
    const slug = `expiring-${Date.now().toString(36)}`;
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: slug, slug });
    const credentialId = await issueCredential(stack, DEMO_KEYS);
    const request = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
    expect(request.status, request.text).toBe(201);
    await fireTimersAfter((REQUEST_TTL_SECONDS + 1) * 1000);
    await fireTimersAfter((REQUEST_TTL_SECONDS + 2) * 1000);
    const events = await projectEvents(project.body.id);
    expect(events.map((e) => [e.type, e.subject.id])).toEqual([
      ['assignment.requested', request.body.id],
      ['assignment.expired', request.body.id],
    ]);
    expect(events[1]?.actor).toBeUndefined();
    const stored = await stack.call('admin', 'GET', `/v1/credential-assignments/${request.body.id}`);
    expect(stored.body).toMatchObject({ state: 'rejected', decision_reason: 'expired' });
  });

  it('an adopted Resource: created and deleted, one event each, however often the delete is sent', async () => {
    const g = await granted();
    const adopted = await stack.call('admin', 'POST', `/v1/projects/${g.projectId}/resources`, { origin: 'adopted', kind: 'node', external_ref: 'i-0adopted' });
    expect(adopted.status, adopted.text).toBe(201);
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${adopted.body.id}`)).status).toBe(204);
    // A second delete answers the same and changes nothing, so it writes no second event.
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${adopted.body.id}`)).status).toBe(204);
    const own = (await projectEvents(g.projectId)).filter((e) => e.subject.id === adopted.body.id);
    expect(own.map((e) => [e.type, e.data.origin, e.actor?.id])).toEqual([
      ['resource.created', 'adopted', await whoAmI('admin')],
      ['resource.deleted', 'adopted', await whoAmI('admin')],
    ]);
  });
});
