// The webhooks, their deliveries and their lanes on the single table (keys in dynamo/keys.ts).
// Every change that spans a delivery and its lane is one transaction, so a delivery is pending
// exactly when its marker is in the lane, and an attempt is recorded only by the lane's holder.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Page, PageRequest } from '../core/pagination.ts';
import {
  type Attempt,
  type AttemptOutcome,
  type Delivery,
  DeliverySchema,
  type DeliveryStatus,
  type Lane,
  type LaneLease,
  laneMarker,
  type Webhook,
  WebhookSchema,
  type WebhookStore,
} from '../core/webhooks/webhook.ts';
import { eventKeys } from './dynamo/keys.ts';
import { type Cancellation, entityOf, type Item, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import { isTransactionConflict } from './dynamo/turns.ts';
import { domainLastSeq } from './event-log.ts';
import { DELIVERY_PREFIX, WEBHOOK_PREFIX, webhookKeys } from './dynamo/keys.ts';

/** Deliveries stay readable this long after they were created; then AWS sweeps them (`ttl`). */
const DELIVERY_RETENTION_SECONDS = 30 * 86_400;

const laneKey = (lane: Lane) => webhookKeys.lane(lane.webhook_id, lane.subject.kind, lane.subject.id);

/** The markers of a lane item (a string set; absent once empty, as DynamoDB drops empty sets). */
function pendingOf(item: Item | undefined): string[] {
  const set = item?.pending;
  return set instanceof Set ? [...(set as Set<string>)] : [];
}

/** The lane's own fields, set by whichever write creates it. */
const LANE_FIELDS = 'webhook_id = :wid, subject = :subject';
const laneValues = (lane: Lane) => ({ ':wid': lane.webhook_id, ':subject': lane.subject });

export class DynamoWebhookStore implements WebhookStore {
  constructor(private readonly table: Table) {}

  async create(webhook: Webhook): Promise<boolean> {
    const counter: WriteAction = {
      ConditionCheck: {
        Key: eventKeys.counter(webhook.domain_id),
        ConditionExpression: webhook.from_seq === 0 ? 'attribute_not_exists(seq)' : 'seq = :seq',
        ...(webhook.from_seq !== 0 && { ExpressionAttributeValues: { ':seq': webhook.from_seq } }),
      },
    };
    let cancelled: Cancellation | undefined;
    try {
      cancelled = await this.table.transact([
        putNewAction({ ...webhookKeys.inDomain(webhook.domain_id, webhook.id), ...webhook }),
        putNewAction({ ...webhookKeys.byId(webhook.id), ...webhook }),
        counter,
      ]);
    } catch (err) {
      // An event append held the counter through every retry of Table.transact: the counter moved, try again.
      if (isTransactionConflict(err)) return false;
      throw err;
    }
    if (!cancelled) return true;
    if (cancelled[0]?.failed || cancelled[1]?.failed) throw new Error(`Webhook id ${webhook.id} is taken.`);
    return false;
  }

  get(id: string): Promise<Webhook | undefined> {
    return this.table.get(webhookKeys.byId(id), WebhookSchema);
  }

  listByDomain(domainId: string): Promise<Webhook[]> {
    return this.table.queryPartition(webhookKeys.domainPartition(domainId), WEBHOOK_PREFIX, WebhookSchema);
  }

  page(domainId: string, page: PageRequest): Promise<Page<Webhook>> {
    return this.pageOf(webhookKeys.domainPartition(domainId), WEBHOOK_PREFIX, page, WebhookSchema);
  }

  async remove(webhook: Webhook): Promise<void> {
    await this.table.transact([
      { Delete: { Key: webhookKeys.inDomain(webhook.domain_id, webhook.id) } },
      { Delete: { Key: webhookKeys.byId(webhook.id) } },
    ]);
  }

  lastSeq(domainId: string): Promise<number> {
    return domainLastSeq(this.table, domainId);
  }

  async createDelivery(delivery: Delivery, lane: Lane): Promise<boolean> {
    const ttl = Math.floor(Date.parse(delivery.created_at) / 1000) + DELIVERY_RETENTION_SECONDS;
    const cancelled = await this.table.transact([
      putNewAction({ ...webhookKeys.delivery(delivery.webhook_id, delivery.id), ...delivery, attempt_count: 0, ttl }),
      {
        Update: {
          Key: laneKey(lane),
          UpdateExpression: `SET ${LANE_FIELDS} ADD pending :marker`,
          ExpressionAttributeValues: { ...laneValues(lane), ':marker': new Set([laneMarker(delivery)]) },
        },
      },
    ]);
    return !cancelled;
  }

  getDelivery(webhookId: string, deliveryId: string): Promise<Delivery | undefined> {
    return this.table.get(webhookKeys.delivery(webhookId, deliveryId), DeliverySchema);
  }

  deliveries(webhookId: string, page: PageRequest): Promise<Page<Delivery>> {
    return this.pageOf(webhookKeys.deliveries(webhookId), DELIVERY_PREFIX, page, DeliverySchema);
  }

  async requeue(delivery: Delivery, from: DeliveryStatus, at: string): Promise<boolean> {
    const lane: Lane = { webhook_id: delivery.webhook_id, subject: delivery.event.subject };
    const cancelled = await this.table.transact([
      {
        Update: {
          Key: webhookKeys.delivery(delivery.webhook_id, delivery.id),
          UpdateExpression:
            'SET #status = :pending, redelivered_at = :at REMOVE first_attempt_at, next_attempt_at, delivered_at, parked_at',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':at': at, ':from': from },
        },
      },
      {
        Update: {
          Key: laneKey(lane),
          UpdateExpression: `SET ${LANE_FIELDS} ADD pending :marker`,
          ExpressionAttributeValues: { ...laneValues(lane), ':marker': new Set([laneMarker(delivery)]) },
        },
      },
    ]);
    return !cancelled;
  }

  async acquireLane(lane: Lane, owner: string, now: Date, until: Date): Promise<LaneLease> {
    const taken = await this.table.update({
      Key: laneKey(lane),
      UpdateExpression: 'SET lease_owner = :me, lease_until = :until',
      ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :me)',
      ExpressionAttributeValues: { ':me': owner, ':until': until.getTime(), ':now': now.getTime() },
    });
    if (taken) return { held: true, pending: pendingOf(taken) };
    const seen = await this.table.getRaw(laneKey(lane));
    return seen && typeof seen.lease_until === 'number' ? { held: false, until: new Date(seen.lease_until) } : { held: false };
  }

  async releaseLane(lane: Lane, owner: string): Promise<string[]> {
    const mine = { ':me': owner };
    // An empty lane goes altogether; the next delivery of its subject makes it again.
    if (await this.table.delete(laneKey(lane), { expression: 'attribute_not_exists(pending) AND lease_owner = :me', values: mine }))
      return [];
    const released = await this.table.update({
      Key: laneKey(lane),
      UpdateExpression: 'REMOVE lease_owner, lease_until',
      ConditionExpression: 'lease_owner = :me',
      ExpressionAttributeValues: mine,
    });
    return pendingOf(released ?? (await this.table.getRaw(laneKey(lane))));
  }

  async dropMarker(lane: Lane, marker: string, owner: string): Promise<void> {
    await this.table.update({
      Key: laneKey(lane),
      UpdateExpression: 'DELETE pending :marker',
      ConditionExpression: 'lease_owner = :me',
      ExpressionAttributeValues: { ':marker': new Set([marker]), ':me': owner },
    });
  }

  async removeLane(lane: Lane): Promise<void> {
    await this.table.delete(laneKey(lane));
  }

  async recordAttempt(
    lane: Lane,
    delivery: Delivery,
    attempt: Attempt,
    outcome: AttemptOutcome,
    owner: string,
    leaseUntil: Date,
  ): Promise<boolean> {
    const done = outcome.status !== 'pending';
    const set = [
      'attempts = list_append(attempts, :attempt)',
      'attempt_count = attempt_count + :one',
      '#status = :status',
      'first_attempt_at = if_not_exists(first_attempt_at, :at)',
      ...(outcome.status === 'pending' ? ['next_attempt_at = :next'] : []),
      ...(outcome.status === 'delivered' ? ['delivered_at = :ended'] : []),
      ...(outcome.status === 'parked' ? ['parked_at = :ended'] : []),
    ];
    const ended = new Date(Date.parse(attempt.at) + attempt.duration_ms).toISOString();
    const cancelled = await this.table.transact([
      {
        Update: {
          Key: webhookKeys.delivery(delivery.webhook_id, delivery.id),
          UpdateExpression: `SET ${set.join(', ')}${done ? ' REMOVE next_attempt_at' : ''}`,
          ConditionExpression: '#status = :pending AND attempt_count = :count',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':attempt': [attempt],
            ':one': 1,
            ':status': outcome.status,
            ':at': attempt.at,
            ':pending': 'pending',
            ':count': delivery.attempts.length,
            ...(outcome.status === 'pending' && { ':next': outcome.nextAttemptAt.toISOString() }),
            ...(done && { ':ended': ended }),
          },
        },
      },
      {
        Update: {
          Key: laneKey(lane),
          UpdateExpression: `SET lease_until = :until${done ? ' DELETE pending :marker' : ''}`,
          ConditionExpression: 'lease_owner = :me',
          ExpressionAttributeValues: {
            ':until': leaseUntil.getTime(),
            ':me': owner,
            ...(done && { ':marker': new Set([laneMarker(delivery)]) }),
          },
        },
      },
    ]);
    return !cancelled;
  }

  /** One page of a partition's items under `prefix`, in key order, read consistently. */
  private async pageOf<S extends z.ZodType>(pk: string, prefix: string, page: PageRequest, schema: S): Promise<Page<z.infer<S>>> {
    const out = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ConsistentRead: true,
        Limit: page.limit + 1,
        ...(page.afterId && { ExclusiveStartKey: { PK: pk, SK: `${prefix}${page.afterId}` } }),
      }),
    );
    const items = (out.Items ?? []).map((raw) => schema.parse(entityOf(raw)) as z.infer<S> & { id: string });
    if (items.length <= page.limit) return { items };
    items.pop();
    return { items, lastId: (items[items.length - 1] as { id: string }).id };
  }
}
