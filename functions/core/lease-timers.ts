// The one timer each Resource's lease has. On AWS it is an EventBridge Scheduler one-time
// schedule; on the embedded stack, the local scheduler of local/scheduler. When it fires, the
// lease-expiry function (functions/steps/lease-expiry.handler.ts) gets `{"resource_id": id}`.

export interface LeaseTimers {
  /**
   * Arms the Resource's timer for `at`, replacing any earlier arming (one timer per Resource).
   * Idempotent. A timer may fire for a Resource that is gone or whose lease moved: the expiry
   * function re-reads the Resource and acts on what is stored, never on the timer's own time.
   */
  arm(resourceId: string, at: Date): Promise<void>;
}

/** What the lease timer delivers to the lease-expiry function. */
export interface LeaseTimerEvent {
  resource_id: string;
}
