// Fires the emulator's one-time schedules when the clock says they are due: one real-time timer for
// the earliest (never longer than maxTimerMs, so a jump of an injected clock is noticed), and wake()
// for whoever advanced the clock. A delivery runs outside any API request; a failed one is retried
// with backoff per the target's RetryPolicy, then dropped with an error line. Once a delivery ends,
// ActionAfterCompletion applies (DELETE removes the schedule) unless the schedule changed meanwhile.
import type { Clock } from '../../functions/core/clock.ts';
import { DueQueue } from './queue.ts';
import type { SchedulerStore, StoredSchedule, Target } from './store.ts';

/** Delivers a schedule's target (plays Lambda's Invoke); a rejection counts as a failed delivery. */
export type InvokeTarget = (target: Target, schedule: { arn: string; name: string; groupName: string }) => Promise<unknown>;

export interface FiringOptions {
  clock: Clock;
  invoke: InvokeTarget;
  /** The first retry's delay; each next one doubles, up to maxRetryDelayMs. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** The longest the timer sleeps before looking at the clock again. */
  maxTimerMs?: number;
}

// Scheduler's defaults when a target has no RetryPolicy.
const DEFAULT_RETRIES = 185;
const DEFAULT_EVENT_AGE_SECONDS = 86_400;

export class ScheduleFiring {
  private readonly queue = new DueQueue();
  private timer: NodeJS.Timeout | undefined;
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;
  readonly stats = { deliveries: 0, failures: 0, dropped: 0 };

  constructor(
    private readonly store: SchedulerStore,
    private readonly opts: FiringOptions,
  ) {
    for (const [key, schedule] of store.entries()) this.queueOf(key, schedule);
    this.rearm();
  }

  /** After a change to the schedule at `key` (or its removal): queues it for its time, or not at all. */
  track(key: string): void {
    const schedule = this.store.schedule(key);
    if (schedule) this.queueOf(key, schedule);
    else this.queue.delete(key);
    this.rearm();
  }

  /** Fires everything due now; resolves once each of those deliveries has been tried once. */
  async wake(): Promise<void> {
    if (this.closed) return;
    const due = this.queue.takeDue(this.opts.clock.now().getTime());
    this.rearm();
    await Promise.all(due.map((key) => this.run(this.fire(key))));
  }

  /** Stops the timer and the retries, and waits for the deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const retry of this.retries) clearTimeout(retry);
    this.retries.clear();
    await Promise.all([...this.inflight]);
  }

  private queueOf(key: string, schedule: StoredSchedule): void {
    if (schedule.state === 'ENABLED' && schedule.due !== undefined) this.queue.set(key, schedule.due);
    else this.queue.delete(key);
  }

  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.queue.peek();
    if (this.closed || next === undefined) return;
    const delay = Math.min(Math.max(0, next - this.opts.clock.now().getTime()), this.opts.maxTimerMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake().catch(logFailure);
    }, delay);
    // Armed timers alone never keep a process alive.
    this.timer.unref();
  }

  /** Keeps a delivery in the in-flight set until it settles, so close() can wait for it. */
  private run(delivery: Promise<void>): Promise<void> {
    this.inflight.add(delivery);
    return delivery.finally(() => this.inflight.delete(delivery));
  }

  private async fire(key: string): Promise<void> {
    const schedule = this.store.schedule(key);
    if (schedule?.state !== 'ENABLED' || schedule.due === undefined) return;
    const firedAt = this.opts.clock.now().getTime();
    await this.attempt(key, schedule, firedAt, 0);
  }

  private async attempt(key: string, schedule: StoredSchedule, firedAt: number, retry: number): Promise<void> {
    const { target } = schedule;
    try {
      await this.opts.invoke(target, schedule);
      this.stats.deliveries++;
      await this.complete(key, schedule.revision);
      return;
    } catch (error) {
      this.stats.failures++;
      const policy = target.RetryPolicy ?? {};
      const ageSeconds = (this.opts.clock.now().getTime() - firedAt) / 1000;
      const exhausted = retry >= (policy.MaximumRetryAttempts ?? DEFAULT_RETRIES) || ageSeconds >= (policy.MaximumEventAgeInSeconds ?? DEFAULT_EVENT_AGE_SECONDS);
      if (!exhausted && !this.closed) {
        this.retryLater(key, schedule, firedAt, retry + 1);
        return;
      }
      if (this.closed) return;
      this.stats.dropped++;
      log('error', 'schedule delivery dropped after its retries', { schedule: schedule.arn, attempts: retry + 1, error: String(error) });
      await this.complete(key, schedule.revision);
    }
  }

  private retryLater(key: string, schedule: StoredSchedule, firedAt: number, retry: number): void {
    const delay = Math.min((this.opts.retryBaseMs ?? 1000) * 2 ** (retry - 1), this.opts.maxRetryDelayMs ?? 60_000);
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.run(this.attempt(key, schedule, firedAt, retry)).catch(logFailure);
    }, delay);
    timer.unref();
    this.retries.add(timer);
  }

  /** The delivery is over: the schedule is deleted or done, unless it was changed since it fired. */
  private async complete(key: string, revision: number): Promise<void> {
    const current = this.store.schedule(key);
    if (!current || current.revision !== revision) return;
    if (current.actionAfterCompletion === 'DELETE') this.store.remove(key);
    else delete current.due;
    this.track(key);
    await this.store.save();
  }
}

function logFailure(error: unknown): void {
  log('error', 'local scheduler failed to fire', { error: String(error) });
}

function log(level: 'error' | 'warn', message: string, fields: Record<string, unknown>): void {
  console.error(JSON.stringify({ level, message, ...fields }));
}
