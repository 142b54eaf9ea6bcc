// One EventBridge Scheduler one-time schedule: the lease timers and the webhook timers both arm
// theirs this way. A timer's name carries its time, so a schedule already there by that name is
// this very timer, armed before (ConflictException): arming it again is done.
import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';

/** Where a timer goes: the stage's schedule group, the function it invokes, the role Scheduler assumes. */
export interface ScheduleTarget {
  groupName: string;
  targetArn: string;
  roleArn: string;
}

/**
 * Scheduler's retries of delivering the event to Lambda, as Scheduler does by default (up to 185
 * times over 24 hours): Scheduler invokes Lambda asynchronously, so these cover the invocation
 * being refused or throttled, not the function failing (Lambda's own asynchronous retries cover
 * that). A late delivery is still right, since every timer's function re-reads what it acts on; a
 * dropped one would strand the work.
 */
const RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

/**
 * The whole second a timer for `at` is armed for: rounded up, never down (a timer that fired early
 * would only re-arm), and never sooner than `leadMs` from `now` (the docs do not say what Scheduler
 * does with an at() in the past, so it is never sent one: a late arming fires right away).
 */
export function dueSeconds(at: Date, now: Date, leadMs: number): number {
  return Math.ceil(Math.max(at.getTime(), now.getTime() + leadMs) / 1000);
}

/** The at() expression for a time in whole seconds since the epoch, in UTC. */
export function atOfSeconds(seconds: number): string {
  return `at(${new Date(seconds * 1000).toISOString().slice(0, 19)})`;
}

/** Creates the schedule `name`, due at `atSeconds`, invoking the target with `input`; deleted once it fired. */
export async function createOneTimeSchedule(
  client: SchedulerClient,
  target: ScheduleTarget,
  name: string,
  atSeconds: number,
  input: object,
): Promise<void> {
  try {
    await client.send(
      new CreateScheduleCommand({
        Name: name,
        GroupName: target.groupName,
        ScheduleExpression: atOfSeconds(atSeconds),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: { Arn: target.targetArn, RoleArn: target.roleArn, Input: JSON.stringify(input), RetryPolicy: RETRY_POLICY },
      }),
    );
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'ConflictException') throw err;
  }
}
