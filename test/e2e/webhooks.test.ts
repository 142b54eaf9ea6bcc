import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent, EventDraft } from '../../functions/core/events/event.ts';
import type { DeliveryView } from '../../functions/core/webhooks/webhook.ts';
import { deps } from '../../functions/shared/composition.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedDomain, seedUser } from '../../scripts/seed.ts';
import { issueCredential } from '../support/resources.ts';
import { DEMO_KEYS } from '../support/route-cases.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { waitFor } from '../support/wait.ts';
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts';
import { fireTimersAfter as fireTimersAfterOn, movingClock } from '../support/moving-clock.ts';

// Signed webhooks on the embedded stack, end to end: events committed by the API reach the table's
// change feed, the dispatcher signs and POSTs them to a receiver on the loopback, retries with
// backoff, parks past the retry window, and redelivers by hand. The receiver checks every signature
// with the Standard Webhooks reference library, an implementation we did not write.

const DOMAIN = FIXTURES.domain.id;
const clock = movingClock();

let stack: TestStack;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await startTestStack({ WEBHOOK_RETRY_BASE_SECONDS: '1', WEBHOOK_RETRY_MAX_SECONDS: '2', WEBHOOK_TIMEOUT_SECONDS: '5' }, { clock });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(answer: Receiver['answer']): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function register(url: string, eventTypes: string[]): Promise<{ id: string; secret: string }> {
  const res = await stack.call('admin', 'POST', `/v1/domains/${DOMAIN}/webhooks`, { url, event_types: eventTypes });
  expect(res.status, res.text).toBe(201);
  expect(res.headers.get('location')).toBe(`/v1/webhooks/${res.body.id}`);
  return { id: res.body.id, secret: res.body.secret };
}

async function deliveries(webhookId: string): Promise<DeliveryView[]> {
  const res = await stack.call('admin', 'GET', `/v1/webhooks/${webhookId}/deliveries?limit=200`);
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

/** Verifies a received request as a Standard Webhooks receiver would, and answers the event it carries. */
function verified(secret: string, r: Receiver['received'][number]): DomainEvent {
  const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
  return new StandardWebhook(secret).verify(r.body, headers) as DomainEvent;
}

const fireTimersAfter = (ms: number) => fireTimersAfterOn(clock, stack.scheduler, ms);

/** Appends events straight to the log (what a store's write does in its transaction). */
function append(drafts: EventDraft[]): Promise<DomainEvent[]> {
  return deps().events.append(drafts);
}
const draft = (subjectId: string, type: EventDraft['type'] = 'resource.phase_changed'): EventDraft => ({
  type,
  at: clock.now().toISOString(),
  domain_id: DOMAIN,
  subject: { kind: 'resource', id: subjectId },
  data: { note: subjectId },
});

describe('a webhook on the API’s own events', () => {
  it('gets each event, signed, per subject in seq order, after two failed attempts; the deliveries list shows them', async () => {
    // The first two requests fail (500): the first event is retried, and the second waits behind it.
    const r = await receiver((index) => (index < 2 ? 500 : 204));
    const hook = await register(r.url, ['assignment.requested', 'assignment.approved']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Hooks', slug: `hooks-${Date.now().toString(36)}` });
    const credentialId = await issueCredential(stack, DEMO_KEYS);
    const requested = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
    expect(requested.status, requested.text).toBe(201);
    expect((await stack.call('operator', 'POST', `/v1/credential-assignments/${requested.body.id}/approve`)).status).toBe(200);

    const accepted = await waitFor(async () => {
      const ok = r.received.filter((x) => x.status < 300);
      return ok.length >= 2 ? ok : undefined;
    }, { what: 'both events accepted', timeoutMs: 30_000 });

    const events = r.received.map((x) => verified(hook.secret, x));
    // Every request's webhook-id is its event's id; the only repeats are the retries of the first.
    for (const [i, x] of r.received.entries()) expect(x.headers['webhook-id']).toBe(events[i]?.id);
    expect(events.map((e) => e.type)).toEqual(['assignment.requested', 'assignment.requested', 'assignment.requested', 'assignment.approved']);
    expect(events.every((e) => e.subject.id === requested.body.id)).toBe(true);
    expect(accepted.map((x) => JSON.parse(x.body).seq)).toEqual([...accepted.map((x) => JSON.parse(x.body).seq)].sort((a, b) => a - b));

    // The body is the event as the events API shows it.
    const log = await stack.call('admin', 'GET', `/v1/domains/${DOMAIN}/events?type=assignment.requested,assignment.approved`);
    expect(log.status, log.text).toBe(200);
    for (const e of events) expect(log.body.items).toContainEqual(e);

    const list = await waitFor(async () => {
      const items = await deliveries(hook.id);
      return items.length === 2 && items.every((d) => d.status === 'delivered') ? items : undefined;
    }, { what: 'both deliveries recorded as delivered' });
    const first = list.find((d) => d.event_type === 'assignment.requested');
    expect(first?.attempts.map((a) => a.status_code)).toEqual([500, 500, 204]);
    expect(first).toMatchObject({ id: events[0]?.id, event_id: events[0]?.id, status: 'delivered', next_attempt_at: null });
    expect(first?.attempts.every((a) => Number.isInteger(a.duration_ms))).toBe(true);
  }, 60_000);
});

describe('ordering per subject', () => {
  it('holds a subject’s later events behind a failing earlier one, while another subject goes on', async () => {
    let failsLeft = 2;
    const r = await receiver((_, body) => {
      const event = JSON.parse(body) as DomainEvent;
      if (event.subject.id === 'slow' && failsLeft > 0) {
        failsLeft--;
        return 503;
      }
      return 200;
    });
    const hook = await register(r.url, ['resource.phase_changed']);
    await append([draft('slow'), draft('slow'), draft('fast'), draft('slow'), draft('fast')]);
    await waitFor(async () => (r.received.filter((x) => x.status < 300).length === 5 ? true : undefined), { what: 'all five accepted' });
    const bodies = r.received.map((x) => verified(hook.secret, x));
    for (const subject of ['slow', 'fast']) {
      const seqs = bodies.filter((e) => e.subject.id === subject).map((e) => e.seq);
      // Repeats (the retries of the head) are allowed; going back in seq never is.
      expect(seqs, subject).toEqual([...seqs].sort((a, b) => a - b));
    }
    const slow = r.received.filter((x) => JSON.parse(x.body).subject.id === 'slow');
    expect(slow.slice(0, 3).map((x) => x.status)).toEqual([503, 503, 200]);
    expect(new Set(slow.slice(0, 3).map((x) => x.headers['webhook-id'])).size).toBe(1);
  }, 60_000);
});

describe('parking and redelivery', () => {
  it('parks a delivery past the retry window, and redelivers it by hand', async () => {
    let up = false;
    const r = await receiver(() => (up ? 204 : 500));
    const hook = await register(r.url, ['resource.lease_expiring']);
    const [event] = await append([draft('parked-one', 'resource.lease_expiring')]);
    const failedOnce = await waitFor(async () => {
      const [d] = await deliveries(hook.id);
      return (d?.attempts.length ?? 0) >= 1 && d?.status === 'pending' ? d : undefined;
    }, { what: 'a first failed attempt' });
    expect(failedOnce.next_attempt_at).toEqual(expect.any(String));

    // A day and more later, the timer fires: the attempt fails again and the delivery is parked.
    const parked = await waitFor(async () => {
      await fireTimersAfter(25 * 3600_000);
      const [d] = await deliveries(hook.id);
      return d?.status === 'parked' ? d : undefined;
    }, { what: 'the delivery parked' });
    expect(parked).toMatchObject({ id: event?.id, next_attempt_at: null, parked_at: expect.any(String) });
    expect(parked.attempts.at(-1)?.status_code).toBe(500);

    const noRedeliveryOfPending = await stack.call('admin', 'POST', `/v1/webhooks/${hook.id}/deliveries/${event?.id}/redeliver`);
    expect(noRedeliveryOfPending.status).toBe(202);
    expect(noRedeliveryOfPending.body).toMatchObject({ status: 'pending', redelivered_at: expect.any(String) });
    up = true;
    const delivered = await waitFor(async () => {
      await stack.scheduler.wake();
      const [d] = await deliveries(hook.id);
      return d?.status === 'delivered' ? d : undefined;
    }, { what: 'the redelivery accepted' });
    expect(delivered.attempts.at(-1)?.status_code).toBe(204);
    expect(r.received.at(-1)?.headers['webhook-id']).toBe(event?.id);
    const again = await stack.call('admin', 'POST', `/v1/webhooks/${hook.id}/deliveries/${event?.id}/redeliver`);
    expect(again.status).toBe(202);
    const pendingAgain = await stack.call('admin', 'POST', `/v1/webhooks/${hook.id}/deliveries/${event?.id}/redeliver`);
    expect([pendingAgain.status, pendingAgain.body.code]).toEqual([409, 'delivery_pending']);
  }, 60_000);
});

describe('across domains', () => {
  it('keeps another domain’s admin out of a webhook, and its events out of the deliveries', async () => {
    const globex = '019100a0-0a00-7000-8000-0000000000c7';
    const globexAdmin = { id: '019100a0-0c00-7000-8000-0000000000c7', email: 'admin@globex-hooks.example', name: 'Globex Admin' };
    const table = new Table(stack.tableName);
    const report = { created: [], kept: [] };
    const at = new Date().toISOString();
    await seedDomain(table, report, {
      domain: { id: globex, slug: 'globex-hooks', name: 'Globex', mesh_cidr: '100.66.0.0/16', created_at: at, updated_at: at },
      binding: { id: '019100a0-0b00-7000-8000-0000000000c7', domain_id: globex, label: 'Globex', kind: 'password', issuer_host: 'localhost', primary: true, platform_scoped: false },
    });
    await seedUser(table, report, { ...globexAdmin, domainId: globex, password: 'pw-globex', roles: { platform_operator: false, domain_roles: { [globex]: ['admin'] } } });
    const token = (await deps().tokens.issue({ subject: globexAdmin.id, domainId: globex, email: globexAdmin.email })).token;
    const asGlobex = (method: string, path: string, body?: unknown) => stack.call(null, method, path, body, { authorization: `Bearer ${token}` });

    const r = await receiver(() => 204);
    const hook = await register(r.url, ['resource.created']);
    const refused = [
      await asGlobex('GET', `/v1/domains/${DOMAIN}/webhooks`),
      await asGlobex('POST', `/v1/domains/${DOMAIN}/webhooks`, { url: 'https://hooks.example.com/x', event_types: ['resource.created'] }),
      await asGlobex('GET', `/v1/webhooks/${hook.id}`),
      await asGlobex('GET', `/v1/webhooks/${hook.id}/deliveries`),
      await asGlobex('DELETE', `/v1/webhooks/${hook.id}`),
    ];
    expect(refused.map((x) => [x.status, x.body.code])).toEqual(Array(5).fill([403, 'permission_denied']));

    // A Globex event and then an Acme one: only Acme's reaches Acme's webhook.
    await append([{ ...draft('globex-thing', 'resource.created'), domain_id: globex }]);
    const [acme] = await append([draft('acme-thing', 'resource.created')]);
    await waitFor(async () => (r.received.length >= 1 ? true : undefined), { what: 'the Acme event' });
    expect(r.received.map((x) => JSON.parse(x.body).id)).toEqual([acme?.id]);
    expect((await deliveries(hook.id)).map((d) => d.event_id)).toEqual([acme?.id]);
  }, 60_000);
});

describe('lost stream records', () => {
  /** Appends events whose stream records are lost: the change feed hands the dispatcher nothing for them. */
  async function appendLost(drafts: EventDraft[]): Promise<DomainEvent[]> {
    stack.changeFeed.lose(true);
    try {
      return await append(drafts);
    } finally {
      stack.changeFeed.lose(false);
    }
  }

  it('delivers an event whose record was lost with the next event of its domain, in order', async () => {
    const r = await receiver(() => 204);
    const hook = await register(r.url, ['resource.lease_extended']);
    const [lost] = await appendLost([draft('lost-record', 'resource.lease_extended')]);
    // Nothing woke the dispatcher up (a losing feed queues nothing, and the sweeper is off here):
    // no delivery was written for it.
    expect(await deliveries(hook.id)).toEqual([]);

    const [next] = await append([draft('lost-record', 'resource.lease_extended')]);
    await waitFor(async () => (r.received.length >= 2 ? true : undefined), { what: 'both events' });
    const bodies = r.received.map((x) => verified(hook.secret, x));
    expect(bodies.map((e) => e.id)).toEqual([lost?.id, next?.id]);
    const list = await waitFor(async () => {
      const items = await deliveries(hook.id);
      return items.length === 2 && items.every((d) => d.status === 'delivered') ? items : undefined;
    }, { what: 'both deliveries listed as delivered' });
    expect(list.map((d) => d.event_seq).toSorted((a, b) => a - b)).toEqual([lost?.seq, next?.seq]);
  }, 60_000);

  it('delivers a lost event with no later one in its domain on the next sweep', async () => {
    const r = await receiver(() => 204);
    const hook = await register(r.url, ['resource.lease_expired']);
    const [lost] = await appendLost([draft('swept', 'resource.lease_expired')]);
    expect(r.received).toEqual([]);

    await stack.sweepWebhooksNow();
    await waitFor(async () => (r.received.length >= 1 ? true : undefined), { what: 'the swept event' });
    expect(r.received.map((x) => verified(hook.secret, x).id)).toEqual([lost?.id]);
    expect((await deliveries(hook.id)).map((d) => [d.event_id, d.status])).toEqual([[lost?.id, 'delivered']]);
    // Caught up: another sweep sends nothing again.
    await stack.sweepWebhooksNow();
    expect(r.received).toHaveLength(1);
  }, 60_000);
});
