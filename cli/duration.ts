// Durations as people type and read them: "90s", "45m", "2h", "7d", "1h30m" on flags, and
// "expires in 1h 59m" in output.
import { UsageError } from './errors.ts';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** "10m", "90s", "7d", "1h30m", "1m30s" or plain seconds → milliseconds. */
export function parseDuration(text: string, flag: string, command?: string): number {
  const trimmed = text.trim();
  const total = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : unitsMs(trimmed);
  if (!(total > 0)) throw new UsageError(`${flag} takes a duration such as 30s, 10m, 1h30m or 7d, not "${text}"`, command);
  return total;
}

/** "1h30m" → ms; NaN unless the whole text is numbers with units. */
function unitsMs(text: string): number {
  // `ms` before `m`, so "500ms" is not read as 500 minutes followed by junk.
  const re = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    matched += m[0].length;
  }
  return text && matched === text.length ? total : Number.NaN;
}

/** A duration the broker takes in whole seconds (a lease, a lease ceiling). */
export function parseSeconds(text: string, flag: string, command?: string): number {
  const ms = parseDuration(text, flag, command);
  if (ms % 1000 !== 0) throw new UsageError(`${flag} takes whole seconds, not "${text}"`, command);
  return ms / 1000;
}

/** Seconds in the form parseDuration reads back: 604800 → "7d", 5400 → "1h30m", 59 → "59s". */
export function formatSeconds(seconds: number): string {
  let rest = Math.round(seconds);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, ms] of Object.entries(UNIT_MS)) {
    const size = ms / 1000;
    if (size < 1 || rest < size) continue;
    out += `${Math.floor(rest / size)}${unit}`;
    rest %= size;
  }
  return out;
}

/** A span at the precision people read a deadline: "6d 23h", "1h 59m", "3m", "45s" (rounded down). */
export function span(ms: number): string {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  const [d, h, m] = [Math.floor(seconds / 86_400), Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60];
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  return m ? `${m}m` : `${seconds}s`;
}

/** "expires in 1h 59m" or "expired 3m ago", as seen at `now`. */
export function timeLeft(expiresAt: string, now: Date): string {
  const left = Date.parse(expiresAt) - now.getTime();
  return left > 0 ? `expires in ${span(left)}` : `expired ${span(left)} ago`;
}
