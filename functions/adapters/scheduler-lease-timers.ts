// LeaseTimers on EventBridge Scheduler: one one-time schedule per Resource and end time,
// `lease-<resource id>-<epoch seconds>` in the stage's schedule group, invoking the lease-expiry
// function. A schedule is created and never moved: arming another time creates another schedule,
// and arming a time already armed finds its schedule there (ConflictException) and is done.
//
// Why not one schedule per Resource, moved by UpdateSchedule: two moves racing (or an expiry
// re-arm racing a shortening) leave it at whichever time was written last, which may be later
// than the end stored on the Resource; and an update landing just after the schedule fired can be
// lost to its pending self-delete (ActionAfterCompletion DELETE).
//
// Every timer that fires invokes the lease-expiry function, which re-reads the Resource and acts
// on what is stored: it tears down a lease that has ended, and otherwise arms the stored end
// (idempotent: the same end is the same name). So a stale, earlier timer is harmless, and the
// invariant is: for the end E stored on a Resource there is always a pending timer due no later
// than E's own (E rounded up to the second). A shortening arms its new end before writing it; an
// extension keeps the earlier timer, which fires early and arms the new end then. No timer is
// ever moved later, so a lease never outlives its end.
//
// The client takes its endpoint from the environment (AWS_ENDPOINT_URL_SCHEDULER), so the same
// code talks to AWS, LocalStack or the local emulator (local/scheduler).
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { type Clock, systemClock } from '../core/clock.ts';
import type { LeaseTimerEvent, LeaseTimers } from '../core/lease-timers.ts';
import { atOfSeconds, createOneTimeSchedule, dueSeconds, type ScheduleTarget } from './one-time-schedule.ts';

/** LEASE_SCHEDULE_GROUP, LEASE_EXPIRY_FUNCTION_ARN, LEASE_SCHEDULER_ROLE_ARN. */
export type SchedulerLeaseTimersConfig = ScheduleTarget;

/** Schedule names are 1-64 of `[0-9a-zA-Z-_.]`; a UUIDv7 and a 10-digit time make 53 (57 for a request's). */
const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

/**
 * How far ahead a timer whose time has passed (or is about to) is armed. The docs do not say what
 * Scheduler does with an at() in the past, so it is never sent one: a late arming fires right away.
 */
export const MIN_LEAD_MS = 5000;

/**
 * The name of a timer due at `atSeconds` (seconds since the epoch, as armed): a Resource's lease
 * (`lease-<resource id>-<s>`), or a request's expiry (`lease-req-<assignment id>-<s>`, in the same
 * group and under the same name prefix the grants name).
 */
export function leaseScheduleName(resourceId: string, atSeconds: number): string {
  if (!Number.isSafeInteger(atSeconds) || atSeconds < 0) throw new Error(`${atSeconds} is not a time in whole seconds.`);
  const name = `lease-${resourceId}-${atSeconds}`;
  if (!SCHEDULE_NAME.test(name)) throw new Error(`Resource id ${JSON.stringify(resourceId)} cannot name a schedule.`);
  return name;
}

/**
 * When a timer for `at` is armed: to the second, rounded up, never down (a timer that fired before
 * the lease ran out would only re-arm), and never sooner than MIN_LEAD_MS from `now`.
 */
export function timerSeconds(at: Date, now: Date): number {
  return dueSeconds(at, now, MIN_LEAD_MS);
}

/** The at() expression of the timer for `at`, in UTC (see timerSeconds). */
export function atExpression(at: Date, now: Date): string {
  return atOfSeconds(timerSeconds(at, now));
}

export class SchedulerLeaseTimers implements LeaseTimers {
  constructor(
    private readonly config: SchedulerLeaseTimersConfig,
    private readonly client: SchedulerClient = new SchedulerClient({}),
    private readonly clock: Clock = systemClock,
  ) {}

  arm(resourceId: string, at: Date): Promise<void> {
    const seconds = timerSeconds(at, this.clock.now());
    return this.create(leaseScheduleName(resourceId, seconds), seconds, { resource_id: resourceId });
  }

  armRequestExpiry(assignmentId: string, at: Date): Promise<void> {
    const seconds = timerSeconds(at, this.clock.now());
    return this.create(leaseScheduleName(`req-${assignmentId}`, seconds), seconds, { assignment_id: assignmentId });
  }

  private create(name: string, atSeconds: number, event: LeaseTimerEvent): Promise<void> {
    return createOneTimeSchedule(this.client, this.config, name, atSeconds, event);
  }
}
