// Terms (what an approved assignment lets a project spend) in words, and leases written the way
// people write them ("8h", "7d", "1d 12h").
import type { Schemas } from '../../../client/broker.ts';

export type Terms = NonNullable<Schemas['ApprovalView']['proposed_terms']>;

/** The broker's bounds on a lease ceiling (functions/core/assignments/terms.ts). */
export const MIN_LEASE_SECONDS = 60;
export const MAX_LEASE_SECONDS = 366 * 24 * 3600;

const UNITS: Array<[string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** 28800 → "8h", 129600 → "1d 12h": every unit that is not zero, exact. */
export function leaseText(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${name}`);
      rest %= size;
    }
  }
  return parts.length ? parts.join(' ') : '0s';
}

/** "8h", "7d", "1d 12h", "90m" → seconds; undefined when the text is not such a duration. */
export function parseLease(text: string): number | undefined {
  const compact = text.trim().toLowerCase().replace(/\s+/g, '');
  if (!/^(\d+[dhms])+$/.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+)([dhms])/g)) {
    const size = UNITS.find(([name]) => name === unit)?.[1] ?? 1;
    total += Number(amount) * size;
  }
  return total;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Each limit of the terms as a phrase; empty when there is none. */
export function termPhrases(terms: Terms | undefined): string[] {
  if (!terms) return [];
  const out: string[] = [];
  if (terms.max_live_resources !== undefined) {
    out.push(terms.max_live_resources === 0 ? 'no live Resources' : `at most ${plural(terms.max_live_resources, 'live Resource')}`);
  }
  if (terms.max_lease_seconds !== undefined) out.push(`leases of at most ${leaseText(terms.max_lease_seconds)}`);
  const versions = terms.allowed_blueprint_version_ids;
  if (versions?.length) out.push(`only blueprint version${versions.length === 1 ? '' : 's'} ${versions.join(', ')}`);
  return out;
}

/** The terms in one sentence: "at most 2 live Resources; leases of at most 8h", or "no limits". */
export function termsInWords(terms: Terms | undefined): string {
  const phrases = termPhrases(terms);
  return phrases.length ? phrases.join('; ') : 'no limits';
}
