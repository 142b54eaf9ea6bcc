import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { atExpression, leaseScheduleName, MIN_LEAD_MS, SchedulerLeaseTimers, timerSeconds } from '../../functions/adapters/scheduler-lease-timers.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { newId } from '../../functions/core/ids.ts';
import { LEASE_EXPIRY } from '../../local/functions.ts';
import { DueQueue } from '../../local/scheduler/queue.ts';
import { type LocalScheduler, startScheduler } from '../../local/scheduler/api.ts';
import type { Target } from '../../local/scheduler/store.ts';
import { rejection } from '../support/sdk-rejection.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { waitFor } from '../support/wait.ts';

// The local EventBridge Scheduler: its API as the SDK sees it, and when it fires, by a clock of the
// test's. The same adapter tests run against moto in test/conformance/suites/lease-timers.ts.

const GROUP = 'leases';
const TARGET = 'arn:aws:lambda:us-east-1:000000000000:function:plexsphere-local-lease-expiry';
const ROLE = 'arn:aws:iam::000000000000:role/lease-scheduler';
const START = Date.parse('2026-06-01T00:00:00Z');
const MINUTE = 60_000;

class TestClock implements Clock {
  constructor(public ms = START) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

let dataDir: string;
let clock: TestClock;
let scheduler: LocalScheduler;
let client: SchedulerClient;
let timers: SchedulerLeaseTimers;
/** What each delivery carried; `failing` makes the next deliveries throw. */
let delivered: unknown[];
let failing: number;

async function start(opts: { maxTimerMs?: number } = {}): Promise<void> {
  scheduler = await startScheduler({
    dataDir,
    clock,
    retryBaseMs: 1,
    ...opts,
    invoke: async (target: Target) => {
      if (failing > 0) {
        failing--;
        throw new Error('the target is down');
      }
      delivered.push(JSON.parse(target.Input ?? '{}'));
    },
  });
  client = new SchedulerClient({ endpoint: scheduler.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  timers = new SchedulerLeaseTimers({ groupName: GROUP, targetArn: TARGET, roleArn: ROLE }, client, clock);
}

async function restart(opts: { maxTimerMs?: number } = {}): Promise<void> {
  client.destroy();
  await scheduler.close();
  await start(opts);
}

/** The Resource's timer due at `ms` (a whole second). */
const get = (id: string, ms: number) => client.send(new GetScheduleCommand({ Name: leaseScheduleName(id, ms / 1000), GroupName: GROUP }));
/** The names of the Resource's schedules. */
const namesOf = async (id: string) =>
  ((await client.send(new ListSchedulesCommand({ GroupName: GROUP, NamePrefix: `lease-${id}-` }))).Schedules ?? []).map((s) => s.Name);

/** A fresh emulator, data dir, client and adapter for each test of the calling describe. */
function useLocalScheduler(): void {
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-scheduler-'));
    clock = new TestClock();
    delivered = [];
    failing = 0;
    await start();
    await client.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    client.destroy();
    await scheduler.close();
    await rm(dataDir, { recursive: true, force: true });
  });
}

describe('local Scheduler: firing lease timers by the clock', () => {
  useLocalScheduler();

  it('fires a timer once its time has come, exactly once, with the resource id, and deletes it', async () => {
    const id = newId();
    await timers.arm(id, new Date(START + 10 * MINUTE));
    await scheduler.wake();
    clock.advance(10 * MINUTE - 1000);
    await scheduler.wake();
    expect(delivered).toEqual([]);

    clock.advance(1000);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: id }]);
    expect(await rejection(get(id, START + 10 * MINUTE))).toBeInstanceOf(ResourceNotFoundException);
    clock.advance(10 * MINUTE);
    await scheduler.wake();
    expect(delivered).toHaveLength(1);
  });

  it('never moves a timer: a later arming adds one, and the earlier still fires first', async () => {
    const id = newId();
    const [early, late] = [START + 5 * MINUTE, START + 20 * MINUTE];
    await timers.arm(id, new Date(early));
    await timers.arm(id, new Date(late));
    expect((await get(id, early)).ScheduleExpression).toBe('at(2026-06-01T00:05:00)');
    expect((await get(id, late)).ScheduleExpression).toBe('at(2026-06-01T00:20:00)');
    // The early timer fires (the expiry function finds the lease not ended and re-arms its end).
    clock.advance(10 * MINUTE);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: id }]);
    expect(await namesOf(id)).toEqual([leaseScheduleName(id, late / 1000)]);
    clock.advance(10 * MINUTE);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: id }, { resource_id: id }]);
    expect(await namesOf(id)).toEqual([]);
  });

  it('fires a shortened lease at its new end, before the end it had', async () => {
    const id = newId();
    await timers.arm(id, new Date(START + 20 * MINUTE));
    await timers.arm(id, new Date(START + 5 * MINUTE));
    clock.advance(5 * MINUTE);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: id }]);
    clock.advance(15 * MINUTE);
    await scheduler.wake();
    expect(delivered).toHaveLength(2);
  });

  it('arms one timer for one time, however often and however it is rounded', async () => {
    const id = newId();
    const due = START + 10 * MINUTE;
    await timers.arm(id, new Date(due));
    const first = await get(id, due);
    clock.advance(MINUTE);
    // Each rounds up to the same second: the ConflictException is absorbed, nothing is rewritten.
    await Promise.all([timers.arm(id, new Date(due)), timers.arm(id, new Date(due - 999)), timers.arm(id, new Date(due - 1))]);
    expect(await namesOf(id)).toEqual([leaseScheduleName(id, due / 1000)]);
    expect({ ...(await get(id, due)), $metadata: undefined }).toEqual({ ...first, $metadata: undefined });
    clock.advance(9 * MINUTE);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: id }]);
  });

  it('fires many timers in the order they come due, each when its time has come', async () => {
    const ids = Array.from({ length: 50 }, () => newId());
    // Armed last first, due one minute apart in the order of `ids`.
    for (const [i, id] of [...ids.entries()].reverse()) await timers.arm(id, new Date(START + (i + 1) * MINUTE));
    for (let i = 0; i < ids.length; i++) {
      clock.advance(MINUTE);
      await scheduler.wake();
      expect(delivered).toHaveLength(i + 1);
    }
    expect(delivered).toEqual(ids.map((resource_id) => ({ resource_id })));
    expect((await client.send(new ListSchedulesCommand({ GroupName: GROUP }))).Schedules).toEqual([]);
  });

  it('notices a jump of the clock on its own, without wake()', async () => {
    await restart({ maxTimerMs: 10 });
    const id = newId();
    await timers.arm(id, new Date(START + 60 * MINUTE));
    clock.advance(61 * MINUTE);
    await waitFor(async () => (delivered.length ? true : undefined), { what: 'the timer to fire', timeoutMs: 5000, intervalMs: 10 });
    expect(delivered).toEqual([{ resource_id: id }]);
  });

  it('fires on real time with the system clock', async () => {
    client.destroy();
    await scheduler.close();
    scheduler = await startScheduler({ dataDir, invoke: async (target) => void delivered.push(JSON.parse(target.Input ?? '{}')) });
    client = new SchedulerClient({ endpoint: scheduler.url, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
    const id = newId();
    // An at() is to the second: the next whole second is at most a second away.
    await client.send(new CreateScheduleCommand(definition(id, `at(${new Date(Math.ceil(Date.now() / 1000) * 1000).toISOString().slice(0, 19)})`)));
    await waitFor(async () => (delivered.length ? true : undefined), { what: 'the timer to fire', timeoutMs: 5000, intervalMs: 20 });
    expect(delivered).toEqual([{ resource_id: id }]);
  });

  it('keeps armed timers across a restart, and fires one that came due while it was down', async () => {
    const [soon, later] = [newId(), newId()];
    await timers.arm(soon, new Date(START + MINUTE));
    await timers.arm(later, new Date(START + 60 * MINUTE));
    await restart();
    clock.advance(2 * MINUTE);
    await scheduler.wake();
    expect(delivered).toEqual([{ resource_id: soon }]);
    expect((await get(later, START + 60 * MINUTE)).ScheduleExpression).toBe('at(2026-06-01T01:00:00)');
  });

  it('retries a failed delivery with backoff, and delivers once the target answers', async () => {
    failing = 2;
    const id = newId();
    await timers.arm(id, new Date(START + MINUTE));
    clock.advance(MINUTE);
    await scheduler.wake();
    await waitFor(async () => (delivered.length ? true : undefined), { what: 'a retried delivery', timeoutMs: 5000, intervalMs: 5 });
    expect(delivered).toEqual([{ resource_id: id }]);
    expect(scheduler.stats).toMatchObject({ failures: 2, deliveries: 1, dropped: 0 });
    await waitFor(async () => ((await rejection(get(id, START + MINUTE))) instanceof ResourceNotFoundException ? true : undefined), {
      what: 'the schedule to delete itself',
    });
  });

  it("drops a delivery after its RetryPolicy's attempts, with an error line, and deletes the schedule", async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    failing = 100;
    const id = newId();
    const input = definition(id, 'at(2026-06-01T00:01:00)');
    await client.send(new CreateScheduleCommand({ ...input, Target: { ...input.Target, RetryPolicy: { MaximumRetryAttempts: 3 } } } as never));
    clock.advance(MINUTE);
    await scheduler.wake();
    await waitFor(async () => (scheduler.stats.dropped ? true : undefined), { what: 'the delivery to be dropped', intervalMs: 5 });
    expect(scheduler.stats).toMatchObject({ failures: 4, deliveries: 0, dropped: 1 });
    const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ level: 'error', schedule: expect.stringContaining(`/${GROUP}/lease-${id}`), attempts: 4 })]);
    expect(await rejection(get(id, START + MINUTE))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('local Scheduler: the API as the SDK reads it', () => {
  useLocalScheduler();

  it('answers a taken name with ConflictException, a missing schedule or group with ResourceNotFoundException', async () => {
    const id = newId();
    await client.send(new CreateScheduleCommand(definition(id, 'at(2026-07-01T00:00:00)')));
    expect(await rejection(client.send(new CreateScheduleCommand(definition(id, 'at(2026-07-01T00:00:00)'))))).toBeInstanceOf(ConflictException);
    expect(await rejection(client.send(new CreateScheduleGroupCommand({ Name: GROUP })))).toBeInstanceOf(ConflictException);
    expect(await rejection(get(newId(), START))).toBeInstanceOf(ResourceNotFoundException);
    const elsewhere = { ...definition(newId(), 'at(2026-07-01T00:00:00)'), GroupName: 'no-such-group' };
    const missingGroup = await rejection(client.send(new CreateScheduleCommand(elsewhere)));
    expect(missingGroup).toBeInstanceOf(ResourceNotFoundException);
    expect(missingGroup.message).toMatch(/no-such-group/);
  });

  it.each([
    ['an impossible date', 'at(2026-02-30T00:00:00)'],
    ['a malformed expression', 'at(2026-06-01 00:00)'],
    ['a recurring schedule (not emulated)', 'rate(5 minutes)'],
  ])('refuses %s with ValidationException', async (_, expression) => {
    const error = await rejection(client.send(new CreateScheduleCommand(definition(newId(), expression))));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses a bad name, a window without its length, and a target without a role, naming the field', async () => {
    const ok = definition(newId(), 'at(2026-07-01T00:00:00)');
    for (const [input, field] of [
      [{ ...ok, Name: 'not/valid!' }, /Name/],
      [{ ...ok, FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, /MaximumWindowInMinutes/],
      [{ ...ok, Target: { Arn: TARGET } }, /Target\.RoleArn/],
    ] as const) {
      const error = await rejection(client.send(new CreateScheduleCommand(input as CreateScheduleCommandInput)));
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toMatch(field);
    }
  });
});

describe('the embedded stack: lease timers', () => {
  let stack: TestStack;
  // A whole second, as at() is: the timer is due exactly 10 minutes on.
  const stackClock = new TestClock(Math.floor(Date.now() / 1000) * 1000);
  beforeAll(async () => {
    stack = await startTestStack({}, { clock: stackClock });
  });
  afterAll(() => stack?.close());

  it('arms through the functions’ environment and delivers to the lease-expiry function the local router maps', async () => {
    const { LEASE_SCHEDULE_GROUP, LEASE_EXPIRY_FUNCTION_ARN, LEASE_SCHEDULER_ROLE_ARN } = process.env;
    const config = { groupName: LEASE_SCHEDULE_GROUP ?? '', targetArn: LEASE_EXPIRY_FUNCTION_ARN ?? '', roleArn: LEASE_SCHEDULER_ROLE_ARN ?? '' };
    expect(config.targetArn).toMatch(/:function:plexsphere-local-lease-expiry$/);
    // Its endpoint from AWS_ENDPOINT_URL_SCHEDULER, as the functions' client has it.
    const sdk = new SchedulerClient({});
    try {
      await new SchedulerLeaseTimers(config, sdk, stackClock).arm(newId(), new Date(stackClock.ms + 10 * MINUTE));
    } finally {
      sdk.destroy();
    }
    await stack.scheduler.wake();
    expect(stack.stats.stepInvocations[LEASE_EXPIRY]).toBeUndefined();
    stackClock.advance(10 * MINUTE);
    await stack.scheduler.wake();
    // A Resource that does not exist needs nothing: the handler answers, and the timer is spent.
    expect(stack.stats.stepInvocations[LEASE_EXPIRY]).toBe(1);
    expect(stack.scheduler.stats).toMatchObject({ deliveries: 1, failures: 0 });
  });
});

describe('lease timer expressions', () => {
  const now = new Date(START);
  it('arms at the lease end to the second, rounding up so it never fires before the end', () => {
    expect(atExpression(new Date(START + 10 * MINUTE), now)).toBe('at(2026-06-01T00:10:00)');
    expect(atExpression(new Date(START + 10 * MINUTE + 1), now)).toBe('at(2026-06-01T00:10:01)');
  });

  it('arms a time past (or too close) a few seconds ahead, so it fires right away', () => {
    expect(MIN_LEAD_MS).toBeLessThanOrEqual(10_000);
    const soon = `at(${new Date(START + MIN_LEAD_MS).toISOString().slice(0, 19)})`;
    expect(atExpression(new Date(START - 60 * MINUTE), now)).toBe(soon);
    expect(atExpression(new Date(START + 1), now)).toBe(soon);
  });

  it('names a schedule by its Resource and its time within the 64 characters Scheduler allows', () => {
    const name = leaseScheduleName('019100c0-0d00-7000-8000-000000000001', 1767225600);
    expect(name).toBe('lease-019100c0-0d00-7000-8000-000000000001-1767225600');
    expect(name).toHaveLength(53);
    expect(() => leaseScheduleName('a'.repeat(50), 1767225600)).toThrow(/cannot name a schedule/);
    expect(() => leaseScheduleName('has space', 1767225600)).toThrow(/cannot name a schedule/);
    expect(() => leaseScheduleName('019100c0-0d00-7000-8000-000000000001', 1767225600.5)).toThrow(/whole seconds/);
  });

  it('names the timer by the time its at() says', () => {
    for (const at of [START + 10 * MINUTE, START + 10 * MINUTE + 1, START - MINUTE]) {
      const seconds = timerSeconds(new Date(at), now);
      expect(atExpression(new Date(at), now)).toBe(`at(${new Date(seconds * 1000).toISOString().slice(0, 19)})`);
    }
    expect(timerSeconds(new Date(START + 10 * MINUTE + 1), now)).toBe((START + 10 * MINUTE) / 1000 + 1);
  });
});

describe('the due queue', () => {
  it('takes keys in due order, a re-set key at its new time, a deleted one never', () => {
    const queue = new DueQueue();
    for (let round = 0; round < 20; round++) for (let i = 0; i < 100; i++) queue.set(`k${i}`, 1000 + ((i * 37 + round) % 100));
    queue.delete('k0');
    queue.set('k1', 5);
    expect(queue.size).toBe(99);
    expect(queue.peek()).toBe(5);
    expect(queue.takeDue(4)).toEqual([]);
    const taken = queue.takeDue(10_000);
    expect(taken[0]).toBe('k1');
    expect(taken).toHaveLength(99);
    expect(new Set(taken).size).toBe(99);
    expect(taken).not.toContain('k0');
    expect(queue.peek()).toBeUndefined();
  });
});

/** A lease timer's definition, named by its at() time (by START's for an expression that has none). */
function definition(id: string, expression: string): CreateScheduleCommandInput {
  const due = Date.parse(`${expression.slice(3, -1)}Z`);
  return {
    Name: leaseScheduleName(id, Number.isInteger(due / 1000) ? due / 1000 : START / 1000),
    GroupName: GROUP,
    ScheduleExpression: expression,
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: TARGET, RoleArn: ROLE, Input: JSON.stringify({ resource_id: id }) },
  };
}
