// Live views: the console follows the domain's (or a project's) event log, the same gap-free log
// webhooks read, and refreshes what an event touches. Nothing polls the fleet: a follow is one
// cheap read of "anything after seq N?" every couple of seconds while the tab is visible. Where it
// starts, when it reads again and how it backs off is follow-loop.ts; this file binds it to the
// broker and to the page's life.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from '../../client/broker.ts';
import { api, BrokerProblem, must } from './api.ts';
import { type FollowState, followLog } from './follow-loop.ts';

export type { FollowState };
export type DomainEvent = Schemas['EventListView']['items'][number];
export type EventType = DomainEvent['type'];
export type EventSource = { domainId: string } | { projectId: string };

const FOLLOW_INTERVAL_MS = 2_000;

/** A refusal no retry changes (the caller may not read this log, or there is none): a follow ends on it. */
export function endsFollow(err: unknown): boolean {
  return err instanceof BrokerProblem && (err.status === 403 || err.status === 404);
}

function page(source: EventSource, afterSeq: number | 'latest', types: EventType[] | undefined, signal: AbortSignal) {
  const query = { after_seq: afterSeq, limit: 200, ...(types?.length && { type: types }) };
  if ('domainId' in source) {
    return must(api.GET('/v1/domains/{id}/events', { params: { path: { id: source.domainId }, query }, signal }));
  }
  return must(api.GET('/v1/projects/{id}/events', { params: { path: { id: source.projectId }, query }, signal }));
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface FollowOptions {
  types?: EventType[];
  /**
   * A feed: hand over the events among the log's latest `history` entries first, then what comes
   * later. Without it (a trigger) the follow starts where the log ends and hands over only what
   * comes later.
   */
  history?: number;
  intervalMs?: number;
}

/**
 * Follows an event log: reads its latest `history` entries (none for a trigger), then asks for
 * anything newer every `intervalMs` while the page is visible, backing off after failures.
 * `onEvents` gets each new batch, oldest first, each event once.
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
    // Another log (or none) starts again from "not caught up".
    setState((s) => (s.caughtUp || s.error !== undefined ? { error: undefined, caughtUp: false } : s));
    if (!source) return;
    const abort = new AbortController();
    const { signal } = abort;
    void followLog<DomainEvent>({
      page: (afterSeq) => page(source, afterSeq, opts.types, signal),
      onEvents: (events) => handler.current(events),
      onState: (next) => {
        if (!signal.aborted) setState(next);
      },
      history: opts.history ?? 0,
      intervalMs: opts.intervalMs ?? FOLLOW_INTERVAL_MS,
      sleep: (ms) => sleep(ms, signal),
      stopped: () => signal.aborted,
      idle: () => document.visibilityState === 'hidden',
      final: endsFollow,
    });
    return () => abort.abort();
  }, [key, types, opts.history, opts.intervalMs]);
  return state;
}

/**
 * Calls `refresh` whenever an event of `types` arrives in the domain's log, and once when the
 * follow has started (what came between the caller's first read and the follow's start). While
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
