import * as z from 'zod';
import { expireRequest } from '../core/assignments/request-expiry.ts';
import { expireLease } from '../core/leases.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';

const Id = z.string().min(1).max(64);
const EventSchema = z.union([z.object({ resource_id: Id }), z.object({ assignment_id: Id })]);

/** How soon a timer whose expiry failed fires again. */
const RETRY_AFTER_MS = 60_000;

/**
 * A Resource's lease timer fired (an EventBridge Scheduler one-time schedule on AWS, the local
 * scheduler on the embedded stack). Scheduler invokes Lambda asynchronously and its schedule is
 * gone once delivered, so a failure here (throttling, a Resource that kept moving) arms a new
 * timer a minute out before it is thrown: the lease is enforced again, whatever Lambda's own
 * retries do.
 */
export async function handler(event: unknown): Promise<{ resource_id?: string; assignment_id?: string; outcome: string }> {
  const timer = EventSchema.parse(event);
  const d = deps();
  if ('assignment_id' in timer) {
    const id = timer.assignment_id;
    const outcome = await orRetryLater(
      d,
      { label: 'request expiry', ids: { assignment_id: id } },
      () => expireRequest(d, id),
      (at) => d.leases.armRequestExpiry(id, at),
    );
    return { assignment_id: id, outcome };
  }
  const id = timer.resource_id;
  const outcome = await orRetryLater(
    d,
    { label: 'lease expiry', ids: { resource_id: id } },
    () => expireLease(d, id),
    (at) => d.leases.arm(id, at),
  );
  if (outcome === 'torn_down') log('info', 'lease expired; teardown started', { resource_id: id });
  return { resource_id: id, outcome };
}

/** Runs a timer's work; when it fails, arms a new timer a minute out (`rearm`) before the failure is thrown. */
async function orRetryLater<T>(
  d: ReturnType<typeof deps>,
  what: { label: string; ids: Record<string, string> },
  work: () => Promise<T>,
  rearm: (at: Date) => Promise<void>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    log('error', `${what.label} failed; trying again in a minute`, { ...what.ids, error: err instanceof Error ? err.name : 'unknown' });
    await rearm(new Date(d.clock.now().getTime() + RETRY_AFTER_MS));
    throw err;
  }
}
