import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DomainEvent, type EventDraft, eventDraft, type EventType } from '../../functions/core/events/event.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seededCatalog } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { seedTenant, type Tenant } from '../support/tenant.ts';

// The read side of the event log over HTTP: a domain's events and a project's, paged by seq, with
// a type filter; bad parameters refused with a code; read only by those who may read the domain
// (its admins and auditors) or the project (its owner too). Initech is a tenant of this test alone,
// so its log holds exactly what the test wrote.

let stack: TestStack;
let initech: Tenant;
/** Owned by Initech's plain member `owner`. */
let ownedProject: string;
/** Created by Initech's admin. */
let adminProject: string;
let written: DomainEvent[];

const UNKNOWN = '019100c0-0d00-7000-8000-0000000000ff';
const RESOURCE_A = '019100a0-0e00-7000-8000-00000000a001';
const RESOURCE_B = '019100a0-0e00-7000-8000-00000000a002';

type Page = { items: DomainEvent[]; next_after_seq: number };

beforeAll(async () => {
  stack = await startTestStack({}, { startAgents: false });
  initech = await seedTenant(stack, { tag: '0000e1e1', slug: 'initech', people: { admin: 'admin', auditor: 'auditor', member: 'member', owner: 'member' } });
  ownedProject = await initech.ownedProject('owner', 'owned');
  const created = await initech.call('admin', 'POST', '/v1/projects', { domain_id: initech.domainId, name: 'Admin project', slug: 'admin-project' });
  expect(created.status, created.text).toBe(201);
  adminProject = created.body.id;
  const on = (projectId: string, id: string) => ({ domain_id: initech.domainId, project_id: projectId, subject: { kind: 'resource' as const, id } });
  const at = (n: number) => new Date(Date.UTC(2030, 0, 1, 12, 0, n)).toISOString();
  const drafts: EventDraft[] = [
    eventDraft(on(ownedProject, RESOURCE_A), 'resource.created', at(1), { kind: 'node', origin: 'provisioned', phase: 'Pending' }),
    eventDraft(on(ownedProject, RESOURCE_A), 'resource.phase_changed', at(2), { from: 'Pending', phase: 'Provisioning', reason: 'r' }),
    eventDraft(on(adminProject, RESOURCE_B), 'resource.created', at(3), { kind: 'node', origin: 'provisioned', phase: 'Pending' }),
    eventDraft(on(ownedProject, RESOURCE_A), 'resource.phase_changed', at(4), { from: 'Provisioning', phase: 'Enrolling', reason: 'r' }),
    eventDraft(on(adminProject, RESOURCE_B), 'resource.lease_set', at(5), { expires_at: at(3600) }),
    eventDraft(on(adminProject, RESOURCE_B), 'resource.phase_changed', at(6), { from: 'Pending', phase: 'Failed', reason: 'r' }),
    eventDraft({ domain_id: initech.domainId, project_id: ownedProject, subject: { kind: 'project', id: ownedProject } }, 'resource.create_refused', at(7), {
      code: 'quota_exceeded',
    }),
  ];
  written = await deps().events.append(drafts);
});
afterAll(async () => {
  await stack?.close();
});

const domainPath = (query = '') => `/v1/domains/${initech.domainId}/events${query}`;
const projectPath = (id: string, query = '') => `/v1/projects/${id}/events${query}`;

/** A page read as `who` (must answer 200). */
async function page(who: string, path: string): Promise<Page> {
  const res = await initech.call(who, 'GET', path);
  expect(res.status, `${path}: ${res.text}`).toBe(200);
  return res.body;
}
const seqs = (p: Page) => p.items.map((e) => e.seq);

describe("a domain's events", () => {
  it('are numbered 1, 2, 3 … in the order written, and read back as written', async () => {
    expect(written.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await page('admin', domainPath('?limit=200'))).toEqual({ items: written, next_after_seq: 7 });
  });

  it('page with after_seq and limit; next_after_seq is where the next page starts, and stays put at the end', async () => {
    const first = await page('admin', domainPath('?limit=3'));
    expect([seqs(first), first.next_after_seq]).toEqual([[1, 2, 3], 3]);
    const second = await page('admin', domainPath(`?limit=3&after_seq=${first.next_after_seq}`));
    expect([seqs(second), second.next_after_seq]).toEqual([[4, 5, 6], 6]);
    const last = await page('admin', domainPath(`?limit=3&after_seq=${second.next_after_seq}`));
    expect([seqs(last), last.next_after_seq]).toEqual([[7], 7]);
    const beyond = await page('admin', domainPath('?after_seq=7'));
    expect(beyond).toEqual({ items: [], next_after_seq: 7 });
    // A live view starts where the log ends now: no events, and that seq.
    expect(await page('admin', domainPath('?after_seq=latest'))).toEqual({ items: [], next_after_seq: 7 });
    expect(seqs(await page('admin', domainPath()))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('filter by type: next_after_seq passes the events the filter skipped', async () => {
    const changed = await page('admin', domainPath('?type=resource.phase_changed&limit=2'));
    expect([seqs(changed), changed.next_after_seq]).toEqual([[2, 4], 4]);
    const rest = await page('admin', domainPath(`?type=resource.phase_changed&after_seq=${changed.next_after_seq}`));
    expect([seqs(rest), rest.next_after_seq]).toEqual([[6], 7]);
    // Several types: repeated or comma-separated, the same answer.
    const repeated = await page('admin', domainPath('?type=resource.lease_set&type=resource.create_refused'));
    expect([seqs(repeated), repeated.next_after_seq]).toEqual([[5, 7], 7]);
    expect(await page('admin', domainPath('?type=resource.lease_set,resource.create_refused'))).toEqual(repeated);
  });

  it('refuse bad parameters with 400 and a code, never clamping them', async () => {
    const cases: Array<[string, string]> = [
      ['?after_seq=-1', 'invalid_after_seq'],
      ['?after_seq=abc', 'invalid_after_seq'],
      ['?after_seq=LATEST', 'invalid_after_seq'],
      ['?after_seq=1.5', 'invalid_after_seq'],
      ['?after_seq=1000000000000', 'invalid_after_seq'],
      ['?limit=0', 'invalid_limit'],
      ['?limit=201', 'invalid_limit'],
      ['?limit=ten', 'invalid_limit'],
      ['?type=resource.exploded', 'invalid_event_type'],
      ['?type=resource.created,,resource.lease_set', 'invalid_event_type'],
      ['?type=', 'invalid_event_type'],
    ];
    for (const [query, code] of cases) {
      const res = await initech.call('admin', 'GET', domainPath(query));
      expect([res.status, res.body.code], query).toEqual([400, code]);
      expect(res.headers.get('content-type'), query).toContain('application/problem+json');
    }
    const malformed = await initech.call('admin', 'GET', '/v1/domains/nope/events');
    expect([malformed.status, malformed.body.code]).toEqual([400, 'invalid_domain_id']);
    const unknown = await initech.call('admin', 'GET', `/v1/domains/${UNKNOWN}/events`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'domain_not_found']);
  });

  it("are read by the domain's admins and auditors, and refused to everyone else", async () => {
    expect(seqs(await page('auditor', domainPath()))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const who of ['member', 'owner']) {
      const res = await initech.call(who, 'GET', domainPath());
      expect([res.status, res.body.code], who).toEqual([403, 'permission_denied']);
    }
    // Acme Corp's admin, and its platform operator (an auditor of Acme Corp only): another domain.
    for (const who of ['admin', 'operator'] as const) {
      const res = await stack.call(who, 'GET', domainPath());
      expect([res.status, res.body.code, res.body.reason], who).toEqual([403, 'permission_denied', 'out_of_scope']);
    }
  });

  it("Acme Corp's admin and its platform operator (its auditor) read Acme Corp's events", async () => {
    const place = { domain_id: FIXTURES.domain.id, subject: { kind: 'project' as const, id: UNKNOWN } };
    const [acme] = await deps().events.append([eventDraft(place, 'resource.create_refused', new Date().toISOString(), { code: 'quota_exceeded' })]);
    for (const who of ['admin', 'operator'] as const) {
      const res = await stack.call(who, 'GET', `/v1/domains/${FIXTURES.domain.id}/events?after_seq=${(acme?.seq ?? 1) - 1}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.map((e: DomainEvent) => e.id), who).toEqual([acme?.id]);
    }
    // Initech's admin is as foreign to Acme Corp as the other way round.
    const refused = await initech.call('admin', 'GET', `/v1/domains/${FIXTURES.domain.id}/events`);
    expect([refused.status, refused.body.reason]).toEqual([403, 'out_of_scope']);
  });
});

describe("a project's events", () => {
  it("are its owner's to read: only that project's, in seq order, paged by project_seq and filtered the same way", async () => {
    const mine = await page('owner', projectPath(ownedProject));
    expect(seqs(mine)).toEqual([1, 2, 4, 7]);
    // The project's own count, gap-free too: the project route's after_seq and next_after_seq are in it.
    expect(mine.items.map((e) => e.project_seq)).toEqual([1, 2, 3, 4]);
    expect(mine.items.every((e) => e.project_id === ownedProject)).toBe(true);
    const first = await page('owner', projectPath(ownedProject, '?limit=2'));
    expect([seqs(first), first.next_after_seq]).toEqual([[1, 2], 2]);
    const next = await page('owner', projectPath(ownedProject, `?after_seq=${first.next_after_seq}&type=resource.phase_changed`));
    expect([seqs(next), next.next_after_seq]).toEqual([[4], 4]);
    expect(await page('owner', projectPath(ownedProject, '?after_seq=latest'))).toEqual({ items: [], next_after_seq: 4 });
    const bad = await initech.call('owner', 'GET', projectPath(ownedProject, '?type=nope'));
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_event_type']);
  });

  it("are read by whoever may read the project (the domain's admins and auditors), and refused to others", async () => {
    expect(seqs(await page('admin', projectPath(ownedProject)))).toEqual([1, 2, 4, 7]);
    expect(seqs(await page('auditor', projectPath(adminProject)))).toEqual([3, 5, 6]);
    const theirs = await initech.call('owner', 'GET', projectPath(adminProject));
    expect([theirs.status, theirs.body.code]).toEqual([403, 'permission_denied']);
    const member = await initech.call('member', 'GET', projectPath(ownedProject));
    expect([member.status, member.body.code]).toEqual([403, 'permission_denied']);
    const foreign = await stack.call('admin', 'GET', projectPath(ownedProject));
    expect([foreign.status, foreign.body.reason]).toEqual([403, 'out_of_scope']);
    const unknown = await initech.call('admin', 'GET', projectPath(UNKNOWN));
    expect([unknown.status, unknown.body.code]).toEqual([404, 'project_not_found']);
  });
});

describe('events the broker writes itself', () => {
  it('an assignment request shows up as assignment.requested, with its requester as actor, right after the last', async () => {
    const { demoCredentialId } = await seededCatalog(stack);
    const requested = await initech.call('admin', 'POST', `/v1/projects/${adminProject}/credential-assignments`, { cloud_credential_id: demoCredentialId });
    expect(requested.status, requested.text).toBe(201);
    const after = await page('admin', domainPath('?after_seq=7'));
    const types: EventType[] = after.items.map((e) => e.type);
    expect(types).toEqual(['assignment.requested']);
    expect(after.items[0]).toMatchObject({
      seq: 8,
      project_id: adminProject,
      subject: { kind: 'credential_assignment', id: requested.body.id },
      actor: { kind: 'user', id: initech.users.admin },
      data: { cloud_credential_id: demoCredentialId },
    });
  });
});

describe('the OpenAPI document', () => {
  it('documents after_seq, type and limit on both routes, and the page with next_after_seq and gap-free seq', async () => {
    const doc = (await stack.call(null, 'GET', '/v1/openapi.json')).body;
    for (const path of ['/v1/domains/{id}/events', '/v1/projects/{id}/events']) {
      const op = doc.paths[path].get;
      const query = Object.fromEntries(op.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string; schema: unknown }) => [p.name, p.schema]));
      expect(Object.keys(query).sort(), path).toEqual(['after_seq', 'limit', 'type']);
      expect(query.after_seq, path).toMatchObject({ oneOf: [{ type: 'integer', minimum: 0 }, { const: 'latest' }], default: 0 });
      expect(query.type, path).toMatchObject({ type: 'array', items: { enum: expect.arrayContaining(['resource.phase_changed', 'assignment.requested']) } });
      expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/EventListView' });
    }
    const view = doc.components.schemas.EventListView;
    expect(view.required.sort()).toEqual(['items', 'next_after_seq']);
    expect(view.description).toMatch(/no gaps/);
  });
});
