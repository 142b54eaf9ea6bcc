import { TooManyRequestsError } from '../errors.ts';
import type { AuthPorts, BackoffPolicy, BackoffState, ThrottleConfig } from './ports.ts';

// The pieces the sign-in and user-code throttles share: who the caller is (the source address),
// how long the growing delay is, and the 429 they answer.

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/** The first three groups of an IPv6 address (its /48), or undefined when it is not one. */
function ipv6Prefix48(address: string): string | undefined {
  const parts = address.split('::');
  if (parts.length > 2) return undefined;
  const split = (s: string | undefined) => (s ? s.split(':') : []);
  const head = split(parts[0]);
  const tail = split(parts[1]);
  // A trailing dotted quad stands for the last two groups.
  const last = tail.length ? tail : head;
  if (last.length && IPV4.test(last[last.length - 1] ?? '')) last.splice(-1, 1, '0', '0');
  const fill = parts.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (parts.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (!groups.every((g) => HEXTET.test(g))) return undefined;
  return `${groups
    .slice(0, 3)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/48`;
}

/**
 * The address a throttle counts a caller under. An IPv4-mapped IPv6 address is its IPv4 address
 * (a dual-stack socket reports `::ffff:127.0.0.2`), and IPv6 counts per /48. Why /48 and not /64
 * or /56: a /48 is the smallest block routed on the Internet and what a site (or anyone, free, from
 * a tunnel broker) is handed, so it is the unit a guesser gets for the price of one IPv4 address;
 * per /64 or /56 the same holder would draw 65,536 or 256 fresh keys. The cost is that a site's
 * users share one budget, as behind an IPv4 NAT, which the per-address numbers already allow for.
 */
export function sourceAddressKey(sourceIp: string): string {
  const address = sourceIp.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (IPV4.test(address) || !address.includes(':')) return address || 'unknown';
  return ipv6Prefix48(address) ?? address;
}

/** The delay the `failures`-th failure of a run sets: none while free, then doubling, capped. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

export function emailBackoffPolicy(throttle: ThrottleConfig): BackoffPolicy {
  const { freeFailures, baseDelaySeconds, maxDelaySeconds, resetSeconds, maxExemptionsPerWindow } = throttle.email;
  return {
    freeFailures,
    baseDelayMs: baseDelaySeconds * 1000,
    maxDelayMs: maxDelaySeconds * 1000,
    resetMs: resetSeconds * 1000,
    maxExemptions: maxExemptionsPerWindow,
    exemptionWindowMs: throttle.windowSeconds * 1000,
  };
}

export type BackoffDecision = { allowed: false; retryAfterMs: number } | { allowed: true; next: BackoffState };

/**
 * What one attempt does to a key's growing delay, given its stored state (undefined: none). Both
 * stores write `next` in one write conditioned on the state read. An attempt the delay does not
 * hold back sets the delay from the new count, whoever makes it: otherwise guessers that only ever
 * come from clean addresses would never set it. An attempt the delay holds back is refused, unless
 * `ignoreDelay` asks and the window's exemptions are not used up: then it passes, is counted, and
 * leaves the delay where it is.
 */
export function decideBackoff(
  stored: BackoffState | undefined,
  nowMs: number,
  policy: BackoffPolicy,
  ignoreDelay: boolean,
): BackoffDecision {
  const run = stored && stored.last_at > nowMs - policy.resetMs ? stored : undefined;
  const failures = (run?.failures ?? 0) + 1;
  const since = run?.since ?? nowMs;
  const windowOpen = run !== undefined && run.exempt_start > nowMs - policy.exemptionWindowMs;
  const exemptStart = windowOpen ? run.exempt_start : nowMs;
  const exempts = windowOpen ? run.exempts : 0;
  const held = run !== undefined && run.next_allowed_at > nowMs;
  if (held && (!ignoreDelay || exempts >= policy.maxExemptions)) return { allowed: false, retryAfterMs: run.next_allowed_at - nowMs };
  return {
    allowed: true,
    next: {
      since,
      failures,
      last_at: nowMs,
      // Held back but let through (ignoreDelay): the delay stays, and the pass counts against the window.
      next_allowed_at: held ? run.next_allowed_at : nowMs + backoffDelayMs(failures, policy),
      exempt_start: exemptStart,
      exempts: held ? exempts + 1 : exempts,
    },
  };
}

export function tooManyAttempts(retryAfterMs: number, what: string): TooManyRequestsError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const wait = seconds < 60 ? `${seconds} second(s)` : `${Math.ceil(seconds / 60)} minute(s)`;
  return new TooManyRequestsError('too_many_attempts', `Too many ${what}; try again in ${wait}.`, { retry_after_seconds: seconds });
}

/**
 * Runs a user-code lookup under the per-address throttle (RFC 8628 §5.1): an attempt is taken
 * first (429 when none is left), and given back when the lookup found the code.
 */
export async function throttledUserCodeLookup<T>(
  ports: Pick<AuthPorts, 'auth' | 'clock' | 'config'>,
  sourceIp: string,
  lookup: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const { windowSeconds, maxUserCodeFailuresPerSource } = ports.config.throttle;
  const key = `user-code-source:${sourceAddressKey(sourceIp)}`;
  const held = await ports.auth.reserveAttempt(key, ports.clock.now().getTime(), windowSeconds * 1000, maxUserCodeFailuresPerSource);
  if (!held.allowed) throw tooManyAttempts(held.retryAfterMs, 'unknown codes from this address');
  const found = await lookup();
  if (found !== undefined) await ports.auth.refundAttempt(key, held.windowStart);
  return found;
}
