// Live views: the console follows the domain's (or a project's) event log, the same gap-free log
// webhooks read, and refreshes what an event touches. Nothing polls the fleet: a follow is one
// cheap read of "anything after seq N?" every couple of seconds while the tab is visible.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from '../../client/broker.ts';
import { api, BrokerProblem, must } from './api.ts';

export type DomainEvent = Schemas['EventListView']['items'][number];
export type EventType = DomainEvent['type'];
export type EventSource = { domainId: string } | { projectId: string };

const FOLLOW_INTERVAL_MS = 2_000;

async function page(source: EventSource, afterSeq: number, types: EventType[] | undefined) {
  const query = { after_seq: afterSeq, limit: 200, ...(types?.length && { type: types }) };
  if ('domainId' in source) {
    return must(api.GET('/v1/domains/{id}/events', { params: { path: { id: source.domainId }, query } }));
  }
  return must(api.GET('/v1/projects/{id}/events', { params: { path: { id: source.projectId }, query } }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface FollowOptions {
  types?: EventType[];
  /** Hand over the events already in the log too (a feed), or only those that come later (a trigger). */
  history?: boolean;
  intervalMs?: number;
}

export interface FollowState {
  /** The last refusal of a read (403 when the caller may not read this log), cleared by the next success. */
  error: unknown;
  /** True once the log has been read up to its end at least once. */
  caughtUp: boolean;
}

/**
 * Follows an event log: reads it to its end (handing the events over when `history` is set), then
 * asks for anything newer every `intervalMs` while the page is visible. `onEvents` gets each new
 * batch, oldest first, each event once.
 */
export function useEventFollower(
  source: EventSource | undefined,
  onEvents: (events: DomainEvent[]) => void,
  opts: FollowOptions = {},
): FollowState {
  const [state, setState] = useState<FollowState>({ error: undefined, caughtUp: false });
  const handler = useRef(onEvents);
  handler.current = onEvents;
  const key = source ? JSON.stringify(source) : '';
  const types = opts.types?.join(',') ?? '';
  useEffect(() => {
    if (!source) return;
    const abort = new AbortController();
    const interval = opts.intervalMs ?? FOLLOW_INTERVAL_MS;
    void (async () => {
      let afterSeq = 0;
      let caughtUp = false;
      while (!abort.signal.aborted) {
        if (caughtUp && document.visibilityState === 'hidden') {
          await sleep(interval, abort.signal);
          continue;
        }
        try {
          const got = await page(source, afterSeq, opts.types);
          if (abort.signal.aborted) return;
          if (got.items.length && (caughtUp || opts.history)) handler.current(got.items);
          const more = got.next_after_seq > afterSeq && got.items.length > 0;
          afterSeq = got.next_after_seq;
          if (!more && !caughtUp) caughtUp = true;
          setState({ error: undefined, caughtUp });
          if (more) continue;
        } catch (err) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error: err }));
          // A refusal other than "not allowed" may pass (a restart, a network blip): keep trying.
          if (err instanceof BrokerProblem && (err.status === 403 || err.status === 404)) return;
        }
        await sleep(interval, abort.signal);
      }
    })();
    return () => abort.abort();
  }, [key, types, opts.history, opts.intervalMs]);
  return state;
}

/**
 * Calls `refresh` whenever an event of `types` arrives in the domain's log, and once when the
 * follow has caught up (what came between the caller's first read and the follow's start). While
 * the log cannot be followed (a credential owner with no role in the domain may not read it; a
 * failing read), it refreshes every `fallbackMs` instead, so the view still follows what happens.
 */
export function useLiveRefresh(domainId: string | undefined, types: EventType[], refresh: () => void, fallbackMs = 5_000): FollowState {
  const latest = useRef(refresh);
  latest.current = refresh;
  const follow = useEventFollower(domainId ? { domainId } : undefined, () => latest.current(), { types });
  const failing = follow.error !== undefined;
  useEffect(() => {
    if (!failing) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, fallbackMs);
    return () => clearInterval(timer);
  }, [failing, fallbackMs]);
  useEffect(() => {
    if (follow.caughtUp) latest.current();
  }, [follow.caughtUp]);
  return follow;
}
