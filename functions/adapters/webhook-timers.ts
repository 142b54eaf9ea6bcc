// Lane timers on EventBridge Scheduler: a one-time schedule `wh-<lane hash>-<epoch seconds>` in the
// stage's webhook schedule group, invoking the dispatch function with `{"lane": …}`; it deletes
// itself once it fired. A domain's fan-out timer is the same, named `wh-domain-<domain id>-<epoch
// seconds>`, with `{"domain_id": …}`. Arming the same timer for the same second again finds that
// schedule there (ConflictException) and is done. Timers are never moved: one that fires early finds
// the lane's head not yet due and arms the right time, one for a lane already drained (or a domain
// already fanned out) finds nothing to do.
import { createHash } from 'node:crypto';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { type Clock, systemClock } from '../core/clock.ts';
import type { FanOutTimers, Lane, LaneTimers } from '../core/webhooks/webhook.ts';
import { createOneTimeSchedule, dueSeconds, type ScheduleTarget } from './one-time-schedule.ts';

/** WEBHOOK_SCHEDULE_GROUP, WEBHOOK_DISPATCH_FUNCTION_ARN, WEBHOOK_SCHEDULER_ROLE_ARN. */
export type SchedulerLaneTimersConfig = ScheduleTarget;

/** What a lane timer hands the dispatch function. */
export interface LaneTimerEvent {
  lane: Lane;
}

/** A timer is never armed for a time this close (or past): Scheduler's docs do not say what an at() in the past does. */
const MIN_LEAD_MS = 2000;

/** The schedule name of a lane's timer at `atSeconds`: 40 characters of [0-9a-z-]. */
export function laneScheduleName(lane: Lane, atSeconds: number): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([lane.webhook_id, lane.subject.kind, lane.subject.id]))
    .digest('hex');
  return `wh-${hash.slice(0, 26)}-${atSeconds}`;
}

/** The schedule name of a domain's fan-out timer at `atSeconds` (a domain id is a UUID: at most 57 characters). */
export function domainScheduleName(domainId: string, atSeconds: number): string {
  return `wh-domain-${domainId.toLowerCase()}-${atSeconds}`;
}

/** What a fan-out timer hands the dispatch function. */
export interface FanOutTimerEvent {
  domain_id: string;
}

/** One-time schedules to the dispatch function: the lanes' timers and the domains' fan-out timers. */
export class SchedulerLaneTimers implements LaneTimers {
  constructor(
    private readonly config: SchedulerLaneTimersConfig,
    private readonly client: SchedulerClient = new SchedulerClient({}),
    private readonly clock: Clock = systemClock,
  ) {}

  arm(lane: Lane, at: Date): Promise<void> {
    const event: LaneTimerEvent = { lane };
    return this.once((seconds) => laneScheduleName(lane, seconds), at, event);
  }

  /** The fan-out timers, on the same group, function and role. */
  readonly domains: FanOutTimers = {
    arm: (domainId, at) => {
      const event: FanOutTimerEvent = { domain_id: domainId };
      return this.once((seconds) => domainScheduleName(domainId, seconds), at, event);
    },
  };

  private once(name: (atSeconds: number) => string, at: Date, event: object): Promise<void> {
    const seconds = dueSeconds(at, this.clock.now(), MIN_LEAD_MS);
    return createOneTimeSchedule(this.client, this.config, name(seconds), seconds, event);
  }
}
