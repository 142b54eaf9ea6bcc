import { z } from 'zod';
import { expireLease } from '../core/leases.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';

const EventSchema = z.object({ resource_id: z.string().min(1).max(64) });

/** How soon a timer whose expiry failed fires again. */
const RETRY_AFTER_MS = 60_000;

/**
 * A Resource's lease timer fired (an EventBridge Scheduler one-time schedule on AWS, the local
 * scheduler on the embedded stack). Scheduler invokes Lambda asynchronously and its schedule is
 * gone once delivered, so a failure here (throttling, a Resource that kept moving) arms a new
 * timer a minute out before it is thrown: the lease is enforced again, whatever Lambda's own
 * retries do.
 */
export async function handler(event: unknown): Promise<{ resource_id: string; outcome: string }> {
  const { resource_id } = EventSchema.parse(event);
  const d = deps();
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
