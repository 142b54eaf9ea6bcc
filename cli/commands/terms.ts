// An assignment's terms on the command line: the flags that set them, how given flags overlay the
// terms already there, and how terms and usage read to people.
import type { Terms } from '../../functions/core/assignments/terms.ts';
import { type Args, type FlagSpec, listFlag, stringFlag } from '../command.ts';
import { formatSeconds, parseSeconds } from '../duration.ts';
import { UsageError } from '../errors.ts';
import { checkBody } from './shared.ts';

export const TERMS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'max-live': { type: 'string', placeholder: 'n', description: 'at most n of its Resources live at once' },
  'max-lease': { type: 'string', placeholder: 'duration', description: 'the longest lease a Resource may hold, e.g. 8h or 7d' },
  'allow-version': {
    type: 'string',
    placeholder: 'id',
    multiple: true,
    description: 'a BlueprintVersion its Resources may use; the ids given make the whole list',
  },
};

const FLAG_OF = { max_live_resources: '--max-live', max_lease_seconds: '--max-lease', allowed_blueprint_version_ids: '--allow-version' };

/** The terms the flags name (only those given), checked with the broker's schema; undefined when none is given. */
export async function termsFromFlags(args: Args, command: string): Promise<Terms | undefined> {
  const maxLive = stringFlag(args, 'max-live');
  const maxLease = stringFlag(args, 'max-lease');
  const versions = listFlag(args, 'allow-version');
  if (maxLive === undefined && maxLease === undefined && versions.length === 0) return undefined;
  if (maxLive !== undefined && !/^\d+$/.test(maxLive)) throw new UsageError(`--max-live takes a whole number, not "${maxLive}"`, command);
  const { TermsSchema } = await import('../../functions/core/assignments/terms.ts');
  const terms = {
    ...(maxLive !== undefined && { max_live_resources: Number(maxLive) }),
    ...(maxLease !== undefined && { max_lease_seconds: parseSeconds(maxLease, '--max-lease', command) }),
    ...(versions.length > 0 && { allowed_blueprint_version_ids: versions }),
  };
  return checkBody(TermsSchema, terms, FLAG_OF, command);
}

/**
 * The complete terms to send: `base` (what stands) with the fields the flags give replacing
 * theirs. The broker takes whole terms, and a field left out would mean "no limit", a widening.
 */
export function overlay(base: Terms | undefined, given: Terms): Terms {
  return { ...base, ...given };
}

/** "at most 5 live; leases up to 7d; versions A, B", or "no limits". */
export function termsText(terms: Terms): string {
  const parts = [];
  if (terms.max_live_resources !== undefined) parts.push(`at most ${terms.max_live_resources} live`);
  if (terms.max_lease_seconds !== undefined) parts.push(`leases up to ${formatSeconds(terms.max_lease_seconds)}`);
  if (terms.allowed_blueprint_version_ids) parts.push(`versions ${terms.allowed_blueprint_version_ids.join(', ')}`);
  return parts.length ? parts.join('; ') : 'no limits';
}

/** What an assignment or an approval says about terms and their use. */
export interface WithTerms {
  proposed_terms?: Terms | undefined;
  terms?: Terms | undefined;
  usage: { live_resources: number };
}

/** The granted terms; an approval that set none granted no limits, and an undecided request has none yet. */
function grantedText(a: WithTerms, decided: boolean): string | undefined {
  return a.terms ? termsText(a.terms) : decided ? 'no limits' : undefined;
}

/** "2 of 5", or "2 (no limit)". */
export function liveUsage(a: WithTerms): string {
  const limit = a.terms?.max_live_resources;
  return limit === undefined ? `${a.usage.live_resources} (no limit)` : `${a.usage.live_resources} of ${limit}`;
}

/** The detail lines of terms and usage, shared by assignments and approvals. */
export function termsFields<T extends WithTerms>(decided: (row: T) => boolean): Array<readonly [string, (row: T) => unknown]> {
  return [
    ['Proposed terms', (a) => a.proposed_terms && termsText(a.proposed_terms)],
    ['Terms', (a) => grantedText(a, decided(a))],
    ['Live resources', liveUsage],
  ];
}
