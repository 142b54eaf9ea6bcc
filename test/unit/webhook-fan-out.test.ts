import { describe, expect, it } from 'vitest';
import type { DomainEvent, EventDraft } from '../../functions/core/events/event.ts';
import { drainLane } from '../../functions/core/webhooks/dispatch.ts';
import { domainsBehind, type FanOutOptions, fanOutDomain } from '../../functions/core/webhooks/fan-out.ts';
import { aWebhook, type FakeFanOut, fakeFanOut, WEBHOOK_DOMAIN } from '../support/webhook-fakes.ts';

// Fan-out that follows the domain's event log from its cursor, with fake ports: a stream record is
// only a wake-up, so the events whose records were lost are fanned out too, in seq order; two
// workers at once write and send each delivery once; the cursor moves only forward, and only past
// events whose lanes were made safe.

const FAR = new Date('2100-01-01T00:00:00Z');
const OTHER_DOMAIN = '019100a0-0a00-7000-8000-0000000000ff';

const draft = (subjectId: string, domainId = WEBHOOK_DOMAIN): EventDraft => ({
  type: 'resource.phase_changed',
  at: '2030-01-01T00:00:00.000Z',
  domain_id: domainId,
  subject: { kind: 'resource', id: subjectId },
  data: { note: subjectId },
});

/** Appends one draft at a time (MemoryEventLog numbers one append's drafts alike). */
async function append(ports: FakeFanOut, drafts: EventDraft[]): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for (const d of drafts) out.push(...(await ports.events.append([d])));
  return out;
}

/** Drains each lane now, as the dispatcher does, with no deadline to speak of. */
const drainNow = (ports: FakeFanOut): FanOutOptions['drain'] => async (lanes) => {
  await Promise.all(lanes.map((lane) => drainLane(ports, lane, FAR)));
};

const options = (ports: FakeFanOut, over: Partial<FanOutOptions> = {}): FanOutOptions => ({ stopBy: FAR, drain: drainNow(ports), ...over });

/** The events each subject received, in the order they were sent. */
function sentBySubject(ports: FakeFanOut): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const request of ports.sent) {
    const event = JSON.parse(request.body) as DomainEvent;
    out[event.subject.id] = [...(out[event.subject.id] ?? []), event.seq];
  }
  return out;
}

/** A webhook registered as the use case does it: the domain listed, its cursor started at the webhook's from_seq. */
async function registered(ports: FakeFanOut, fromSeq = 0) {
  const webhook = aWebhook({ from_seq: fromSeq });
  await ports.cursors.register(webhook.domain_id, fromSeq);
  ports.webhooks.webhooks.set(webhook.id, webhook);
  return webhook;
}

describe('fan-out from the event log', () => {
  it('fans out every event after the cursor when only the last one’s record arrives, in order per subject', async () => {
    const ports = fakeFanOut();
    const webhook = await registered(ports);
    const events = await append(ports, ['a', 'b', 'a', 'b', 'a'].map((s) => draft(s)));
    // Records 1-4 were lost on the way; only seq 5's wakes the domain up.
    const result = await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 5 }));
    expect(result).toEqual({ outcome: 'caught_up', events: 5, cursor: 5 });
    const stored = (await ports.webhooks.deliveries(webhook.id)).items;
    expect(stored.map((d) => d.id).toSorted()).toEqual(events.map((e) => e.id).toSorted());
    expect(stored.every((d) => d.status === 'delivered')).toBe(true);
    expect(sentBySubject(ports)).toEqual({ a: [1, 3, 5], b: [2, 4] });
    expect(await ports.cursors.read(WEBHOOK_DOMAIN)).toBe(5);
  });

  it('goes no further than the batch’s highest seq, and a record handed over again finds nothing to do', async () => {
    const ports = fakeFanOut();
    await registered(ports);
    await append(ports, ['x', 'x', 'x', 'x'].map((s) => draft(s)));
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 2 }))).toEqual({ outcome: 'caught_up', events: 2, cursor: 2 });
    expect(sentBySubject(ports)).toEqual({ x: [1, 2] });
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 2 }))).toEqual({ outcome: 'caught_up', events: 0, cursor: 2 });
    // A timer or the sweep (no upper bound) takes the rest.
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports))).toEqual({ outcome: 'caught_up', events: 2, cursor: 4 });
    expect(sentBySubject(ports)).toEqual({ x: [1, 2, 3, 4] });
  });

  it('lets two workers run at once: each delivery is written and sent once, and the cursor moves once to the end', async () => {
    const ports = fakeFanOut();
    const webhook = await registered(ports);
    const events = await append(ports, ['p', 'q', 'p', 'q', 'p', 'r'].map((s) => draft(s)));
    let written = 0;
    const createDelivery = ports.webhooks.createDelivery.bind(ports.webhooks);
    ports.webhooks.createDelivery = async (delivery, lane) => {
      const created = await createDelivery(delivery, lane);
      if (created) written++;
      return created;
    };
    const results = await Promise.all([
      fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 6 })),
      fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 6 })),
    ]);
    // Both read the cursor at 0 and did the page; the second to move it found it there already.
    expect(results.map((r) => r.outcome).toSorted()).toEqual(['caught_up', 'overtaken']);
    expect(ports.cursors.advances).toEqual([
      { domainId: WEBHOOK_DOMAIN, to: 6, moved: true },
      { domainId: WEBHOOK_DOMAIN, to: 6, moved: false },
    ]);
    // The loser's drains found the lanes held or empty; their timers, when they fire, send nothing more.
    for (const timer of ports.armed.splice(0)) {
      ports.clock.ms = Math.max(ports.clock.ms, timer.at.getTime());
      await drainLane(ports, timer.lane, FAR);
    }
    expect(written).toBe(6);
    expect(ports.webhooks.deliveriesById.size).toBe(6);
    expect(ports.sent.map((s) => s.messageId).toSorted()).toEqual(events.map((e) => e.id).toSorted());
    expect(sentBySubject(ports)).toEqual({ p: [1, 3, 5], q: [2, 4], r: [6] });
    expect((await ports.webhooks.deliveries(webhook.id)).items.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('moves the cursor only after the page’s lanes were made safe: a failed drain leaves the page to be done again', async () => {
    const ports = fakeFanOut();
    await registered(ports);
    await append(ports, [draft('s'), draft('s')]);
    const failing = options(ports, {
      drain: async () => {
        throw new Error('Scheduler is down');
      },
    });
    await expect(fanOutDomain(ports, WEBHOOK_DOMAIN, failing)).rejects.toThrow('Scheduler is down');
    expect(await ports.cursors.read(WEBHOOK_DOMAIN)).toBe(0);
    expect(ports.sent).toEqual([]);
    // The record handed over again: the same deliveries (not written twice), drained this time.
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 2 }))).toMatchObject({ outcome: 'caught_up', cursor: 2 });
    expect(sentBySubject(ports)).toEqual({ s: [1, 2] });
    expect(ports.webhooks.deliveriesById.size).toBe(2);
  });

  it('starts a missing cursor at the smallest from_seq of the domain’s webhooks, and lists the domain for the sweep', async () => {
    const ports = fakeFanOut();
    await append(ports, ['m', 'm', 'm', 'm'].map((s) => draft(s)));
    // Registered before cursors existed: no cursor, no listing.
    const early = aWebhook({ id: '01920000-0000-7000-8000-0000000000c1', from_seq: 2 });
    const late = aWebhook({ id: '01920000-0000-7000-8000-0000000000c2', from_seq: 3 });
    for (const w of [early, late]) ports.webhooks.webhooks.set(w.id, w);
    const asked: number[] = [];
    const listByDomain = ports.events.listByDomain.bind(ports.events);
    ports.events.listByDomain = (domainId, query) => {
      asked.push(query.afterSeq);
      return listByDomain(domainId, query);
    };
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports))).toEqual({ outcome: 'caught_up', events: 2, cursor: 4 });
    expect(asked[0]).toBe(2);
    const seqs = async (id: string) => (await ports.webhooks.deliveries(id)).items.map((d) => d.event.seq).toSorted();
    expect(await seqs(early.id)).toEqual([3, 4]);
    expect(await seqs(late.id)).toEqual([4]);
    expect(await ports.cursors.domains()).toEqual([WEBHOOK_DOMAIN]);
  });

  it('leaves a domain with no webhooks and no cursor alone', async () => {
    const ports = fakeFanOut();
    await append(ports, [draft('n')]);
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { upToSeq: 1 }))).toEqual({
      outcome: 'caught_up',
      events: 0,
      cursor: undefined,
    });
    expect(ports.cursors.cursors.size).toBe(0);
    expect(ports.cursors.marked.size).toBe(0);
  });

  it('stops before a page when out of time and arms the domain’s timer to go on', async () => {
    const ports = fakeFanOut();
    await registered(ports);
    await append(ports, [draft('t')]);
    const now = ports.clock.now();
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports, { stopBy: now }))).toEqual({ outcome: 'budget', events: 0, cursor: 0 });
    expect(ports.domainTimers).toEqual([{ domainId: WEBHOOK_DOMAIN, at: now }]);
    expect(ports.sent).toEqual([]);
    // The timer fires: the dispatcher goes on.
    expect(await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports))).toMatchObject({ outcome: 'caught_up', cursor: 1 });
    expect(ports.sent).toHaveLength(1);
  });
});

describe('the sweep', () => {
  it('finds the listed domains whose cursor is behind their log, and none other', async () => {
    const ports = fakeFanOut();
    await registered(ports);
    await ports.cursors.register(OTHER_DOMAIN, 0);
    await append(ports, [draft('u'), draft('v', OTHER_DOMAIN)]);
    await fanOutDomain(ports, OTHER_DOMAIN, options(ports));
    // An unlisted domain is never looked at, behind or not.
    await append(ports, [draft('w', '019100a0-0a00-7000-8000-0000000000ee')]);
    expect(await domainsBehind(ports)).toEqual([WEBHOOK_DOMAIN]);
    await fanOutDomain(ports, WEBHOOK_DOMAIN, options(ports));
    expect(await domainsBehind(ports)).toEqual([]);
    expect(sentBySubject(ports)).toEqual({ u: [1] });
  });
});
