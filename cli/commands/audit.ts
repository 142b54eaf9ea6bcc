// The audit trail of a Domain: who asked for or decided what, when, and under which correlation id.
import type { AuditEntry } from '../../functions/core/assignments/audit.ts';
import { type Command, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { table } from '../render.ts';
import { LIST_FLAGS, listItems, moreHint, result, seg } from './shared.ts';

const list: Command = {
  path: ['audit', 'list'],
  summary: "List a Domain's audit trail (its admins and auditors may read it)",
  description: [
    'Each entry is one credential assignment request or decision, allowed or refused, oldest',
    "first, with the correlation id of the request in the broker's logs.",
  ].join('\n'),
  flags: {
    'domain-id': { type: 'string', placeholder: 'id', description: "the Domain (default: the profile's)" },
    ...LIST_FLAGS,
  },
  examples: [
    'plexctl audit list --domain-id "$DOMAIN_ID" --profile operator',
    'plexctl audit list --profile operator --output json \\',
    '  | jq -r \'.items[] | select(.outcome == "denied") | [.at, .actor_subject, .action, .reason] | @tsv\'',
  ],
  async run(ctx, args) {
    const domainId = stringFlag(args, 'domain-id') ?? ctx.profile()?.domain_id;
    if (!domainId) throw new UsageError('audit list needs --domain-id <id>', 'audit list');
    const body = await listItems<AuditEntry>(ctx.api(), `/v1/domains/${seg(domainId)}/audit/entries`, args);
    const rows = table(
      body.items,
      [
        { header: 'AT', value: (e) => e.at },
        { header: 'ACTOR', value: (e) => e.actor_subject },
        { header: 'ACTION', value: (e) => e.action },
        { header: 'TARGET', value: (e) => e.target },
        { header: 'OUTCOME', value: (e) => e.outcome },
        { header: 'REASON', value: (e) => e.reason },
        { header: 'CORRELATION ID', value: (e) => e.correlation_id },
      ],
      'No audit entries.',
    );
    return result(body, rows + moreHint(body));
  },
};

export const AUDIT_COMMANDS: readonly Command[] = [list];
