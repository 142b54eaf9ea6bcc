import { describe, expect, it } from 'vitest';
import { afterPage, backoff, type FollowState, followLog, type LogPage, startSeq } from '../../console/src/follow-loop.ts';

// How the console follows an event log (console/src/follow-loop.ts), against a fake log that pages
// as the broker does: a read scans at most SCAN events after the cursor, hands over those of the
// asked types (at most LIMIT), and moves next_after_seq to the last event it scanned, even when the
// type filter kept none of them.

interface Ev {
  seq: number;
  type: string;
}

const SCAN = 5;
const LIMIT = 3;
const INTERVAL = 2_000;

class FakeLog {
  events: Ev[] = [];
  reads: Array<number | 'latest'> = [];
  failures: unknown[] = [];

  constructor(types: string[]) {
    for (const type of types) this.append(type);
  }

  append(type: string): void {
    this.events.push({ seq: this.events.length + 1, type });
  }

  page(afterSeq: number | 'latest', types: string[] | undefined): LogPage<Ev> {
    this.reads.push(afterSeq);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (afterSeq === 'latest') return { items: [], next_after_seq: this.events.length };
    const scanned = this.events.filter((e) => e.seq > afterSeq).slice(0, SCAN);
    const items: Ev[] = [];
    let next = afterSeq;
    for (const e of scanned) {
      if (items.length === LIMIT) break;
      next = e.seq;
      if (!types || types.includes(e.type)) items.push(e);
    }
    return { items, next_after_seq: next };
  }
}

class Problem extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

interface Run {
  batches: number[][];
  states: FollowState[];
  sleeps: number[];
  /** What each batch was handed over as: before or after the follow first caught up. */
  handedWhen: Array<'history' | 'live'>;
}

/**
 * Runs a follow of `log` until `sleeps` waits have passed; `onSleep` may change the log (events
 * arriving while the follower waits).
 */
async function follow(
  log: FakeLog,
  opts: { history: number; types?: string[]; sleeps: number; onSleep?: (n: number) => void; idle?: () => boolean },
): Promise<Run> {
  const run: Run = { batches: [], states: [], sleeps: [], handedWhen: [] };
  let caughtUp = false;
  await followLog<Ev>({
    page: async (afterSeq) => log.page(afterSeq, opts.types),
    onEvents: (events) => {
      run.batches.push(events.map((e) => e.seq));
      run.handedWhen.push(caughtUp ? 'live' : 'history');
    },
    onState: (state) => {
      caughtUp = state.caughtUp;
      run.states.push(state);
    },
    history: opts.history,
    intervalMs: INTERVAL,
    sleep: async (ms) => {
      run.sleeps.push(ms);
      opts.onSleep?.(run.sleeps.length);
    },
    stopped: () => run.sleeps.length >= opts.sleeps,
    idle: opts.idle ?? (() => false),
    final: (err) => err instanceof Problem && (err.status === 403 || err.status === 404),
  });
  return run;
}

describe('one page of a log', () => {
  it('reads on at once when the cursor moved, even with no events in the page (a type filter skipped them)', () => {
    expect(afterPage(10, { items: [], next_after_seq: 15 })).toEqual({ afterSeq: 15, more: true });
    expect(afterPage(10, { items: [{}], next_after_seq: 11 })).toEqual({ afterSeq: 11, more: true });
  });

  it('is at the end of the log when the cursor did not move', () => {
    expect(afterPage(15, { items: [], next_after_seq: 15 })).toEqual({ afterSeq: 15, more: false });
  });

  it('starts a feed its history back from where the log ends, never before the first event', () => {
    expect(startSeq(1200, 500)).toBe(700);
    expect(startSeq(30, 500)).toBe(0);
    expect(startSeq(30, 0)).toBe(30);
  });

  it('backs off from the interval, doubling, to at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => backoff(n, INTERVAL))).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe('following a log', () => {
  it('reads a filtered history through empty pages that move the cursor, and hands it over as history, not as news', async () => {
    // Twelve events, one of the asked type (seq 11): the first two reads scan 1–5 and 6–10 and find none.
    const log = new FakeLog([...Array(10).fill('other'), 'wanted', 'other']);
    const run = await follow(log, { history: 500, types: ['wanted'], sleeps: 2 });
    expect(log.reads.slice(0, 5)).toEqual(['latest', 0, 5, 10, 12]);
    expect(run.batches).toEqual([[11]]);
    expect(run.handedWhen).toEqual(['history']);
    expect(run.states).toEqual([{ error: undefined, caughtUp: true }]);
  });

  it('as a trigger, starts where the log ends: nothing old is handed over, a burst past one scan is read to its end', async () => {
    const log = new FakeLog(Array(40).fill('wanted'));
    const run = await follow(log, {
      history: 0,
      types: ['wanted'],
      sleeps: 3,
      // Eight events arrive while it waits, only the last of the asked type: the first read after
      // the wait scans 41–45 and finds none, yet moves on.
      onSleep: (n) => {
        if (n === 1) for (const type of [...Array(7).fill('other'), 'wanted']) log.append(type);
      },
    });
    expect(log.reads[0]).toBe('latest');
    expect(log.reads).not.toContain(0);
    expect(run.states[0]).toEqual({ error: undefined, caughtUp: true });
    expect(run.batches).toEqual([[48]]);
    expect(run.handedWhen).toEqual(['live']);
  });

  it('as a feed, reads only its history back, then hands over what comes later as news', async () => {
    const log = new FakeLog(Array(20).fill('x'));
    const run = await follow(log, {
      history: 4,
      sleeps: 3,
      onSleep: (n) => {
        if (n === 1) log.append('x');
      },
    });
    expect(log.reads.slice(0, 3)).toEqual(['latest', 16, 19]);
    expect(run.batches).toEqual([[17, 18, 19], [20], [21]]);
    expect(run.handedWhen).toEqual(['history', 'history', 'live']);
  });

  it('tells its state only when it changes: quiet polls cost no update', async () => {
    const log = new FakeLog(['x']);
    const run = await follow(log, { history: 0, sleeps: 10 });
    expect(log.reads.length).toBe(10);
    expect(run.states).toEqual([{ error: undefined, caughtUp: true }]);
    expect(run.sleeps).toEqual(Array(10).fill(INTERVAL));
  });

  it('backs off while reads fail, says so once per kind of failure, and starts over from the interval on success', async () => {
    const log = new FakeLog(['x']);
    log.failures = [new Problem(503), new Problem(503), new Problem(503), undefined, new Problem(502)];
    const run = await follow(log, { history: 0, sleeps: 6 });
    expect(run.sleeps).toEqual([2_000, 4_000, 8_000, 2_000, 2_000, 2_000]);
    // The same failure three times is one change; the success clears it; another failure is news.
    expect(run.states.map((s) => [s.caughtUp, s.error instanceof Problem ? s.error.status : undefined])).toEqual([
      [false, 503],
      [true, undefined],
      [true, 502],
      [true, undefined],
    ]);
  });

  it('stops for good on a refusal no retry changes (403), keeping it as its error', async () => {
    const log = new FakeLog(['x']);
    log.failures = [new Problem(403)];
    const run = await follow(log, { history: 0, sleeps: 5 });
    expect(log.reads).toEqual(['latest']);
    expect(run.sleeps).toEqual([]);
    expect(run.states).toHaveLength(1);
    expect(run.states[0]?.error).toBeInstanceOf(Problem);
    expect(run.states[0]?.error).toMatchObject({ status: 403 });
  });

  it('only waits while nobody looks, once caught up', async () => {
    const log = new FakeLog(['x']);
    const run = await follow(log, { history: 500, sleeps: 5, idle: () => true });
    // The history is read even in a hidden tab; then nothing more until it is looked at.
    expect(log.reads).toEqual(['latest', 0, 1]);
    expect(run.batches).toEqual([[1]]);
  });
});
