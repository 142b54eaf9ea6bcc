// A Resource's lease timers. On AWS each is an EventBridge Scheduler one-time schedule; on the
// embedded stack, one of the local scheduler (local/scheduler). When one fires, the lease-expiry
// function (functions/steps/lease-expiry.handler.ts) gets `{"resource_id": id}`.

export interface LeaseTimers {
  /**
   * Arms a timer of the Resource for `at` (one per Resource and time; arming the same time again
   * is a no-op). A timer is never moved: an earlier one stays and fires early. That is harmless,
   * because the expiry function re-reads the Resource and acts on what is stored (tears it down
   * if its lease ended, else arms the stored end), never on the timer's own time.
   */
  arm(resourceId: string, at: Date): Promise<void>;
  /**
   * Arms the timer of an undecided credential-assignment request's expiry (same rules): when it
   * fires, a request still undecided past its `expires_at` is marked expired, with its event.
   */
  armRequestExpiry(assignmentId: string, at: Date): Promise<void>;
}

/** What a timer delivers to the lease-expiry function: a Resource's lease, or a request's expiry. */
export type LeaseTimerEvent = { resource_id: string } | { assignment_id: string };

/** How long before a lease ends its holders are warned (`resource.lease_expiring`). */
export const LEASE_WARNING_MS = 15 * 60 * 1000;

/**
 * Arms a lease's timers: its warning and its end. The warning timer goes to the same function,
 * which warns (once per end) when the end is near and re-arms otherwise. A lease set or moved to
 * end within the warning's window is warned of at once (`warnLate`); the expiry function re-arming
 * an end passes false, having warned already.
 */
export async function armLeaseTimers(timers: LeaseTimers, resourceId: string, end: Date, now: Date, warnLate = true): Promise<void> {
  const warnAt = end.getTime() - LEASE_WARNING_MS;
  if (warnAt > now.getTime()) await timers.arm(resourceId, new Date(warnAt));
  else if (warnLate) await timers.arm(resourceId, now);
  await timers.arm(resourceId, end);
}
