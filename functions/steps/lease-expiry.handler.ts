import { z } from 'zod';
import { expireLease } from '../core/leases.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';

const EventSchema = z.object({ resource_id: z.string().min(1).max(64) });

/**
 * A Resource's lease timer fired (an EventBridge Scheduler one-time schedule on AWS, the local
 * scheduler on the embedded stack). A failure is thrown so the scheduler retries it.
 */
export async function handler(event: unknown): Promise<{ resource_id: string; outcome: string }> {
  const { resource_id } = EventSchema.parse(event);
  const outcome = await expireLease(deps(), resource_id);
  if (outcome === 'torn_down') log('info', 'lease expired; teardown started', { resource_id });
  return { resource_id, outcome };
}
