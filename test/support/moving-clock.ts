// A clock an e2e test moves: the stack's functions and its Scheduler read it, so a timer due hours
// from now fires when the test jumps there.

export interface MovingClock {
  offsetMs: number;
  now(): Date;
  /** Moves it `seconds` further ahead, for good. */
  advance(seconds: number): void;
}

export function movingClock(): MovingClock {
  const clock: MovingClock = {
    offsetMs: 0,
    now: () => new Date(Date.now() + clock.offsetMs),
    advance: (seconds) => {
      clock.offsetMs += seconds * 1000;
    },
  };
  return clock;
}

/**
 * Jumps `ms` ahead, fires every timer due then, and comes back: the node agents heartbeat on the
 * real clock (the API refuses a heartbeat a minute off), and the test's access tokens would have
 * expired on the later one.
 */
export async function fireTimersAfter(clock: MovingClock, scheduler: { wake(): Promise<unknown> }, ms: number): Promise<void> {
  clock.offsetMs = ms;
  try {
    await scheduler.wake();
  } finally {
    clock.offsetMs = 0;
  }
}
