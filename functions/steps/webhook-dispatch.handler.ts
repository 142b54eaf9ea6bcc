import * as z from 'zod';
import { IdSchema } from '../core/ids.ts';
import { drainLane, laneKey } from '../core/webhooks/dispatch.ts';
import { domainsBehind, type FanOutOptions, type FanOutResult, fanOutDomain } from '../core/webhooks/fan-out.ts';
import { type Lane, LaneSchema } from '../core/webhooks/webhook.ts';
import { deps } from '../shared/composition.ts';
import { log } from '../shared/log.ts';
import { type WebhookDeps, webhookDeps } from '../shared/webhook-composition.ts';
import { WEBHOOK_SWEEP } from './step-groups.ts';

// The webhook dispatcher. Four things invoke it:
// - the table's change stream, with inserted event items (an event source mapping on AWS, the
//   change feed on the embedded stack): each record only wakes its domain up; the domain's fan-out
//   follows its event log from its cursor to the batch's highest seq (core/webhooks/fan-out.ts), so
//   a record the stream lost is fanned out with the next one of its domain;
// - a domain's fan-out timer, `{"domain_id": …}`, to go on where an invocation ran out of time;
// - the sweep, `{"sweep": true}`, every few minutes, for domains whose cursor is behind their log
//   (a lost record with no later one to recover it);
// - a lane's one-time timer, `{"lane": …}`, which drains its lane.
// Delivery work never runs inside an API request.

const LaneTimerEventSchema = z.object({ lane: LaneSchema });
const FanOutTimerEventSchema = z.object({ domain_id: IdSchema });
/** The sweep's event, as the recurring schedule (infra) and the embedded stack's timer send it. */
const SweepEventSchema = z.object({ sweep: z.literal(WEBHOOK_SWEEP.event.sweep) });
const StreamEventSchema = z.object({
  Records: z.array(z.looseObject({ eventName: z.string(), dynamodb: z.looseObject({ Keys: z.record(z.string(), z.unknown()) }) })),
});

/** How long one invocation drains before it hands the rest to a timer (its Lambda timeout is longer). */
const DRAIN_BUDGET_MS = 4 * 60_000;
/** How long a stream batch starts new pages of fan-out: the shard waits for it, so what is left goes to a timer. */
const STREAM_FAN_OUT_BUDGET_MS = 60_000;
/** How long a timer or the sweep starts new pages of fan-out (the drains of the last one may take until DRAIN_BUDGET_MS). */
const FAN_OUT_BUDGET_MS = 3 * 60_000;
/** A lane whose drain failed (the table or Scheduler erred), or a domain whose fan-out failed, is tried again this much later. */
const RETRY_AFTER_MS = 60_000;

/** The records Lambda should hand over again (reportBatchItemFailures): from the first that failed on. */
interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

type Answer =
  | BatchResponse
  | { lane: string; outcome: string }
  | { domain_id: string; outcome: string }
  | { swept: number; behind: number };

export async function handler(event: unknown): Promise<Answer> {
  const w = webhookDeps(deps());
  const started = w.clock.now().getTime();
  const deadline = new Date(started + DRAIN_BUDGET_MS);
  const fanOutStop = new Date(started + FAN_OUT_BUDGET_MS);
  const lane = LaneTimerEventSchema.safeParse(event);
  if (lane.success) return { lane: laneKey(lane.data.lane), outcome: await drainSafely(w, lane.data.lane as Lane, deadline) };
  const domain = FanOutTimerEventSchema.safeParse(event);
  if (domain.success)
    return { domain_id: domain.data.domain_id, outcome: await fanOutSafely(w, domain.data.domain_id, fanOutStop, deadline) };
  if (SweepEventSchema.safeParse(event).success) return sweep(w, fanOutStop, deadline);
  return wakeUp(w, StreamEventSchema.parse(event).Records, new Date(started + STREAM_FAN_OUT_BUDGET_MS), deadline);
}

/** A stream batch: each domain it names is fanned out, once, up to its highest seq in the batch. */
async function wakeUp(w: WebhookDeps, records: z.infer<typeof StreamEventSchema>['Records'], stopBy: Date, deadline: Date) {
  const domains = new Map<string, { upToSeq: number; first: number }>();
  for (const [i, record] of records.entries()) {
    const domainEvent = w.eventOfRecord(record as Parameters<WebhookDeps['eventOfRecord']>[0]);
    if (!domainEvent) continue;
    const seen = domains.get(domainEvent.domain_id);
    if (seen) seen.upToSeq = Math.max(seen.upToSeq, domainEvent.seq);
    else domains.set(domainEvent.domain_id, { upToSeq: domainEvent.seq, first: i });
  }
  const failed = await Promise.all(
    [...domains].map(async ([domainId, { upToSeq, first }]) => {
      try {
        await fanOutDomain(w, domainId, options(w, stopBy, deadline, upToSeq));
        return undefined;
      } catch (err) {
        log('error', 'webhook fan-out failed; the stream hands the records over again', { domain_id: domainId, error: errorName(err) });
        return first;
      }
    }),
  );
  const from = Math.min(...failed.filter((i) => i !== undefined));
  // Records of domains that were fanned out are handed over too when they follow a failed one: the cursor makes them cheap.
  return { batchItemFailures: Number.isFinite(from) ? records.slice(from).map((r) => ({ itemIdentifier: sequenceOf(r) })) : [] };
}

/** Fans out the domains whose cursor is behind their log; past the budget, each left gets a timer. */
async function sweep(w: WebhookDeps, stopBy: Date, deadline: Date) {
  const behind = await domainsBehind(w);
  let swept = 0;
  for (const domainId of behind) {
    const now = w.clock.now();
    if (now.getTime() >= stopBy.getTime()) await w.fanOutTimers.arm(domainId, now);
    else if ((await fanOutSafely(w, domainId, stopBy, deadline)) !== 'retry_armed') swept++;
  }
  // A busy domain may show behind only because its stream batch is on its way: fanning it out here too is harmless.
  if (behind.length > 0) log('info', 'webhook sweep fanned out domains behind their event log', { behind: behind.length, swept });
  return { swept, behind: behind.length };
}

function options(w: WebhookDeps, stopBy: Date, deadline: Date, upToSeq?: number): FanOutOptions {
  return {
    stopBy,
    upToSeq,
    drain: async (lanes) => {
      await Promise.all(lanes.map((lane) => drainSafely(w, lane, deadline)));
    },
  };
}

/** Fans a domain out; when that fails, a timer is armed to try again a minute out. */
async function fanOutSafely(
  w: WebhookDeps,
  domainId: string,
  stopBy: Date,
  deadline: Date,
): Promise<FanOutResult['outcome'] | 'retry_armed'> {
  try {
    return (await fanOutDomain(w, domainId, options(w, stopBy, deadline))).outcome;
  } catch (err) {
    log('error', 'webhook fan-out failed; trying again in a minute', { domain_id: domainId, error: errorName(err) });
    await w.fanOutTimers.arm(domainId, new Date(w.clock.now().getTime() + RETRY_AFTER_MS));
    return 'retry_armed';
  }
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
