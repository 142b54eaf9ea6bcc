import { TooManyRequestsError } from '../errors.ts';
import type { AuthPorts, BackoffPolicy, ThrottleConfig } from './ports.ts';

// The pieces the sign-in and user-code throttles share: who the caller is (the source address),
// how long the growing delay is, and the 429 they answer.

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

/** The first four groups of an IPv6 address, or undefined when it is not one. */
function ipv6Prefix64(address: string): string | undefined {
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
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The address a throttle counts a caller under. An IPv4-mapped IPv6 address is its IPv4 address
 * (a dual-stack socket reports `::ffff:127.0.0.2`), and IPv6 counts per /64: one subscriber
 * usually holds a whole /64, and counting per address would let them draw fresh ones at will.
 */
export function sourceAddressKey(sourceIp: string): string {
  const address = sourceIp.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (IPV4.test(address) || !address.includes(':')) return address || 'unknown';
  return ipv6Prefix64(address) ?? address;
}

/** The delay the `failures`-th failure of a run sets: none while free, then doubling, capped. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

export function emailBackoffPolicy(throttle: ThrottleConfig): BackoffPolicy {
  const { freeFailures, baseDelaySeconds, maxDelaySeconds, resetSeconds } = throttle.email;
  return { freeFailures, baseDelayMs: baseDelaySeconds * 1000, maxDelayMs: maxDelaySeconds * 1000, resetMs: resetSeconds * 1000 };
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
