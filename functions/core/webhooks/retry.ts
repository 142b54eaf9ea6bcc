// When a failed delivery is tried again. Exponential backoff from `baseSeconds`, doubling up to
// `maxSeconds`, each wait drawn at random from its upper half (so a receiver that comes back is
// not hit by every lane at the same instant, and no wait is shorter than half its step). Attempts
// go on for `windowSeconds` from the first attempt; the last one is made at the window's end, and
// when it fails too the delivery is parked until someone redelivers it by hand.

export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
}

/** 5 s, 10 s, 20 s … up to an hour between attempts, for a day. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseSeconds: 5, maxSeconds: 3600, windowSeconds: 86_400 };

export type NextStep = { park: true } | { park: false; at: Date };

/**
 * What follows a failed attempt: `attemptsMade` attempts so far in this round (at least 1), the
 * round's first at `firstAttemptAt`, the last one ending `now`. `random` is in [0, 1).
 */
export function afterFailure(policy: RetryPolicy, attemptsMade: number, firstAttemptAt: Date, now: Date, random: () => number): NextStep {
  const deadline = firstAttemptAt.getTime() + policy.windowSeconds * 1000;
  if (now.getTime() >= deadline) return { park: true };
  const step = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, attemptsMade - 1)) * 1000;
  const wait = step * (0.5 + random() / 2);
  return { park: false, at: new Date(Math.min(now.getTime() + wait, deadline)) };
}
