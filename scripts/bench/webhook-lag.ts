import { FIXTURES } from '../fixtures.ts';
import { EVENT_TYPES } from '../../functions/core/events/event.ts';
import { startReceiver, type Receiver } from '../../test/support/webhook-receiver.ts';
import { type BenchClient, runConcurrent } from './client.ts';
import { approvedProject, type Catalog, createResource, untilAll } from './lifecycle.ts';
import type { Table } from './report.ts';
import { type Summary, summarize } from './stats.ts';

// Delivery lag: a webhook subscribed to every event type of the seeded domain, pointed at a
// receiver on the loopback, while a batch of Resources is created together, provisioned and torn
// down. Each event's lag is the time its first delivery arrived minus the event's own `at` (taken
// by its writer just before the commit): the change feed, the dispatcher, signing and the POST.
// Events of a subject queue behind each other by design, so a burst shows as lag too.

export interface WebhookLag {
  events: number;
  /** Events of the domain committed during the run that had not arrived when the probe gave up waiting. */
  missing: number;
  /** Arrivals beyond the first per event (at-least-once: redelivered after a lost answer). */
  duplicates: number;
  lagMs: Summary;
}

interface LagProbe {
  /** Stops the receiver and answers the figures of everything it was sent. */
  finish(table: Table): Promise<WebhookLag>;
}

async function startLagProbe(client: BenchClient): Promise<LagProbe> {
  const arrivals: Array<{ id: string; at: string; receivedMs: number }> = [];
  const receiver: Receiver = await startReceiver((_, body) => {
    const event = JSON.parse(body) as { id: string; at: string };
    arrivals.push({ id: event.id, at: event.at, receivedMs: Date.now() });
    return 204;
  });
  const startSeq = (await readEvents(client, 0)).last;
  await client.expect(201, 'admin', 'POST', `/v1/domains/${FIXTURES.domain.id}/webhooks`, { url: receiver.url, event_types: [...EVENT_TYPES] });
  return {
    async finish(table) {
      // Waits (on the fact, with a ceiling) until every event committed since the start arrived.
      const expected = (await readEvents(client, startSeq)).ids;
      const deadline = Date.now() + 120_000;
      const arrived = () => new Set(arrivals.map((a) => a.id));
      while ([...expected].some((id) => !arrived().has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      const missing = [...expected].filter((id) => !arrived().has(id)).length;
      await receiver.close();
      const first = new Map<string, number>();
      for (const a of arrivals) if (!first.has(a.id)) first.set(a.id, a.receivedMs - Date.parse(a.at));
      const figures = { events: first.size, missing, duplicates: arrivals.length - first.size, lagMs: summarize([...first.values()]) };
      table(
        'Webhook delivery lag (every event of the bench, to a loopback receiver)',
        ['events', 'missing', 'duplicates', 'p50 ms', 'p99 ms', 'max ms'],
        [[figures.events, figures.missing, figures.duplicates, figures.lagMs.p50, figures.lagMs.p99, figures.lagMs.max]],
      );
      return figures;
    },
  };
}

/** The lag of every event a batch of Resources makes, created together, provisioned and deleted. */
export async function webhookLagTable(client: BenchClient, cat: Catalog, opts: { suffix: string; resources: number }, table: Table): Promise<WebhookLag> {
  const probe = await startLagProbe(client);
  const { projectId } = await approvedProject(client, cat, `bench-webhooks-${opts.suffix}`);
  const ids = (await Promise.all(Array.from({ length: opts.resources }, () => createResource(client, cat, projectId)))).map((r) => r.id);
  await untilAll(client, projectId, ids, 'Ready', { intervalMs: 500, timeoutMs: 600_000 });
  await runConcurrent(ids.length, 8, async (i) => (await client.call('admin', 'DELETE', `/v1/resources/${ids[i]}`)).ms);
  await untilAll(client, projectId, ids, 'Deleted', { intervalMs: 500, timeoutMs: 600_000 });
  return probe.finish(table);
}

interface EventPageView {
  items: Array<{ id: string; seq: number }>;
  next_after_seq: number;
}

/** The seeded domain's events after `afterSeq`, read through the events route: their ids, and the last seq. */
async function readEvents(client: BenchClient, afterSeq: number): Promise<{ ids: Set<string>; last: number }> {
  const ids = new Set<string>();
  for (let after = afterSeq; ; ) {
    const page = await client.expect<EventPageView>(200, 'admin', 'GET', `/v1/domains/${FIXTURES.domain.id}/events?after_seq=${after}&limit=200`);
    for (const e of page.body.items) ids.add(e.id);
    if (page.body.next_after_seq === after) return { ids, last: after };
    after = page.body.next_after_seq;
  }
}
