// Times and durations as people read them.

/** A date and time in the browser's own locale and time zone ("4 Dec 2026, 14:31:02" in en-GB). */
export function dateTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** 1h 5m, 42s, 3d 2h: the two largest units. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  let s = Math.round(Math.abs(ms) / 1000);
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  for (const [name, size] of units) {
    if (s >= size || (name === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${name}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(' ');
}

/** "5m ago" / "in 2h" relative to now. */
export function relative(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '—';
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  return ms >= 0 ? `in ${duration(ms)}` : `${duration(-ms)} ago`;
}
