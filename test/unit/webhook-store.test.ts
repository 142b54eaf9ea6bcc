import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoEventLog } from '../../functions/adapters/event-log.ts';
import { DynamoFanOutCursors } from '../../functions/adapters/webhook-cursors.ts';
import { DynamoWebhookStore } from '../../functions/adapters/webhook-store.ts';
import { type Delivery, type Lane, laneMarker } from '../../functions/core/webhooks/webhook.ts';
import type { ChangeFeed, StreamRecord } from '../../local/dynamo/change-feed.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { waitFor } from '../support/wait.ts';
import { aWebhook, anEvent, WEBHOOK_DOMAIN } from '../support/webhook-fakes.ts';

// The webhook store on the embedded DynamoDB: the conditions the dispatcher relies on (one delivery
// per webhook and event, one lane holder, attempts recorded only by it, a webhook's starting seq),
// and the change feed that hands the dispatcher the event items transactions insert.

let dynamo: TestDynamo;
let table: Table;
let store: DynamoWebhookStore;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  table = await dynamo.freshTable('webhooks');
  store = new DynamoWebhookStore(table);
});
afterAll(() => dynamo?.close());

const at = (s: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + s * 1000);

function delivery(subject: string, webhookId = aWebhook().id): { d: Delivery; lane: Lane } {
  const event = anEvent(subject);
  return {
    d: { id: event.id, webhook_id: webhookId, domain_id: WEBHOOK_DOMAIN, event, status: 'pending', attempts: [], created_at: at(0).toISOString() },
    lane: { webhook_id: webhookId, subject: event.subject },
  };
}

describe('the webhook store', () => {
  it('writes a delivery once and marks it in its lane', async () => {
    const { d, lane } = delivery('s1');
    expect(await store.createDelivery(d, lane)).toBe(true);
    expect(await store.createDelivery(d, lane)).toBe(false);
    const lease = await store.acquireLane(lane, 'w1', at(0), at(30));
    expect(lease).toEqual({ held: true, pending: [laneMarker(d)] });
    expect(await store.getDelivery(d.webhook_id, d.id)).toEqual(d);
  });

  it('lets one holder take a lane until its lease ends, and records attempts only from it', async () => {
    const { d, lane } = delivery('s2');
    await store.createDelivery(d, lane);
    expect((await store.acquireLane(lane, 'w1', at(0), at(30))).held).toBe(true);
    expect(await store.acquireLane(lane, 'w2', at(10), at(40))).toEqual({ held: false, until: at(30) });
    const attempt = { at: at(1).toISOString(), status_code: 500, duration_ms: 4 };
    expect(await store.recordAttempt(lane, d, attempt, { status: 'pending', nextAttemptAt: at(6) }, 'w2', at(40))).toBe(false);
    expect(await store.recordAttempt(lane, d, attempt, { status: 'pending', nextAttemptAt: at(6) }, 'w1', at(40))).toBe(true);
    // A second record of the same attempt (the holder's view is stale) is refused.
    expect(await store.recordAttempt(lane, d, attempt, { status: 'delivered' }, 'w1', at(40))).toBe(false);
    expect(await store.getDelivery(d.webhook_id, d.id)).toMatchObject({ status: 'pending', attempts: [attempt], next_attempt_at: at(6).toISOString() });
    // Past the lease, another worker takes over.
    expect((await store.acquireLane(lane, 'w2', at(41), at(70))).held).toBe(true);
    const seen = (await store.getDelivery(d.webhook_id, d.id)) as Delivery;
    const ok = { at: at(42).toISOString(), status_code: 204, duration_ms: 2 };
    expect(await store.recordAttempt(lane, seen, ok, { status: 'delivered' }, 'w2', at(70))).toBe(true);
    expect(await store.getDelivery(d.webhook_id, d.id)).toMatchObject({ status: 'delivered', first_attempt_at: attempt.at });
    expect(await store.releaseLane(lane, 'w2')).toEqual([]);
    expect(await store.acquireLane(lane, 'w3', at(80), at(90))).toEqual({ held: false });
  });

  it('requeues a parked delivery once', async () => {
    const { d, lane } = delivery('s3');
    await store.createDelivery(d, lane);
    await store.acquireLane(lane, 'w1', at(0), at(30));
    await store.recordAttempt(lane, d, { at: at(1).toISOString(), status_code: null, error: 'timeout', duration_ms: 10_000 }, { status: 'parked' }, 'w1', at(30));
    expect(await store.releaseLane(lane, 'w1')).toEqual([]);
    const parked = (await store.getDelivery(d.webhook_id, d.id)) as Delivery;
    expect(await store.requeue(parked, 'parked', at(100).toISOString())).toBe(true);
    expect(await store.requeue(parked, 'parked', at(101).toISOString())).toBe(false);
    expect(await store.getDelivery(d.webhook_id, d.id)).toMatchObject({ status: 'pending', redelivered_at: at(100).toISOString() });
    expect(await store.acquireLane(lane, 'w2', at(102), at(130))).toEqual({ held: true, pending: [laneMarker(d)] });
  });

  it('registers a webhook only while the domain’s event counter reads its starting seq', async () => {
    const events = new DynamoEventLog(table);
    const domain = '019100a0-0a00-7000-8000-0000000000d1';
    const draft = { type: 'resource.created' as const, at: at(0).toISOString(), domain_id: domain, subject: { kind: 'resource' as const, id: 'x' }, data: {} };
    await events.append([draft]);
    expect(await store.lastSeq(domain)).toBe(1);
    expect(await store.create(aWebhook({ id: '01920000-0000-7000-8000-0000000000c1', domain_id: domain, from_seq: 0 }))).toBe(false);
    expect(await store.create(aWebhook({ id: '01920000-0000-7000-8000-0000000000c1', domain_id: domain, from_seq: 1 }))).toBe(true);
    expect((await store.listByDomain(domain)).map((w) => w.id)).toEqual(['01920000-0000-7000-8000-0000000000c1']);
    expect(await store.get('01920000-0000-7000-8000-0000000000c1')).toMatchObject({ from_seq: 1 });
  });
});

describe('the fan-out cursors', () => {
  it('start once at the first registration’s seq, move only forward, and list each domain once', async () => {
    const cursors = new DynamoFanOutCursors(table);
    const [d1, d2] = ['019100a0-0a00-7000-8000-0000000000e1', '019100a0-0a00-7000-8000-0000000000e2'];
    expect(await cursors.read(d1)).toBeUndefined();
    expect(await cursors.register(d1, 3)).toBe(3);
    // A second webhook registered later keeps the cursor where it is.
    expect(await cursors.register(d1, 9)).toBe(3);
    expect(await cursors.advance(d1, 5)).toBe(true);
    expect(await cursors.advance(d1, 5)).toBe(false);
    expect(await cursors.advance(d1, 4)).toBe(false);
    expect(await cursors.read(d1)).toBe(5);
    // A domain with no cursor yet: the first advance writes it.
    expect(await cursors.advance(d2, 2)).toBe(true);
    await cursors.register(d2, 0);
    expect(await cursors.read(d2)).toBe(2);
    expect((await cursors.domains()).toSorted()).toEqual([d1, d2]);
  });
});

describe('the embedded DynamoDB’s change feed', () => {
  it('hands a subscriber the event items a transaction inserted, after it committed, in order, as stream records', async () => {
    const { startDynamo, ensureTable } = await import('../../local/dynamodb.ts');
    const own = await startDynamo({});
    try {
      await ensureTable(own.url, 'feed');
      const got: StreamRecord[] = [];
      let answered = false;
      (own.feed as ChangeFeed).subscribe({
        filter: (r) => String((r.dynamodb.Keys.PK as { S: string }).S).startsWith('EVENTS#'),
        deliver: async ({ Records }) => {
          // Once: the first batch is asked for again from its second record.
          if (!answered && Records.length > 1) {
            answered = true;
            got.push(Records[0] as StreamRecord);
            return { batchItemFailures: [{ itemIdentifier: Records[1]?.dynamodb.SequenceNumber }] };
          }
          got.push(...Records);
          return { batchItemFailures: [] };
        },
      });
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
      const { Table: OwnTable } = await import('../../functions/adapters/dynamo/table.ts');
      const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: own.url }));
      const log = new DynamoEventLog(new OwnTable('feed', client));
      const drafts = ['a', 'b', 'c'].map((id) => ({ type: 'resource.created' as const, at: at(0).toISOString(), domain_id: WEBHOOK_DOMAIN, subject: { kind: 'resource' as const, id }, data: {} }));
      await log.append(drafts.slice(0, 2));
      await log.append(drafts.slice(2));
      await waitFor(async () => (got.length >= 3 ? true : undefined), { intervalMs: 10, what: 'the three records' });
      client.destroy();
      expect(got.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT']);
      expect(got.map((r) => (r.dynamodb.NewImage.seq as { N: string }).N)).toEqual(['1', '2', '3']);
      expect(got.map((r) => (r.dynamodb.NewImage.subject as { M: { id: { S: string } } }).M.id.S)).toEqual(['a', 'b', 'c']);
      // The counter item the same transactions wrote is not an event: the filter kept it out.
      expect(got.every((r) => (r.dynamodb.Keys.PK as { S: string }).S === `EVENTS#${WEBHOOK_DOMAIN}`)).toBe(true);
      expect(got[0]?.dynamodb).toMatchObject({ StreamViewType: 'NEW_IMAGE', Keys: { SK: { S: '000000000001' } } });
    } finally {
      await own.close();
    }
  });
});
