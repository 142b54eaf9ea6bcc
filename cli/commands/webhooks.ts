// Webhooks: a Domain's signed subscriptions to its events, their deliveries and redelivery.
import type { DeliveryView, WebhookView } from '../../functions/core/webhooks/webhook.ts';
import { type Command, listFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { details, table } from '../render.ts';
import { byId, checkBody, DOMAIN_FLAG, deleteCommand, domainOf, LIST_FLAGS, listCommand, listItems, moreHint, noun, result } from './shared.ts';

const WEBHOOK = noun(['webhook'], 'Webhook', '/v1/webhooks/{id}');

const webhookDetails = (w: WebhookView) =>
  details([
    ['ID', w.id],
    ['URL', w.url],
    ['Event types', w.event_types.join(', ')],
    ['Domain', w.domain_id],
    ['Created', w.created_at],
    ['Created by', w.created_by],
  ]);

/** "3 (500, 500, 204)": how many attempts and what each got (- for no answer). */
function attemptsText(d: Pick<DeliveryView, 'attempts'>): string {
  if (d.attempts.length === 0) return '0';
  return `${d.attempts.length} (${d.attempts.map((a) => a.status_code ?? a.error ?? '-').join(', ')})`;
}

const create: Command = {
  path: ['webhook', 'create'],
  summary: "Register a webhook for some of a Domain's event types (prints its signing secret, once)",
  description: [
    'The broker POSTs each event of those types to the URL, signed as Standard Webhooks signs (the',
    'webhook-id, webhook-timestamp and webhook-signature headers). The answer carries the signing',
    'secret; it is never shown again, so store it where the receiver can read it.',
  ].join('\n'),
  flags: {
    ...DOMAIN_FLAG,
    url: { type: 'string', placeholder: 'url', required: true, description: 'the receiver: a public https:// URL' },
    'event-type': { type: 'string', placeholder: 'type', required: true, multiple: true, description: 'an event type to deliver, e.g. resource.phase_changed' },
  },
  examples: [
    'plexctl webhook create --domain-id "$DOMAIN_ID" --url https://hooks.example.com/plexsphere \\',
    '  --event-type resource.phase_changed --event-type resource.lease_expiring',
  ],
  async run(ctx, args) {
    const domainId = domainOf(args, ctx, 'webhook create');
    const { CreateWebhookBodySchema } = await import('../../functions/core/webhooks/webhook.ts');
    const body = checkBody(
      CreateWebhookBodySchema,
      { url: stringFlag(args, 'url'), event_types: listFlag(args, 'event-type') },
      { url: '--url', event_types: '--event-type' },
      'webhook create',
    );
    if (body.event_types.length === 0) throw new UsageError('webhook create needs at least one --event-type <type>', 'webhook create');
    const made = (await ctx.api().POST('/v1/domains/{id}/webhooks', { ...byId(domainId), body })).body;
    const human = [
      `Created webhook ${made.id}.`,
      webhookDetails(made).trimEnd(),
      `Signing secret: ${made.secret}`,
      'Store this secret now: the broker never shows it again (delete the webhook and create another to get a new one).',
      '',
    ].join('\n');
    return result(made, human);
  },
};

const list = listCommand({
  path: ['webhook', 'list'],
  summary: "List a Domain's webhooks (its admins and auditors may read them)",
  flags: DOMAIN_FLAG,
  endpoint: '/v1/domains/{id}/webhooks',
  params: (args, ctx) => byId(domainOf(args, ctx, 'webhook list')).params,
  columns: ['id', ['URL', (w) => w.url], ['Event types', (w) => w.event_types.join(',')], 'created_at'],
  empty: 'No webhooks.',
});

const remove = deleteCommand(WEBHOOK, 'Delete a webhook and its signing secret (needs --yes)');

const deliveries: Command = {
  path: ['webhook', 'deliveries'],
  summary: "List a webhook's deliveries: status, attempts and the next one",
  description: [
    'One row per event delivered (or being delivered) to the webhook: pending (tried again at NEXT',
    'ATTEMPT), delivered, or parked (its retries ran out; `plexctl webhook redeliver` sends it again).',
    'ATTEMPTS counts the attempts and shows what each got: an HTTP status, or why there was none.',
  ].join('\n'),
  positionals: [{ name: 'webhook-id', description: 'the Webhook' }],
  flags: LIST_FLAGS,
  examples: ['plexctl webhook deliveries "$WEBHOOK_ID"', 'plexctl webhook deliveries "$WEBHOOK_ID" --output json | jq \'.items[] | select(.status == "parked") | .id\''],
  async run(ctx, args) {
    const id = args.positionals[0] ?? '';
    const body = await listItems(ctx.api(), '/v1/webhooks/{id}/deliveries', byId(id).params, args);
    const rows = table(
      body.items,
      [
        { header: 'DELIVERY', value: (d) => d.id },
        { header: 'SEQ', value: (d) => d.event_seq },
        { header: 'TYPE', value: (d) => d.event_type },
        { header: 'SUBJECT', value: (d) => `${d.subject.kind} ${d.subject.id}` },
        { header: 'STATUS', value: (d) => d.status },
        { header: 'ATTEMPTS', value: attemptsText },
        { header: 'NEXT ATTEMPT', value: (d) => d.next_attempt_at ?? '-' },
      ],
      'No deliveries.',
    );
    return result(body, rows + moreHint(body));
  },
};

const redeliver: Command = {
  path: ['webhook', 'redeliver'],
  summary: 'Send a delivered or parked delivery again (it is queued; watch it with webhook deliveries)',
  positionals: [
    { name: 'webhook-id', description: 'the Webhook' },
    { name: 'delivery-id', description: 'the delivery (its event id)' },
  ],
  examples: ['plexctl webhook redeliver "$WEBHOOK_ID" "$DELIVERY_ID"'],
  async run(ctx, args) {
    const [id = '', deliveryId = ''] = args.positionals;
    const queued = (await ctx.api().POST('/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', { params: { path: { id, delivery_id: deliveryId } } })).body;
    return result(queued, `Queued delivery ${queued.id} (event ${queued.event_seq}, ${queued.event_type}) to be sent again.\n`);
  },
};

export const WEBHOOK_COMMANDS: readonly Command[] = [create, list, remove, deliveries, redeliver];
