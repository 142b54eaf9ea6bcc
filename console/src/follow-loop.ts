// How the console follows an event log, apart from the browser: where it starts, when a page means
// "read again at once" and when "caught up, wait", how long it waits after a failure, and when a
// refusal ends the follow. live.ts runs it with the real client and timers; the unit tests run it
// with a fake log. Nothing here touches the DOM or the API client.

/** One page of a log, as GET …/events answers it. */
export interface LogPage<E> {
  items: E[];
  /** The seq of the last event read (a type filter may have skipped it), or after_seq when none is newer. */
  next_after_seq: number;
}

export interface FollowState {
  /** The last refusal of a read (403 when the caller may not read this log), cleared by the next success. */
  error: unknown;
  /** True once the log has been read up to its end at least once. */
  caughtUp: boolean;
}

export interface FollowLoop<E> {
  /** Reads the page after `afterSeq`; `'latest'` answers no events and where the log ends now. */
  page: (afterSeq: number | 'latest') => Promise<LogPage<E>>;
  /** Gets each new batch, oldest first, each event once. */
  onEvents: (events: E[]) => void;
  /** Told only when the state changes (so a quiet poll costs no re-render). */
  onState: (state: FollowState) => void;
  /**
   * How many of the log's latest entries to hand over first (a feed showing its newest N); 0 for a
   * trigger, which starts where the log ends and hands over only what comes later.
   */
  history: number;
  intervalMs: number;
  /** Waits `ms`, or less when the follow is stopped. */
  sleep: (ms: number) => Promise<void>;
  stopped: () => boolean;
  /** True while nobody looks (a hidden tab): a caught-up follow only waits then. */
  idle: () => boolean;
  /** A refusal that no retry will change (403, 404): the follow ends. */
  final: (err: unknown) => boolean;
}

export const MAX_BACKOFF_MS = 30_000;

/** The wait after the `failures`-th failure in a row: the interval, doubled each time, at most 30 s. */
export function backoff(failures: number, intervalMs: number): number {
  return Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** Math.max(0, failures - 1));
}

/**
 * What one page says: `more` when the cursor moved (read again at once: a filtered read may answer
 * no events yet move on, and the rest of the log is still unread); else the log is read to its end.
 */
export function afterPage(afterSeq: number, page: LogPage<unknown>): { afterSeq: number; more: boolean } {
  const more = page.next_after_seq > afterSeq;
  return { afterSeq: more ? page.next_after_seq : afterSeq, more };
}

/** Where a follow starts, given where the log ends now: `history` entries back (never before 0). */
export function startSeq(latest: number, history: number): number {
  return Math.max(0, latest - Math.max(0, history));
}

function sameError(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!(a instanceof Error) || !(b instanceof Error)) return false;
  const status = (e: Error) => (e as Error & { status?: unknown }).status;
  return a.constructor === b.constructor && a.message === b.message && status(a) === status(b);
}

/** Follows a log until `stopped()` or a final refusal. */
export async function followLog<E>(loop: FollowLoop<E>): Promise<void> {
  let state: FollowState = { error: undefined, caughtUp: false };
  const set = (next: FollowState) => {
    if (next.caughtUp === state.caughtUp && sameError(next.error, state.error)) return;
    state = next;
    loop.onState(next);
  };
  let afterSeq: number | undefined;
  let failures = 0;
  while (!loop.stopped()) {
    if (state.caughtUp && loop.idle()) {
      await loop.sleep(loop.intervalMs);
      continue;
    }
    let more = false;
    try {
      if (afterSeq === undefined) {
        const latest = (await loop.page('latest')).next_after_seq;
        afterSeq = startSeq(latest, loop.history);
        // Nothing to read back: caught up at once.
        more = afterSeq < latest;
      } else {
        const got = await loop.page(afterSeq);
        if (loop.stopped()) return;
        if (got.items.length && (state.caughtUp || loop.history > 0)) loop.onEvents(got.items);
        ({ afterSeq, more } = afterPage(afterSeq, got));
      }
      if (loop.stopped()) return;
      failures = 0;
      set({ error: undefined, caughtUp: state.caughtUp || !more });
    } catch (err) {
      if (loop.stopped()) return;
      set({ ...state, error: err });
      if (loop.final(err)) return;
      failures++;
      await loop.sleep(backoff(failures, loop.intervalMs));
      continue;
    }
    if (!more) await loop.sleep(loop.intervalMs);
  }
}
