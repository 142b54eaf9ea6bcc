import { CreatedWebhookViewSchema, CreateWebhookBodySchema, DeliveryViewSchema, WebhookViewSchema } from '../core/webhooks/webhook.ts';
import { can, creates, type GroupSpec, lists, NO_CONTENT, named, reads } from './spec.ts';

// A domain's admins manage its webhooks (`manage` on the Domain); its admins and auditors read them
// and their deliveries (`read` on the Domain). The signing secret is in the create answer only.

const WEBHOOK = named('WebhookView', WebhookViewSchema);
const DELIVERY = named('WebhookDeliveryView', DeliveryViewSchema);
const MANAGE = can('manage', 'Domain');
const READ = can('read', 'Domain');

export const webhooksSpec = {
  createWebhook: creates(
    'Register a webhook for some of the domain’s event types (answers its signing secret, once)',
    MANAGE,
    named('CreateWebhookBody', CreateWebhookBodySchema),
    named('CreatedWebhookView', CreatedWebhookViewSchema),
  ),
  listWebhooks: lists("A domain's webhooks", READ, WEBHOOK),
  getWebhook: reads('Get a webhook', READ, WEBHOOK),
  deleteWebhook: {
    summary: 'Delete a webhook and its signing secret (pending deliveries are dropped)',
    authorization: MANAGE,
    answers: NO_CONTENT,
  },
  listDeliveries: lists("A webhook's deliveries, each with its attempts", READ, DELIVERY),
  redeliver: {
    summary: 'Send a delivered or parked delivery again (queued: the answer is the delivery, pending)',
    authorization: MANAGE,
    noBody: 'the path names the delivery',
    answers: { 202: { view: DELIVERY } },
  },
} satisfies GroupSpec;
