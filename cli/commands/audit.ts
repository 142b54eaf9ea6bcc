// The audit trail of a Domain: who asked for or decided what, when, and under which correlation id;
// and whether its hash chain is still whole.
import { CHAIN_BREAKS, type ChainVerdict } from '../../functions/core/audit-chain.ts';
import type { Command } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';
import { json } from '../render.ts';
import { byId, DOMAIN_FLAG, domainOf, listCommand, result } from './shared.ts';

const list = listCommand({
  path: ['audit', 'list'],
  summary: "List a Domain's audit trail (its admins and auditors may read it)",
  description: [
    'Each entry is one credential assignment request or decision, allowed or refused, oldest',
    "first, with the correlation id of the request in the broker's logs.",
  ].join('\n'),
  flags: DOMAIN_FLAG,
  examples: [
    'plexctl audit list --domain-id "$DOMAIN_ID" --profile operator',
    'plexctl audit list --profile operator --output json \\',
    '  | jq -r \'.items[] | select(.outcome == "denied") | [.at, .actor_subject, .action, .reason] | @tsv\'',
  ],
  endpoint: '/v1/domains/{id}/audit/entries',
  params: (args, ctx) => byId(domainOf(args, ctx, 'audit list')).params,
  columns: ['at', 'actor_subject', 'action', 'target', 'outcome', 'reason', 'correlation_id'],
  empty: 'No audit entries.',
});

/** One line for people: whole (how many, the head to anchor), or where it breaks and why. */
function verdictLine(domainId: string, v: ChainVerdict): string {
  const head = v.head ?? 'none';
  if (v.valid) return `Audit chain of domain ${domainId}: valid, ${v.entries} entries, head ${head}\n`;
  const broken = v.first_broken;
  const where = broken?.id ? `entry ${broken.id}` : 'the head (no entry left to name)';
  const why = broken ? `${broken.reason}: ${CHAIN_BREAKS[broken.reason]}` : 'unknown';
  return `Audit chain of domain ${domainId}: BROKEN at ${where} (${why}); ${v.entries} entries read, head ${head}\n`;
}

const verify: Command = {
  path: ['audit', 'verify'],
  summary: "Check a Domain's audit chain: no entry changed, removed or moved since it was written",
  description: [
    'The broker reads the whole chain and checks that every entry still hashes to its hash, links to',
    'the one before it, and that the last one is the head. Prints one line: valid, how many entries and',
    `the head hash (keep it somewhere the table's writers cannot reach); or the first entry where the`,
    `chain breaks and why. Exits ${EXIT.ok} when the chain is whole, ${EXIT.auditBroken} when it is broken.`,
  ].join('\n'),
  flags: DOMAIN_FLAG,
  examples: [
    'plexctl audit verify --domain-id "$DOMAIN_ID" --profile operator',
    'plexctl audit verify --profile operator --output json | jq -r .head   # the head to anchor',
  ],
  async run(ctx, args) {
    const domainId = domainOf(args, ctx, 'audit verify');
    const verdict = (await ctx.api().GET('/v1/domains/{id}/audit/verify', byId(domainId))).body;
    if (verdict.valid) return result(verdict, verdictLine(domainId, verdict));
    // Broken: the verdict is what scripts and people want, and the exit code says so.
    ctx.out(ctx.output === 'json' ? json(verdict) : verdictLine(domainId, verdict));
    const broken = verdict.first_broken;
    throw new CliError(`the audit chain of domain ${domainId} is broken (${broken?.reason ?? 'unknown'} at ${broken?.id ?? 'the head'})`, EXIT.auditBroken, 'audit_chain_broken');
  },
};

export const AUDIT_COMMANDS: readonly Command[] = [list, verify];
