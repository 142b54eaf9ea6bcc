import type { DomainEvent } from '../../functions/core/events/event.ts';
import type { DispatchPorts } from '../../functions/core/webhooks/dispatch.ts';
import type { FanOutPorts } from '../../functions/core/webhooks/fan-out.ts';
import { MemoryEventLog } from './lease-fakes.ts';
import {
  type Attempt,
  type AttemptOutcome,
  type Delivery,
  type DeliveryStatus,
  type FanOutCursors,
  type Lane,
  type LaneLease,
  laneMarker,
  type SendResult,
  type SignedRequest,
  type Webhook,
  type WebhookStore,
} from '../../functions/core/webhooks/webhook.ts';

// In-memory webhook ports for the dispatcher's unit tests: a store that keeps the DynamoDB store's
// conditions (a lane's lease, an attempt recorded only by its holder), a receiver whose answers the
// test scripts, timers that are only noted, and a clock the test moves.

const laneId = (lane: Lane) => JSON.stringify([lane.webhook_id, lane.subject.kind, lane.subject.id]);

interface LaneState {
  pending: Set<string>;
  owner?: string;
  until?: number;
}

export class FakeWebhookStore implements WebhookStore {
  readonly webhooks = new Map<string, Webhook>();
  readonly deliveriesById = new Map<string, Delivery>();
  readonly lanes = new Map<string, LaneState>();
  counter = 0;

  async create(webhook: Webhook) {
    this.webhooks.set(webhook.id, webhook);
    return true;
  }
  async get(id: string) {
    return this.webhooks.get(id);
  }
  async listByDomain(domainId: string) {
    return [...this.webhooks.values()].filter((w) => w.domain_id === domainId);
  }
  async page(domainId: string) {
    return { items: await this.listByDomain(domainId) };
  }
  async remove(webhook: Webhook) {
    this.webhooks.delete(webhook.id);
  }
  async lastSeq() {
    return this.counter;
  }
  async createDelivery(delivery: Delivery, lane: Lane) {
    const key = `${delivery.webhook_id}/${delivery.id}`;
    if (this.deliveriesById.has(key)) return false;
    this.deliveriesById.set(key, structuredClone(delivery));
    this.lane(lane).pending.add(laneMarker(delivery));
    return true;
  }
  async getDelivery(webhookId: string, deliveryId: string) {
    const d = this.deliveriesById.get(`${webhookId}/${deliveryId}`);
    return d && structuredClone(d);
  }
  async deliveries(webhookId: string) {
    return { items: [...this.deliveriesById.values()].filter((d) => d.webhook_id === webhookId) };
  }
  async requeue(delivery: Delivery, from: DeliveryStatus, at: string) {
    const stored = this.deliveriesById.get(`${delivery.webhook_id}/${delivery.id}`);
    if (stored?.status !== from) return false;
    Object.assign(stored, { status: 'pending', redelivered_at: at, first_attempt_at: undefined, next_attempt_at: undefined });
    this.lane({ webhook_id: delivery.webhook_id, subject: delivery.event.subject }).pending.add(laneMarker(delivery));
    return true;
  }
  async acquireLane(lane: Lane, owner: string, now: Date, until: Date): Promise<LaneLease> {
    const state = this.lanes.get(laneId(lane));
    if (!state) return { held: false };
    if (state.until !== undefined && state.until >= now.getTime() && state.owner !== owner) return { held: false, until: new Date(state.until) };
    Object.assign(state, { owner, until: until.getTime() });
    return { held: true, pending: [...state.pending] };
  }
  async releaseLane(lane: Lane, owner: string) {
    const state = this.lanes.get(laneId(lane));
    if (state?.owner === owner) {
      state.owner = undefined;
      state.until = undefined;
      if (state.pending.size === 0) this.lanes.delete(laneId(lane));
    }
    return [...(state?.pending ?? [])];
  }
  async dropMarker(lane: Lane, marker: string, owner: string) {
    const state = this.lanes.get(laneId(lane));
    if (state?.owner === owner) state.pending.delete(marker);
  }
  async removeLane(lane: Lane) {
    this.lanes.delete(laneId(lane));
  }
  async recordAttempt(lane: Lane, delivery: Delivery, attempt: Attempt, outcome: AttemptOutcome, owner: string, leaseUntil: Date) {
    const state = this.lanes.get(laneId(lane));
    const stored = this.deliveriesById.get(`${delivery.webhook_id}/${delivery.id}`);
    if (state?.owner !== owner || stored?.status !== 'pending' || stored.attempts.length !== delivery.attempts.length) return false;
    stored.attempts.push(attempt);
    stored.first_attempt_at ??= attempt.at;
    stored.status = outcome.status;
    stored.next_attempt_at = outcome.status === 'pending' ? outcome.nextAttemptAt.toISOString() : undefined;
    if (outcome.status !== 'pending') state.pending.delete(laneMarker(delivery));
    state.until = leaseUntil.getTime();
    return true;
  }

  private lane(lane: Lane): LaneState {
    let state = this.lanes.get(laneId(lane));
    if (!state) {
      state = { pending: new Set() };
      this.lanes.set(laneId(lane), state);
    }
    return state;
  }
}

export interface FakeDispatch extends DispatchPorts {
  webhooks: FakeWebhookStore;
  /** Every request sent, in order. */
  sent: SignedRequest[];
  /** Timers armed, in order. */
  armed: Array<{ lane: Lane; at: Date }>;
  /** The receiver's answer to the n-th request (0-based) and its body. */
  answer: (index: number, request: SignedRequest) => SendResult | Promise<SendResult>;
  clock: { now: () => Date; ms: number };
}

export function fakeDispatch(): FakeDispatch {
  const clock = { ms: Date.parse('2030-01-01T00:00:00Z'), now: () => new Date(clock.ms) };
  const ports: FakeDispatch = {
    config: { retry: { baseSeconds: 5, maxSeconds: 3600, windowSeconds: 86_400 }, timeoutSeconds: 10 },
    clock,
    webhooks: new FakeWebhookStore(),
    secrets: { read: async () => 'whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC0xMjM0' },
    sent: [],
    armed: [],
    answer: () => ({ status_code: 204, duration_ms: 3 }),
    sender: {
      send: async (request) => {
        const index = ports.sent.length;
        ports.sent.push(request);
        return ports.answer(index, request);
      },
    },
    timers: {
      arm: async (lane, at) => {
        ports.armed.push({ lane, at });
      },
    },
    random: () => 0.5,
  };
  return ports;
}

/** Cursors in memory, with the DynamoDB store's rule: a cursor only moves forward. */
export class FakeFanOutCursors implements FanOutCursors {
  readonly cursors = new Map<string, number>();
  readonly marked = new Set<string>();
  /** Every advance asked for, and whether it was written. */
  readonly advances: Array<{ domainId: string; to: number; moved: boolean }> = [];
  async read(domainId: string) {
    return this.cursors.get(domainId);
  }
  async advance(domainId: string, to: number) {
    const at = this.cursors.get(domainId);
    const moved = at === undefined || at < to;
    if (moved) this.cursors.set(domainId, to);
    this.advances.push({ domainId, to, moved });
    return moved;
  }
  async register(domainId: string, fromSeq: number) {
    this.marked.add(domainId);
    if (!this.cursors.has(domainId)) this.cursors.set(domainId, fromSeq);
    return this.cursors.get(domainId) as number;
  }
  async domains() {
    return [...this.marked];
  }
}

export interface FakeFanOut extends FakeDispatch, FanOutPorts {
  clock: FakeDispatch['clock'];
  webhooks: FakeWebhookStore;
  events: MemoryEventLog;
  cursors: FakeFanOutCursors;
  /** Fan-out timers armed, in order. */
  domainTimers: Array<{ domainId: string; at: Date }>;
}

/** The dispatcher's fakes with an event log in memory (the domain's counter is its last seq), cursors and fan-out timers. */
export function fakeFanOut(): FakeFanOut {
  const events = new MemoryEventLog();
  const domainTimers: FakeFanOut['domainTimers'] = [];
  // One object, so that the sender and timers fakeDispatch made note into it, and a test's answer reaches them.
  const ports: FakeFanOut = Object.assign(fakeDispatch(), {
    events,
    cursors: new FakeFanOutCursors(),
    domainTimers,
    fanOutTimers: {
      arm: async (domainId: string, at: Date) => {
        domainTimers.push({ domainId, at });
      },
    },
  });
  ports.webhooks.lastSeq = async (domainId?: string) => events.events.filter((e) => e.domain_id === domainId).length;
  return ports;
}

export const WEBHOOK_DOMAIN = '019100a0-0a00-7000-8000-000000000001';

export function aWebhook(over: Partial<Webhook> = {}): Webhook {
  return {
    id: '01920000-0000-7000-8000-0000000000a1',
    domain_id: WEBHOOK_DOMAIN,
    url: 'https://hooks.example.com/in',
    event_types: ['resource.phase_changed'],
    created_at: '2030-01-01T00:00:00.000Z',
    created_by: 'user',
    from_seq: 0,
    secret_name: 'plexsphere/test/webhooks/a1',
    ...over,
  };
}

let seq = 0;
export function anEvent(subjectId: string, over: Partial<DomainEvent> = {}): DomainEvent {
  seq += 1;
  return {
    id: `01920000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    type: 'resource.phase_changed',
    at: '2030-01-01T00:00:00.000Z',
    domain_id: WEBHOOK_DOMAIN,
    subject: { kind: 'resource', id: subjectId },
    data: { n: seq },
    ...over,
  };
}
