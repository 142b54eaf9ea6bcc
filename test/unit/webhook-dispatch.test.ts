import { describe, expect, it } from 'vitest';
import { drainLane, fanOut } from '../../functions/core/webhooks/dispatch.ts';
import { afterFailure, DEFAULT_RETRY_POLICY } from '../../functions/core/webhooks/retry.ts';
import { laneOf } from '../../functions/core/webhooks/webhook.ts';
import { aWebhook, anEvent, type FakeDispatch, fakeDispatch } from '../support/webhook-fakes.ts';

// The dispatcher with fake ports: backoff and parking, one lane per (webhook, subject) drained in seq
// order by one holder at a time, fan-out that a redelivered stream record cannot double.

const FAR = new Date('2100-01-01T00:00:00Z');
const fail = { status_code: 500, duration_ms: 7 };

/** Runs the lane's timers as Scheduler would: jumps to each armed time and drains, until nothing is armed. */
async function runTimers(ports: FakeDispatch, max = 100): Promise<number> {
  let fired = 0;
  while (ports.armed.length > 0 && fired < max) {
    const next = ports.armed.shift();
    if (!next) break;
    ports.clock.ms = Math.max(ports.clock.ms, next.at.getTime());
    await drainLane(ports, next.lane, FAR);
    fired++;
  }
  return fired;
}

describe('the retry schedule', () => {
  it('doubles from the base up to the cap, each wait in the upper half of its step', () => {
    const start = new Date('2030-01-01T00:00:00Z');
    const waits = (random: number) =>
      [1, 2, 3, 4, 10, 11, 20].map((n) => {
        const next = afterFailure(DEFAULT_RETRY_POLICY, n, start, start, () => random);
        return next.park ? 'park' : (next.at.getTime() - start.getTime()) / 1000;
      });
    expect(waits(0)).toEqual([2.5, 5, 10, 20, 1280, 1800, 1800]);
    expect(waits(0.999_999).map((w) => Math.round(Number(w)))).toEqual([5, 10, 20, 40, 2560, 3600, 3600]);
  });

  it('makes the last attempt at the window’s end, and parks after it', () => {
    const policy = { baseSeconds: 5, maxSeconds: 3600, windowSeconds: 86_400 };
    const first = new Date('2030-01-01T00:00:00Z');
    const late = new Date(first.getTime() + 86_000_000);
    expect(afterFailure(policy, 30, first, late, () => 0.9)).toEqual({ park: false, at: new Date(first.getTime() + 86_400_000) });
    expect(afterFailure(policy, 31, first, new Date(first.getTime() + 86_400_000), () => 0.9)).toEqual({ park: true });
  });

  it('retries a receiver that is always down for a day, then parks, with the attempts recorded', async () => {
    const ports = fakeDispatch();
    ports.answer = () => fail;
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    const event = anEvent('r-1');
    const [lane] = await fanOut(ports, event);
    const started = ports.clock.ms;
    await drainLane(ports, lane ?? laneOf(webhook.id, event.subject), FAR);
    await runTimers(ports);
    const [delivery] = (await ports.webhooks.deliveries(webhook.id)).items;
    expect(delivery?.status).toBe('parked');
    const times = delivery?.attempts.map((a) => Date.parse(a.at) - started) ?? [];
    // Backoff with random 0.5: waits of 3/4 of each step, capped at 3/4 of an hour; the last at 24 h.
    expect(times.slice(0, 5)).toEqual([0, 3750, 11_250, 26_250, 56_250]);
    expect(times.at(-1)).toBe(86_400_000);
    expect(times.length).toBeGreaterThan(30);
    expect(times.length).toBeLessThan(45);
    for (const [i, t] of times.entries()) if (i > 0) expect(t - (times[i - 1] as number)).toBeLessThanOrEqual(2_700_000);
    expect(ports.sent.every((s) => s.messageId === event.id)).toBe(true);
  });
});

describe('lanes', () => {
  it('never sends a subject’s later event before its earlier one is delivered, and lets other subjects go on', async () => {
    const ports = fakeDispatch();
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    const [a1, a2, b1] = [anEvent('a'), anEvent('a'), anEvent('b')];
    ports.answer = (i, req) => (JSON.parse(req.body).id === a1.id && i < 2 ? fail : { status_code: 200, duration_ms: 1 });
    const lanes = [...(await fanOut(ports, a1)), ...(await fanOut(ports, a2)), ...(await fanOut(ports, b1))];
    expect(await drainLane(ports, lanes[0] as never, FAR)).toBe('waiting');
    expect(ports.sent.map((s) => s.messageId)).toEqual([a1.id]);
    expect(await drainLane(ports, lanes[2] as never, FAR)).toBe('empty');
    expect(ports.sent.map((s) => s.messageId)).toEqual([a1.id, b1.id]);
    await runTimers(ports);
    expect(ports.sent.map((s) => s.messageId)).toEqual([a1.id, b1.id, a1.id, a2.id]);
    const statuses = (await ports.webhooks.deliveries(webhook.id)).items.map((d) => [d.id, d.status, d.attempts.length]);
    expect(statuses).toEqual([
      [a1.id, 'delivered', 2],
      [a2.id, 'delivered', 1],
      [b1.id, 'delivered', 1],
    ]);
  });

  it('lets one worker drain a lane at a time; the other arms a timer for when the lease ends', async () => {
    const ports = fakeDispatch();
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    ports.answer = async () => {
      await gate;
      return { status_code: 204, duration_ms: 1 };
    };
    const [lane] = await fanOut(ports, anEvent('c'));
    const first = drainLane(ports, lane as never, FAR);
    await new Promise((resolve) => setImmediate(resolve));
    await fanOut(ports, anEvent('c'));
    expect(await drainLane(ports, lane as never, FAR)).toBe('busy');
    expect(ports.armed).toHaveLength(1);
    open();
    // The holder finds the second delivery (added while it held the lane) and sends it too.
    expect(await first).toBe('empty');
    expect(ports.sent.map((s) => JSON.parse(s.body).subject.id)).toEqual(['c', 'c']);
    expect(ports.webhooks.lanes.size).toBe(0);
  });

  it('parks the head and moves on; a redelivery puts it back with a new window', async () => {
    const ports = fakeDispatch();
    ports.config.retry = { baseSeconds: 5, maxSeconds: 5, windowSeconds: 10 };
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    const [d1, d2] = [anEvent('p'), anEvent('p')];
    let down = true;
    ports.answer = (_, req) => (down && JSON.parse(req.body).id === d1.id ? fail : { status_code: 202, duration_ms: 1 });
    const [lane] = await fanOut(ports, d1);
    await fanOut(ports, d2);
    await drainLane(ports, lane as never, FAR);
    await runTimers(ports);
    const parked = await ports.webhooks.getDelivery(webhook.id, d1.id);
    expect(parked?.status).toBe('parked');
    expect((await ports.webhooks.getDelivery(webhook.id, d2.id))?.status).toBe('delivered');

    down = false;
    expect(await ports.webhooks.requeue(parked as never, 'parked', ports.clock.now().toISOString())).toBe(true);
    expect(await drainLane(ports, lane as never, FAR)).toBe('empty');
    const redelivered = await ports.webhooks.getDelivery(webhook.id, d1.id);
    expect(redelivered?.status).toBe('delivered');
    expect(redelivered?.attempts.at(-1)?.status_code).toBe(202);
  });

  it('stops when the invocation’s time is short, and arms a timer to go on', async () => {
    const ports = fakeDispatch();
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    const [lane] = await fanOut(ports, anEvent('t'));
    expect(await drainLane(ports, lane as never, new Date(ports.clock.ms + 5000))).toBe('budget');
    expect(ports.sent).toEqual([]);
    expect(ports.armed.map((a) => a.at.getTime())).toEqual([ports.clock.ms]);
  });

  it('drops the lane of a deleted webhook without sending', async () => {
    const ports = fakeDispatch();
    const webhook = aWebhook();
    ports.webhooks.webhooks.set(webhook.id, webhook);
    const [lane] = await fanOut(ports, anEvent('g'));
    ports.webhooks.webhooks.delete(webhook.id);
    expect(await drainLane(ports, lane as never, FAR)).toBe('gone');
    expect(ports.sent).toEqual([]);
    expect(ports.webhooks.lanes.size).toBe(0);
  });
});

describe('fan-out', () => {
  it('writes one delivery per subscribed webhook and event, once, and none for events before a webhook or of other types', async () => {
    const ports = fakeDispatch();
    const early = anEvent('f');
    const hooks = [
      aWebhook({ id: '01920000-0000-7000-8000-0000000000b1', from_seq: early.seq }),
      aWebhook({ id: '01920000-0000-7000-8000-0000000000b2', event_types: ['resource.created'] }),
      aWebhook({ id: '01920000-0000-7000-8000-0000000000b3', domain_id: '019100a0-0a00-7000-8000-0000000000ff' }),
    ];
    for (const h of hooks) ports.webhooks.webhooks.set(h.id, h);
    expect(await fanOut(ports, early)).toEqual([]);
    const later = anEvent('f');
    expect((await fanOut(ports, later)).map((l) => l.webhook_id)).toEqual([hooks[0]?.id]);
    // The same stream record again: the lane is answered (to be drained), no second delivery.
    expect(await fanOut(ports, later)).toHaveLength(1);
    expect(ports.webhooks.deliveriesById.size).toBe(1);
    expect([...(ports.webhooks.lanes.values().next().value?.pending ?? [])]).toHaveLength(1);
  });
});
