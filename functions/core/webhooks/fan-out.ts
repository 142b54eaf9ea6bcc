// Fan-out follows each domain's event log, not the stream. The log is gap-free and read
// consistently in seq order; a per-domain cursor says how far its events were fanned out. A stream
// record (or a timer, or the sweep) only wakes the domain up: the worker reads the events after the
// cursor, writes their deliveries (idempotent), makes each lane safe (drained, or a timer armed),
// and only then moves the cursor past them. So a record the stream lost is fanned out by the next
// record of its domain, or by the sweep; and a worker that starts past the cursor knows every
// earlier delivery is written, so a subject's later event cannot overtake an earlier one.
import type { Clock } from '../clock.ts';
import type { EventLog } from '../events/event.ts';
import { fanOut, laneKey } from './dispatch.ts';
import type { FanOutCursors, FanOutTimers, Lane, WebhookStore } from './webhook.ts';

export interface FanOutPorts {
  clock: Clock;
  webhooks: WebhookStore;
  events: Pick<EventLog, 'listByDomain'>;
  cursors: FanOutCursors;
  fanOutTimers: FanOutTimers;
}

export interface FanOutOptions {
  /** No page is started at or after this time; what is left goes to a timer. */
  stopBy: Date;
  /** Stop once the cursor reaches this seq (a stream batch's highest); none: the end of the log. */
  upToSeq?: number | undefined;
  /**
   * Makes the lanes safe: each drained, or a timer armed for it. The cursor moves past a page only
   * after this resolved, so an invocation that dies in between leaves the page to be fanned out again.
   */
  drain: (lanes: Lane[]) => Promise<void>;
}

export type FanOutOutcome =
  | 'caught_up' // the cursor reached upToSeq, or the end of the log (or the domain has no webhooks to follow)
  | 'overtaken' // another worker moved the cursor past this one's page: it goes on from there
  | 'budget'; // out of time: a timer is armed to go on

export interface FanOutResult {
  outcome: FanOutOutcome;
  /** Events fanned out by this call. */
  events: number;
  /** The cursor where this call left it (undefined: the domain has no cursor and no webhooks). */
  cursor: number | undefined;
}

/** Events read per page: one page's deliveries are written, its lanes made safe, then the cursor moves. */
export const FAN_OUT_PAGE = 100;

/**
 * Fans out the domain's events after its cursor, page by page, in seq order. A missing cursor (a
 * webhook registered before cursors existed) starts at the smallest `from_seq` of the domain's
 * webhooks; a domain with neither has nothing to follow. Two workers may run at once: both write
 * the same deliveries (each once) and the one that moves the cursor second stops.
 */
export async function fanOutDomain(ports: FanOutPorts, domainId: string, options: FanOutOptions): Promise<FanOutResult> {
  let cursor = await ports.cursors.read(domainId);
  if (cursor === undefined) {
    const webhooks = await ports.webhooks.listByDomain(domainId);
    if (webhooks.length === 0) return { outcome: 'caught_up', events: 0, cursor };
    cursor = await ports.cursors.register(domainId, Math.min(...webhooks.map((w) => w.from_seq)));
  }
  let events = 0;
  for (;;) {
    const upTo = options.upToSeq;
    if (upTo !== undefined && cursor >= upTo) return { outcome: 'caught_up', events, cursor };
    const now = ports.clock.now();
    if (now.getTime() >= options.stopBy.getTime()) {
      await ports.fanOutTimers.arm(domainId, now);
      return { outcome: 'budget', events, cursor };
    }
    const limit = upTo === undefined ? FAN_OUT_PAGE : Math.min(FAN_OUT_PAGE, upTo - cursor);
    const page = await ports.events.listByDomain(domainId, { afterSeq: cursor, limit });
    if (page.items.length === 0) return { outcome: 'caught_up', events, cursor };
    // Read after the events were: a webhook registered later starts past them (its from_seq) and needs none.
    const webhooks = await ports.webhooks.listByDomain(domainId);
    const lanes = new Map<string, Lane>();
    for (const event of page.items) for (const lane of await fanOut(ports, event, webhooks)) lanes.set(laneKey(lane), lane);
    await options.drain([...lanes.values()]);
    events += page.items.length;
    if (!(await ports.cursors.advance(domainId, page.lastSeq))) return { outcome: 'overtaken', events, cursor };
    cursor = page.lastSeq;
  }
}

/** At most this many domains are looked at together by the sweep. */
const SWEEP_READS_AT_ONCE = 16;

/**
 * The sweep's question: which registered domains have events their cursor has not reached (a lost
 * stream record with no later one of its domain to recover it). Compares each cursor with its
 * domain's event counter.
 */
export async function domainsBehind(ports: Pick<FanOutPorts, 'cursors' | 'webhooks'>): Promise<string[]> {
  const domains = await ports.cursors.domains();
  const behind: string[] = [];
  for (let at = 0; at < domains.length; at += SWEEP_READS_AT_ONCE) {
    const chunk = domains.slice(at, at + SWEEP_READS_AT_ONCE);
    const seen = await Promise.all(
      chunk.map(async (domainId) => {
        const [cursor, last] = await Promise.all([ports.cursors.read(domainId), ports.webhooks.lastSeq(domainId)]);
        return cursor === undefined || cursor < last;
      }),
    );
    behind.push(...chunk.filter((_, i) => seen[i]));
  }
  return behind;
}
