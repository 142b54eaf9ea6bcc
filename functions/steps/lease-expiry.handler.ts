import { z } from 'zod';
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
  if ('assignment_id' in timer) return { ...timer, outcome: await expireRequestOrRetry(d, timer.assignment_id) };
  const { resource_id } = timer;
  try {
    const outcome = await expireLease(d, resource_id);
    if (outcome === 'torn_down') log('info', 'lease expired; teardown started', { resource_id });
    return { resource_id, outcome };
  } catch (err) {
    log('error', 'lease expiry failed; trying again in a minute', { resource_id, error: err instanceof Error ? err.name : 'unknown' });
    await d.leases.arm(resource_id, new Date(d.clock.now().getTime() + RETRY_AFTER_MS));
    throw err;
  }
}

/** A request's expiry timer: the same discipline, a new timer a minute out before a failure is thrown. */
async function expireRequestOrRetry(d: ReturnType<typeof deps>, assignmentId: string): Promise<string> {
  try {
    return await expireRequest(d, assignmentId);
  } catch (err) {
    log('error', 'request expiry failed; trying again in a minute', {
      assignment_id: assignmentId,
      error: err instanceof Error ? err.name : 'unknown',
    });
    await d.leases.armRequestExpiry(assignmentId, new Date(d.clock.now().getTime() + RETRY_AFTER_MS));
    throw err;
  }
}
