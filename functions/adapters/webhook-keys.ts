// The webhooks' keys on the single table (beside dynamo/keys.ts, which keeps everyone else's):
// - a webhook, twice, written and deleted together: in its domain's partition (the dispatcher reads
//   a domain's webhooks with one consistent Query) and under its own id (the by-id routes);
// - its deliveries, under the webhook, one per event (keyed by the event id: a second write of the
//   same delivery is refused, which makes a redelivered stream record harmless);
// - a lane per (webhook, subject): the lease its drainer holds and the set of its pending
//   deliveries (`<seq>#<event id>` markers, so the lowest is the next to send);
// - a fan-out cursor per domain (the seq of the last event fanned out), an item of its own so that
//   busy domains do not write one partition;
// - the domains that have had a webhook, one item each in one partition, written once per webhook
//   registered, which the dispatcher's sweep reads.
import { keys, META } from './dynamo/keys.ts';

export const WEBHOOK_PREFIX = 'WEBHOOK#';
export const DELIVERY_PREFIX = 'DELIVERY#';
export const DOMAIN_MARK_PREFIX = 'DOMAIN#';
const WEBHOOK_DOMAINS = 'WEBHOOKDOMAINS';

export const webhookKeys = {
  inDomain: (domainId: string, id: string) => ({ PK: keys.domain(domainId).PK, SK: `${WEBHOOK_PREFIX}${id}` }),
  domainPartition: (domainId: string) => keys.domain(domainId).PK,
  byId: (id: string) => ({ PK: `${WEBHOOK_PREFIX}${id}`, SK: META }),
  delivery: (webhookId: string, deliveryId: string) => ({ PK: `${WEBHOOK_PREFIX}${webhookId}`, SK: `${DELIVERY_PREFIX}${deliveryId}` }),
  deliveries: (webhookId: string) => `${WEBHOOK_PREFIX}${webhookId}`,
  cursor: (domainId: string) => ({ PK: `WHCURSOR#${domainId}`, SK: META }),
  domainsPartition: WEBHOOK_DOMAINS,
  domainMark: (domainId: string) => ({ PK: WEBHOOK_DOMAINS, SK: `${DOMAIN_MARK_PREFIX}${domainId}` }),
  lane: (webhookId: string, subjectKind: string, subjectId: string) => ({
    PK: `WHLANE#${webhookId}#${subjectKind}#${subjectId}`,
    SK: META,
  }),
};
