import { z } from 'zod';
import { drainLane, fanOut, laneKey } from '../core/webhooks/dispatch.ts';
import { type Lane, LaneSchema } from '../core/webhooks/webhook.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';
import { type WebhookDeps, webhookDeps } from '../shared/webhook-composition.ts';

// The webhook dispatcher. Two things invoke it: the table's change stream, with inserted event
// items (an event source mapping on AWS, the change feed on the embedded stack), and a lane's
// one-time timer, with `{"lane": …}`. For each event it writes the deliveries, then drains each lane
// they went into; a timer drains its lane. Delivery work never runs inside an API request.

const TimerEventSchema = z.object({ lane: LaneSchema });
const StreamEventSchema = z.object({
  Records: z.array(z.looseObject({ eventName: z.string(), dynamodb: z.looseObject({ Keys: z.record(z.string(), z.unknown()) }) })),
});

/** How long one invocation drains before it hands the rest to a timer (its Lambda timeout is longer). */
const DRAIN_BUDGET_MS = 4 * 60_000;
/** A lane whose drain failed (the table or Scheduler erred) is tried again this much later. */
const RETRY_AFTER_MS = 60_000;

/** The records Lambda should hand over again (reportBatchItemFailures): from the first that failed on. */
interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export async function handler(event: unknown): Promise<BatchResponse | { lane: string; outcome: string }> {
  const w = webhookDeps(deps());
  const deadline = new Date(w.clock.now().getTime() + DRAIN_BUDGET_MS);
  const timer = TimerEventSchema.safeParse(event);
  if (timer.success) return { lane: laneKey(timer.data.lane), outcome: await drainSafely(w, timer.data.lane as Lane, deadline) };
  const { Records } = StreamEventSchema.parse(event);
  const lanes = new Map<string, Lane>();
  for (const [i, record] of Records.entries()) {
    const domainEvent = w.eventOfRecord(record as Parameters<WebhookDeps['eventOfRecord']>[0]);
    if (!domainEvent) continue;
    try {
      for (const lane of await fanOut(w, domainEvent)) lanes.set(laneKey(lane), lane);
    } catch (err) {
      log('error', 'webhook fan-out failed; the stream hands the record over again', { event_id: domainEvent.id, error: errorName(err) });
      // Lanes fanned out so far are drained below; their records are handed over again too (idempotent).
      await Promise.all([...lanes.values()].map((lane) => drainSafely(w, lane, deadline)));
      return { batchItemFailures: Records.slice(i).map((r) => ({ itemIdentifier: sequenceOf(r) })) };
    }
  }
  await Promise.all([...lanes.values()].map((lane) => drainSafely(w, lane, deadline)));
  return { batchItemFailures: [] };
}

/** Drains a lane; when that fails, a timer is armed to try again a minute out before the error is thrown. */
async function drainSafely(w: WebhookDeps, lane: Lane, deadline: Date): Promise<string> {
  try {
    return await drainLane(w, lane, deadline);
  } catch (err) {
    log('error', 'webhook lane drain failed; trying again in a minute', { webhook_id: lane.webhook_id, error: errorName(err) });
    await w.timers.arm(lane, new Date(w.clock.now().getTime() + RETRY_AFTER_MS));
    return 'retry_armed';
  }
}

function sequenceOf(record: { dynamodb: Record<string, unknown> }): string {
  return String(record.dynamodb.SequenceNumber ?? '');
}

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : 'unknown';
}
