// Following the event log: poll for what is newer than the last page, print it, move the cursor
// past it. The cursor is the broker's next_after_seq and moves only after a page was printed, so a
// lost connection (or a 5xx) is retried from where printing stopped: seq is gap-free per domain,
// so nothing is printed twice and nothing is skipped.
import type { QueryOf } from '../../client/broker.ts';
import type { DomainEvent } from '../../functions/core/events/event.ts';
import { ApiError, CliError, renderError } from '../errors.ts';
import type { ApiClient } from '../http.ts';
import { duration } from '../render.ts';

/** A page as the event routes answer it. */
export interface EventPageBody {
  items: DomainEvent[];
  next_after_seq: number;
}

/** The two logs: a Domain's, and the part of it about one Project. */
export type EventPath = '/v1/domains/{id}/events' | '/v1/projects/{id}/events';

/** Where the events come from: a log, whose it is, and the filters sent with every poll. */
export interface EventSource {
  path: EventPath;
  id: string;
  query: Omit<QueryOf<EventPath, 'get'>, 'after_seq'>;
}

export interface FollowOptions {
  afterSeq: number;
  /** The page size asked for: a full page may have more behind it. */
  limit: number;
  /** Between polls while events come; idle polls slow down to three times this. */
  intervalMs: number;
  signal: AbortSignal;
  sleep: (ms: number) => Promise<void>;
  /** Prints one page's events, in order. */
  print: (events: readonly DomainEvent[]) => void;
  /** Says on stderr why the broker could not be read and when the next try is. */
  note: (text: string) => void;
}

/** Reconnect delays double from the interval up to this. */
export const MAX_BACKOFF_MS = 30_000;

/** One page after `afterSeq`. */
export async function readPage(api: ApiClient, source: EventSource, afterSeq: number): Promise<EventPageBody> {
  return (await api.GET(source.path, { params: { path: { id: source.id }, query: { ...source.query, after_seq: afterSeq } } })).body;
}

/**
 * Worth another try: the broker could not be reached, did not answer in time, was overloaded or
 * failed (429, 5xx). A 4xx other than 429 (a session that expired, a permission) would answer the
 * same again, so it ends the follow.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 429 || err.status >= 500;
  return err instanceof CliError && (err.code === 'unreachable' || err.code === 'timeout');
}

/** The wait before reconnect attempt `failures` (1, 2, …): doubling from the interval, at most MAX_BACKOFF_MS. */
export function backoffMs(failures: number, intervalMs: number): number {
  return Math.min(intervalMs * 2 ** Math.max(0, failures - 1), Math.max(MAX_BACKOFF_MS, intervalMs));
}

/** Settles when `signal` aborts (or never, when it does not). */
function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

/** `work`, unless the signal aborts first (then undefined; a late failure of `work` is dropped). */
async function unlessAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T | undefined> {
  work.catch(() => undefined);
  const outcome = await Promise.race([work, aborted(signal)]);
  return outcome === 'aborted' && signal.aborted ? undefined : (outcome as T);
}

/**
 * Polls until the signal aborts; answers the seq to resume after. Throws what is not transient
 * (a 401 ends with plexctl's "session expired" message).
 */
export async function followEvents(api: ApiClient, source: EventSource, opts: FollowOptions): Promise<number> {
  let after = opts.afterSeq;
  let idleMs = opts.intervalMs;
  let failures = 0;
  while (!opts.signal.aborted) {
    let page: EventPageBody | undefined;
    try {
      page = await unlessAborted(opts.signal, readPage(api, source, after));
    } catch (err) {
      if (!isTransient(err)) throw err;
      failures++;
      const waitMs = backoffMs(failures, opts.intervalMs);
      opts.note(`events: ${renderError(err).replace(/^error: /, '')}; reconnecting in ${duration(waitMs)} (after seq ${after})`);
      await unlessAborted(opts.signal, opts.sleep(waitMs));
      continue;
    }
    if (!page) break;
    if (failures > 0) opts.note(`events: reconnected; resuming after seq ${after}`);
    failures = 0;
    opts.print(page.items);
    after = Math.max(after, page.next_after_seq);
    // A full page may have more behind it: read again at once. Idle polls slow down a little.
    if (page.items.length >= opts.limit) continue;
    if (page.items.length > 0) idleMs = opts.intervalMs;
    await unlessAborted(opts.signal, opts.sleep(idleMs));
    if (page.items.length === 0) idleMs = Math.min(idleMs * 1.5, opts.intervalMs * 3);
  }
  return after;
}
