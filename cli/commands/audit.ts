// The audit trail of a Domain: who asked for or decided what, when, and under which correlation id.
import type { AuditEntry } from '../../functions/core/assignments/audit.ts';
import { type Command, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { listCommand, seg } from './shared.ts';

const list = listCommand<AuditEntry>({
  path: ['audit', 'list'],
  summary: "List a Domain's audit trail (its admins and auditors may read it)",
  description: [
    'Each entry is one credential assignment request or decision, allowed or refused, oldest',
    "first, with the correlation id of the request in the broker's logs.",
  ].join('\n'),
  flags: { 'domain-id': { type: 'string', placeholder: 'id', description: "the Domain (default: the profile's)" } },
  examples: [
    'plexctl audit list --domain-id "$DOMAIN_ID" --profile operator',
    'plexctl audit list --profile operator --output json \\',
    '  | jq -r \'.items[] | select(.outcome == "denied") | [.at, .actor_subject, .action, .reason] | @tsv\'',
  ],
  endpoint(args, ctx) {
    const domainId = stringFlag(args, 'domain-id') ?? ctx.profile()?.domain_id;
    if (!domainId) throw new UsageError('audit list needs --domain-id <id>', 'audit list');
    return `/v1/domains/${seg(domainId)}/audit/entries`;
  },
  columns: ['at', 'actor_subject', 'action', 'target', 'outcome', 'reason', 'correlation_id'],
  empty: 'No audit entries.',
});

export const AUDIT_COMMANDS: readonly Command[] = [list];
