// LeaseTimers on EventBridge Scheduler: one one-time schedule per Resource, `lease-<resource id>` in
// the stage's schedule group, invoking the lease-expiry function. The client takes its endpoint from
// the environment (AWS_ENDPOINT_URL_SCHEDULER), so the same code talks to AWS, LocalStack or the
// local emulator (local/scheduler).
import { type CreateScheduleCommandInput, CreateScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { type Clock, systemClock } from '../core/clock.ts';
import type { LeaseTimerEvent, LeaseTimers } from '../core/lease-timers.ts';

export interface SchedulerLeaseTimersConfig {
  /** The stage's schedule group (LEASE_SCHEDULE_GROUP). */
  groupName: string;
  /** The lease-expiry function (LEASE_EXPIRY_FUNCTION_ARN). */
  targetArn: string;
  /** The role Scheduler assumes to invoke it (LEASE_SCHEDULER_ROLE_ARN). */
  roleArn: string;
}

/** Schedule names are 1-64 of `[0-9a-zA-Z-_.]`; a UUIDv7 makes 42. */
const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

/**
 * How far ahead a timer whose time has passed (or is about to) is armed. The docs do not say what
 * Scheduler does with an at() in the past, so it is never sent one: a late arming fires right away.
 */
export const MIN_LEAD_MS = 5000;

/**
 * A failed delivery is retried as Scheduler does by default (up to 185 times over 24 hours): the
 * expiry function re-reads the Resource, so a late delivery is still right, and a dropped one
 * would strand a machine past its lease.
 */
const RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

export function leaseScheduleName(resourceId: string): string {
  const name = `lease-${resourceId}`;
  if (!SCHEDULE_NAME.test(name)) throw new Error(`Resource id ${JSON.stringify(resourceId)} cannot name a schedule.`);
  return name;
}

/**
 * The at() expression for `at`, in UTC to the second. Rounded up, never down: a timer that fired
 * before the lease ran out would find nothing to do.
 */
export function atExpression(at: Date, now: Date): string {
  const ms = Math.max(at.getTime(), now.getTime() + MIN_LEAD_MS);
  const seconds = new Date(Math.ceil(ms / 1000) * 1000);
  return `at(${seconds.toISOString().slice(0, 19)})`;
}

export class SchedulerLeaseTimers implements LeaseTimers {
  constructor(
    private readonly config: SchedulerLeaseTimersConfig,
    private readonly client: SchedulerClient = new SchedulerClient({}),
    private readonly clock: Clock = systemClock,
  ) {}

  async arm(resourceId: string, at: Date): Promise<void> {
    const schedule = this.schedule(resourceId, at);
    // Create, or replace the one there (UpdateSchedule takes the whole definition). A schedule may
    // fire and delete itself between the two calls: then it is created again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new CreateScheduleCommand(schedule));
        return;
      } catch (err) {
        if (errorName(err) !== 'ConflictException') throw err;
      }
      try {
        await this.client.send(new UpdateScheduleCommand(schedule));
        return;
      } catch (err) {
        if (errorName(err) !== 'ResourceNotFoundException' || attempt >= 3) throw err;
      }
    }
  }

  private schedule(resourceId: string, at: Date): CreateScheduleCommandInput {
    const event: LeaseTimerEvent = { resource_id: resourceId };
    return {
      Name: leaseScheduleName(resourceId),
      GroupName: this.config.groupName,
      ScheduleExpression: atExpression(at, this.clock.now()),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: this.config.targetArn,
        RoleArn: this.config.roleArn,
        Input: JSON.stringify(event),
        RetryPolicy: RETRY_POLICY,
      },
    };
  }
}

function errorName(err: unknown): unknown {
  return (err as { name?: unknown } | undefined)?.name;
}
