// A webhook: a domain's subscription of an https endpoint to some of its event types. Its signing
// secret lives in the vault (only its name is stored here) and is shown once, when it is created.
import * as z from 'zod';
import { IN_DOMAIN } from '../entity.ts';
import { DomainEventSchema, EventTypeSchema, seqKey } from '../events/event.ts';
import { IdSchema } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import { MAX_URL_LENGTH } from './url-policy.ts';

export const WebhookSchema = z.object({
  ...IN_DOMAIN,
  url: z.string(),
  event_types: z.array(EventTypeSchema),
  created_at: z.string(),
  created_by: z.string(),
  /** The domain's last event seq when it was registered: only later events are delivered to it. */
  from_seq: z.number().int().nonnegative(),
  /** The vault secret that holds its signing secret. */
  secret_name: z.string(),
});
export type Webhook = z.infer<typeof WebhookSchema>;

export const WebhookViewSchema = z.object({
  ...IN_DOMAIN,
  url: z.string(),
  event_types: z.array(EventTypeSchema),
  created_at: z.string(),
  created_by: z.string(),
});
export type WebhookView = z.infer<typeof WebhookViewSchema>;

export const CreatedWebhookViewSchema = WebhookViewSchema.extend({
  secret: z.string().describe('The signing secret (whsec_ and the base64 of 32 random bytes). Shown in this answer only: store it now.'),
});

/** Event types are plain strings here so that an unknown one is refused with its own code, not invalid_body. */
export const CreateWebhookBodySchema = z.strictObject({
  url: z.string().min(1).max(MAX_URL_LENGTH),
  event_types: z.array(z.string().min(1).max(64)).max(64).describe('One or more event types; an empty list is refused.'),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBodySchema>;

export const webhookView = (w: Webhook): WebhookView => ({
  id: w.id,
  domain_id: w.domain_id,
  url: w.url,
  event_types: w.event_types,
  created_at: w.created_at,
  created_by: w.created_by,
});

// --- Deliveries ------------------------------------------------------------------------------------

export const DeliveryStatusSchema = z.enum(['pending', 'delivered', 'parked']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const AttemptSchema = z.object({
  at: z.string(),
  /** The receiver's status; null when there was no answer (refused, timed out, not allowed). */
  status_code: z.number().int().nullable(),
  error: z.string().optional(),
  duration_ms: z.number().int().nonnegative(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

/** What a delivery is about: one webhook and one subject of its domain, in seq order. */
export interface Lane {
  webhook_id: string;
  subject: { kind: string; id: string };
}
export const LaneSchema = z.object({
  webhook_id: IdSchema,
  subject: z.object({ kind: z.string().min(1).max(64), id: z.string().min(1).max(256) }),
});

/** One event on its way to one webhook. Its id is the event's: the webhook-id header of every attempt. */
export const DeliverySchema = z.object({
  id: IdSchema,
  webhook_id: IdSchema,
  domain_id: IdSchema,
  event: DomainEventSchema,
  status: DeliveryStatusSchema,
  attempts: z.array(AttemptSchema),
  created_at: z.string(),
  /** The first attempt of the current round (a redelivery starts a new one); the retry window counts from it. */
  first_attempt_at: z.string().optional(),
  next_attempt_at: z.string().optional(),
  delivered_at: z.string().optional(),
  parked_at: z.string().optional(),
  redelivered_at: z.string().optional(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const DeliveryViewSchema = z.object({
  id: IdSchema,
  webhook_id: IdSchema,
  event_id: IdSchema,
  event_seq: z.number().int().positive(),
  event_type: EventTypeSchema,
  subject: z.object({ kind: z.string(), id: z.string() }),
  status: DeliveryStatusSchema,
  attempts: z.array(AttemptSchema),
  next_attempt_at: z.string().nullable().describe('When it is tried next; null once delivered or parked.'),
  created_at: z.string(),
  delivered_at: z.string().optional(),
  parked_at: z.string().optional(),
  redelivered_at: z.string().optional(),
});
export type DeliveryView = z.infer<typeof DeliveryViewSchema>;

export function deliveryView(d: Delivery): DeliveryView {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event.id,
    event_seq: d.event.seq,
    event_type: d.event.type,
    subject: d.event.subject,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? (d.next_attempt_at ?? d.redelivered_at ?? d.created_at) : null,
    created_at: d.created_at,
    ...(d.delivered_at && { delivered_at: d.delivered_at }),
    ...(d.parked_at && { parked_at: d.parked_at }),
    ...(d.redelivered_at && { redelivered_at: d.redelivered_at }),
  };
}

export const laneOf = (webhookId: string, subject: Lane['subject']): Lane => ({ webhook_id: webhookId, subject });

// --- Ports -----------------------------------------------------------------------------------------

/** How a lane's lease came out. */
export type LaneLease = { held: true; pending: string[] } | { held: false; until: Date } | { held: false; until?: undefined };

/** What a recorded attempt does to its delivery and lane. */
export type AttemptOutcome = { status: 'delivered' } | { status: 'parked' } | { status: 'pending'; nextAttemptAt: Date };

export interface WebhookStore {
  /** Writes the webhook if the domain's event counter still reads `fromSeq`; false when an event landed meanwhile. */
  create(webhook: Webhook): Promise<boolean>;
  get(id: string): Promise<Webhook | undefined>;
  /** The domain's webhooks, read consistently (the dispatcher must not miss one just registered). */
  listByDomain(domainId: string): Promise<Webhook[]>;
  page(domainId: string, page: PageRequest): Promise<Page<Webhook>>;
  remove(webhook: Webhook): Promise<void>;
  /** The domain's last event seq (0 before its first event). */
  lastSeq(domainId: string): Promise<number>;

  /** Adds the delivery and puts it in its lane; false (and nothing written) when it exists already. */
  createDelivery(delivery: Delivery, lane: Lane): Promise<boolean>;
  getDelivery(webhookId: string, deliveryId: string): Promise<Delivery | undefined>;
  deliveries(webhookId: string, page: PageRequest): Promise<Page<Delivery>>;
  /** Puts a delivered or parked delivery back in its lane as pending; false when it was not in state `from`. */
  requeue(delivery: Delivery, from: DeliveryStatus, at: string): Promise<boolean>;

  /** Takes the lane's lease until `until` if it is free (or expired, or `owner`'s); answers its pending deliveries' markers. */
  acquireLane(lane: Lane, owner: string, now: Date, until: Date): Promise<LaneLease>;
  /** Gives the lease back; answers the markers still pending (one may have been added meanwhile). */
  releaseLane(lane: Lane, owner: string): Promise<string[]>;
  /** Drops a marker whose delivery is no longer pending (or gone). */
  dropMarker(lane: Lane, marker: string, owner: string): Promise<void>;
  /** Drops the lane of a deleted webhook. */
  removeLane(lane: Lane): Promise<void>;
  /**
   * Records an attempt: appends it, applies the outcome (a delivered or parked delivery leaves the
   * lane), and extends the lease, all only while `owner` still holds the lane and no one else has
   * recorded an attempt since. False when that was not so (nothing written).
   */
  recordAttempt(
    lane: Lane,
    delivery: Delivery,
    attempt: Attempt,
    outcome: AttemptOutcome,
    owner: string,
    leaseUntil: Date,
  ): Promise<boolean>;
}

/** A lane's place for a delivery: its event's seq (zero-padded, so text order is seq order) and id. */
export function laneMarker(delivery: Pick<Delivery, 'event'>): string {
  return `${seqKey(delivery.event.seq)}#${delivery.event.id}`;
}

export function markerDeliveryId(marker: string): string {
  return marker.slice(marker.indexOf('#') + 1);
}

/** The signing secrets, in the vault. */
export interface WebhookSecrets {
  /** Creates a new secret for the webhook; answers its vault name and the secret itself (shown once). */
  create(webhookId: string): Promise<{ name: string; secret: string }>;
  read(name: string): Promise<string>;
  remove(name: string): Promise<void>;
}

/** One-time timers that run a lane's drain later (EventBridge Scheduler on AWS). */
export interface LaneTimers {
  /** Arms a timer for `lane` at `at` (a timer for the same lane and second is the same timer). */
  arm(lane: Lane, at: Date): Promise<void>;
}

/**
 * A domain's fan-out cursor: the seq of the last event of its log whose deliveries are all written
 * and whose lanes were drained or given a timer. It only moves forward, so a worker that reads it
 * knows every earlier event was fanned out, whatever the stream did with its records.
 */
export interface FanOutCursors {
  /** The domain's cursor; undefined when it has none (no webhook was registered since fan-out followed the log). */
  read(domainId: string): Promise<number | undefined>;
  /** Moves the cursor forward to `to`; false (nothing written) when it is already there or past it. */
  advance(domainId: string, to: number): Promise<boolean>;
  /** Lists the domain for the sweep and starts its cursor at `fromSeq` unless it has one; answers the cursor. Idempotent. */
  register(domainId: string, fromSeq: number): Promise<number>;
  /** Every domain registered, for the sweep. */
  domains(): Promise<string[]>;
}

/** One-time timers that run a domain's fan-out later, to go on where an invocation stopped (EventBridge Scheduler on AWS). */
export interface FanOutTimers {
  arm(domainId: string, at: Date): Promise<void>;
}

/** The answer to one signed POST. */
export interface SendResult {
  status_code: number | null;
  error?: string;
  duration_ms: number;
}

export interface SignedRequest {
  url: string;
  /** The event id: the same on every attempt, so a receiver can drop repeats. */
  messageId: string;
  timestampSeconds: number;
  body: string;
  secret: string;
}

/** Signs and POSTs one delivery (Standard Webhooks), refusing destinations the URL policy refuses. */
export interface WebhookSender {
  send(request: SignedRequest): Promise<SendResult>;
}
