// Delivering events to webhooks. For each new event (fan-out.ts walks the domain's log to it),
// `fanOut` writes one delivery per subscribed webhook into that webhook's lane for the event's
// subject; `drainLane` then sends the lane's deliveries one at a time, lowest seq first, so a
// subject's later event never reaches a receiver before an earlier one was delivered or parked.
// A lane is drained by one worker at a time: it holds the lane's lease (a conditional write), and
// every attempt it records is conditioned on still holding it. A failed attempt leaves the delivery
// at the head of its lane with its next attempt's time and a one-time timer armed for it; past the
// retry window it is parked and the lane moves on.
import type { Clock } from '../clock.ts';
import type { DomainEvent } from '../events/event.ts';
import { newId } from '../ids.ts';
import { afterFailure, type RetryPolicy } from './retry.ts';
import {
  type Attempt,
  type AttemptOutcome,
  type Delivery,
  type Lane,
  type LaneTimers,
  laneOf,
  markerDeliveryId,
  type SendResult,
  type Webhook,
  type WebhookSender,
  type WebhookStore,
} from './webhook.ts';

export interface DispatchConfig {
  retry: RetryPolicy;
  /** How long one attempt may take, connection to last byte. */
  timeoutSeconds: number;
}

export interface DispatchPorts {
  config: DispatchConfig;
  clock: Clock;
  webhooks: WebhookStore;
  secrets: { read(name: string): Promise<string> };
  sender: WebhookSender;
  timers: LaneTimers;
  /** In [0, 1): the retries' jitter. */
  random: () => number;
}

/** Beyond one attempt's time, what a lane's lease leaves for reading and recording around it. */
const LEASE_MARGIN_MS = 20_000;
/** A lane whose release shows new work is taken again at most this often before a timer takes over. */
const MAX_ROUNDS = 3;

const leaseMs = (config: DispatchConfig) => config.timeoutSeconds * 1000 + LEASE_MARGIN_MS;
const plus = (at: Date, ms: number) => new Date(at.getTime() + ms);

/** The same lane as a string, to tell lanes apart. */
export const laneKey = (lane: Lane): string => JSON.stringify([lane.webhook_id, lane.subject.kind, lane.subject.id]);

/**
 * Writes the event's delivery to each webhook of its domain that subscribed to its type and was
 * registered before it; answers their lanes. Idempotent: a delivery that exists is left as it is
 * (an event fanned out again), and its lane is still answered, to be drained. `webhooks` are the
 * domain's, when the caller read them (after the event was committed); otherwise they are read here.
 */
export async function fanOut(
  ports: Pick<DispatchPorts, 'webhooks' | 'clock'>,
  event: DomainEvent,
  webhooks?: readonly Webhook[],
): Promise<Lane[]> {
  const subscribed = (webhooks ?? (await ports.webhooks.listByDomain(event.domain_id))).filter(
    (w) => w.domain_id === event.domain_id && w.event_types.includes(event.type) && event.seq > w.from_seq,
  );
  const lanes: Lane[] = [];
  for (const webhook of subscribed) {
    const lane = laneOf(webhook.id, event.subject);
    const delivery: Delivery = {
      id: event.id,
      webhook_id: webhook.id,
      domain_id: event.domain_id,
      event,
      status: 'pending',
      attempts: [],
      created_at: ports.clock.now().toISOString(),
    };
    await ports.webhooks.createDelivery(delivery, lane);
    lanes.push(lane);
  }
  return lanes;
}

export type DrainOutcome =
  | 'empty' // nothing left to send
  | 'waiting' // the head waits for its next attempt; a timer is armed
  | 'busy' // another worker holds the lane; a timer is armed for when its lease ends
  | 'lost' // the lease was taken over while an attempt was made; its new holder goes on
  | 'gone' // the webhook was deleted; the lane is dropped
  | 'budget'; // out of time for this invocation; a timer is armed to go on

/**
 * Sends the lane's pending deliveries in seq order until it is empty, its head must wait, or
 * `deadline` leaves no room for another attempt.
 */
export async function drainLane(ports: DispatchPorts, lane: Lane, deadline: Date): Promise<DrainOutcome> {
  const owner = newId(ports.clock.now().getTime());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = ports.clock.now();
    const lease = await ports.webhooks.acquireLane(lane, owner, now, plus(now, leaseMs(ports.config)));
    if (!lease.held) {
      // Its holder may stop before work added since is done: look again once its lease is over.
      if (lease.until) await ports.timers.arm(lane, plus(lease.until, 1000));
      return lease.until ? 'busy' : 'empty';
    }
    const outcome = await drainHeld(ports, lane, owner, [...lease.pending].sort(), deadline);
    if (outcome === 'gone' || outcome === 'lost') return outcome;
    const left = await ports.webhooks.releaseLane(lane, owner);
    if (outcome === 'budget') await ports.timers.arm(lane, ports.clock.now());
    // A delivery added while we held the lease (its writer found the lane busy) is ours to send.
    if (outcome !== 'empty' || left.length === 0) return outcome;
  }
  await ports.timers.arm(lane, ports.clock.now());
  return 'budget';
}

async function drainHeld(ports: DispatchPorts, lane: Lane, owner: string, pending: string[], deadline: Date): Promise<DrainOutcome> {
  let webhook: Webhook | undefined;
  for (const marker of pending) {
    const delivery = await ports.webhooks.getDelivery(lane.webhook_id, markerDeliveryId(marker));
    if (delivery?.status !== 'pending') {
      await ports.webhooks.dropMarker(lane, marker, owner);
      continue;
    }
    webhook ??= await ports.webhooks.get(lane.webhook_id);
    if (!webhook) {
      await ports.webhooks.removeLane(lane);
      return 'gone';
    }
    const now = ports.clock.now();
    if (delivery.next_attempt_at && Date.parse(delivery.next_attempt_at) > now.getTime()) {
      await ports.timers.arm(lane, new Date(delivery.next_attempt_at));
      return 'waiting';
    }
    if (now.getTime() + leaseMs(ports.config) > deadline.getTime()) return 'budget';
    const outcome = await attempt(ports, lane, owner, webhook, delivery);
    if (outcome === 'lost') return 'lost';
    if (outcome.status === 'pending') {
      await ports.timers.arm(lane, outcome.nextAttemptAt);
      return 'waiting';
    }
  }
  return 'empty';
}

/** One signed POST of the delivery, recorded with what follows from it. */
async function attempt(
  ports: DispatchPorts,
  lane: Lane,
  owner: string,
  webhook: Webhook,
  delivery: Delivery,
): Promise<AttemptOutcome | 'lost'> {
  const started = ports.clock.now();
  const result = await ports.sender.send({
    url: webhook.url,
    messageId: delivery.id,
    timestampSeconds: Math.floor(started.getTime() / 1000),
    body: JSON.stringify(delivery.event),
    secret: await ports.secrets.read(webhook.secret_name),
  });
  const ended = ports.clock.now();
  const record = attemptRecord(started, result);
  const outcome = outcomeOf(ports, delivery, record, ended);
  const recorded = await ports.webhooks.recordAttempt(lane, delivery, record, outcome, owner, plus(ended, leaseMs(ports.config)));
  return recorded ? outcome : 'lost';
}

function attemptRecord(started: Date, result: SendResult): Attempt {
  return {
    at: started.toISOString(),
    status_code: result.status_code,
    ...(result.error && { error: result.error }),
    duration_ms: Math.max(0, Math.round(result.duration_ms)),
  };
}

export const isDelivered = (statusCode: number | null): boolean => statusCode !== null && statusCode >= 200 && statusCode < 300;

/** Delivered on any 2xx; otherwise retried with backoff inside the round's window, then parked. */
function outcomeOf(ports: DispatchPorts, delivery: Delivery, record: Attempt, ended: Date): AttemptOutcome {
  if (isDelivered(record.status_code)) return { status: 'delivered' };
  const roundStart = delivery.first_attempt_at ?? record.at;
  const madeInRound = delivery.attempts.filter((a) => a.at >= roundStart).length + 1;
  const next = afterFailure(ports.config.retry, madeInRound, new Date(roundStart), ended, ports.random);
  return next.park ? { status: 'parked' } : { status: 'pending', nextAttemptAt: next.at };
}
