// The webhooks API: a domain's admins register, list and delete its webhooks and redeliver by hand
// (`manage` on the Domain); its admins and auditors read them and their deliveries (`read` on the
// Domain). No new Cedar action: those two already name exactly these people.
import { requireAllowed } from '../access.ts';
import type { Action, Authorizer, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, found, InvalidInputError } from '../errors.ts';
import { EVENT_TYPES, type EventType, eventTypesNamed } from '../events/event.ts';
import { newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import type { TenancyStore } from '../ports.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-policy.ts';
import type { CreateWebhookBody, Delivery, FanOutCursors, LaneTimers, Webhook, WebhookSecrets, WebhookStore } from './webhook.ts';

export interface WebhookConfig extends UrlPolicy {}

export interface WebhookPorts {
  config: WebhookConfig;
  clock: Clock;
  authorizer: Authorizer;
  tenancy: TenancyStore;
  webhooks: WebhookStore;
  secrets: WebhookSecrets;
  timers: LaneTimers;
  /** A registration lists its domain for the dispatcher's sweep and starts the domain's fan-out cursor. */
  cursors: FanOutCursors;
}

/** Registering races the domain's events for its starting seq this often before giving up. */
const CREATE_ATTEMPTS = 20;

/** The event types asked for, each known, without repeats; an empty list is refused (a webhook that hears nothing is a mistake). */
export function parseSubscribedTypes(names: readonly string[]): EventType[] {
  if (names.length === 0) {
    throw new InvalidInputError('event_types_required', `Name one or more event types: ${EVENT_TYPES.join(', ')}.`, {
      allowed: [...EVENT_TYPES],
    });
  }
  return eventTypesNamed(names);
}

async function requireDomainAllowed(ports: WebhookPorts, subject: AuthzSubject, action: Action, domainId: string): Promise<void> {
  await found(ports.tenancy.getDomain(domainId), 'domain_not_found', 'The domain does not exist.');
  await requireAllowed(ports.authorizer, subject, action, { type: 'Domain', id: domainId });
}

/** The webhook, if the caller may `action` its domain (404 webhook_not_found when there is none). */
export async function authorizedWebhook(ports: WebhookPorts, subject: AuthzSubject, action: Action, id: string): Promise<Webhook> {
  const webhook = await found(ports.webhooks.get(id), 'webhook_not_found', 'The webhook does not exist.');
  await requireAllowed(ports.authorizer, subject, action, { type: 'Domain', id: webhook.domain_id });
  return webhook;
}

/**
 * Registers a webhook. Primary course:
 * 1. the domain exists and the caller may manage it;
 * 2. the URL passes the policy and the event types are known;
 * 3. a new signing secret is vaulted under the webhook's id;
 * 4. the domain is listed for the dispatcher's sweep, its fan-out cursor started at that seq unless
 *    it has one (idempotent; before the webhook, so no webhook is ever outside the sweep);
 * 5. the webhook is stored with the domain's last event seq, conditioned on that seq, so it hears
 *    exactly the events committed after it (an event landing in between makes it read the seq again).
 * Answers the webhook and the secret, which is never shown again.
 */
export async function createWebhook(
  ports: WebhookPorts,
  subject: AuthzSubject,
  domainId: string,
  body: CreateWebhookBody,
): Promise<{ webhook: Webhook; secret: string }> {
  await requireDomainAllowed(ports, subject, 'manage', domainId);
  const url = checkWebhookUrl(body.url, ports.config);
  const eventTypes = parseSubscribedTypes(body.event_types);
  const id = newId(ports.clock.now().getTime());
  const vaulted = await ports.secrets.create(id);
  try {
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const fromSeq = await ports.webhooks.lastSeq(domainId);
      // A cursor at or before fromSeq is right: the events up to it are before this webhook.
      await ports.cursors.register(domainId, fromSeq);
      const webhook: Webhook = {
        id,
        domain_id: domainId,
        url: url.href,
        event_types: eventTypes,
        created_at: ports.clock.now().toISOString(),
        created_by: subject.userId,
        from_seq: fromSeq,
        secret_name: vaulted.name,
      };
      if (await ports.webhooks.create(webhook)) return { webhook, secret: vaulted.secret };
    }
  } catch (err) {
    await ports.secrets.remove(vaulted.name).catch(() => undefined);
    throw err;
  }
  await ports.secrets.remove(vaulted.name).catch(() => undefined);
  throw new ConflictError('webhook_create_contended', "The domain's events kept moving while the webhook was registered; try again.");
}

export async function listWebhooks(
  ports: WebhookPorts,
  subject: AuthzSubject,
  domainId: string,
  page: PageRequest,
): Promise<Page<Webhook>> {
  await requireDomainAllowed(ports, subject, 'read', domainId);
  return ports.webhooks.page(domainId, page);
}

/** Deletes the webhook and its secret; its pending deliveries are dropped by the dispatcher when it next meets them. */
export async function deleteWebhook(ports: WebhookPorts, subject: AuthzSubject, id: string): Promise<void> {
  const webhook = await authorizedWebhook(ports, subject, 'manage', id);
  await ports.webhooks.remove(webhook);
  await ports.secrets.remove(webhook.secret_name);
}

export async function listDeliveries(ports: WebhookPorts, subject: AuthzSubject, id: string, page: PageRequest): Promise<Page<Delivery>> {
  const webhook = await authorizedWebhook(ports, subject, 'read', id);
  return ports.webhooks.deliveries(webhook.id, page);
}

/**
 * Redelivers by hand: a timer is armed to drain the lane now, then a delivered or parked delivery
 * goes back in its lane as pending, with a new retry window. Nothing is sent from the request itself.
 * A delivery still pending is refused (409 delivery_pending): it is on its way already.
 */
export async function redeliver(ports: WebhookPorts, subject: AuthzSubject, webhookId: string, deliveryId: string): Promise<Delivery> {
  const webhook = await authorizedWebhook(ports, subject, 'manage', webhookId);
  const delivery = await found(ports.webhooks.getDelivery(webhook.id, deliveryId), 'delivery_not_found', 'The delivery does not exist.');
  if (delivery.status === 'pending')
    throw new ConflictError('delivery_pending', 'The delivery is still pending: it is tried again by itself.');
  const now = ports.clock.now();
  // The timer first: one that finds nothing to send is harmless, while a requeued delivery with no
  // timer (a failed arming after the write) would wait until its subject's next event.
  await ports.timers.arm({ webhook_id: webhook.id, subject: delivery.event.subject }, now);
  if (!(await ports.webhooks.requeue(delivery, delivery.status, now.toISOString()))) {
    throw new ConflictError('delivery_changed', 'The delivery changed meanwhile; read it again.');
  }
  return found(ports.webhooks.getDelivery(webhook.id, deliveryId), 'delivery_not_found', 'The delivery does not exist.');
}
