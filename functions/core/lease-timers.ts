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
}

/** What the lease timer delivers to the lease-expiry function. */
export interface LeaseTimerEvent {
  resource_id: string;
}
