// Every key of the single table is built here, so the layout is readable in one place.
// Base-table items are read with ConsistentRead on authorization and invariant paths; GSI1 only
// serves lists (it is eventually consistent on AWS).
import { seqKey } from '../../core/events/event.ts';

export const META = 'META';

export const keys = {
  domain: (id: string) => ({ PK: `DOMAIN#${id}`, SK: META }),
  domainList: () => ({ GSI1PK: 'DOMAINS' }),
  idpBinding: (domainId: string, bindingId: string) => ({ PK: `DOMAIN#${domainId}`, SK: `IDP#${bindingId}` }),
  idpBindingPrefix: 'IDP#',
  user: (id: string) => ({ PK: `USER#${id}`, SK: META }),
  /** One user per (domain, email): written with the user. */
  userEmail: (domainId: string, email: string) => ({ PK: `EMAIL#${domainId}#${email.toLowerCase()}`, SK: META }),
  project: (id: string) => ({ PK: `PROJECT#${id}`, SK: META }),
  projectList: (domainId: string) => ({ GSI1PK: `DOMAIN#${domainId}#PROJECTS` }),
  /** One project per (domain, slug): written in the same transaction as the project. */
  projectSlug: (domainId: string, slug: string) => ({ PK: `PROJECTSLUG#${domainId}#${slug}`, SK: META }),
  cloud: (id: string) => ({ PK: `CLOUD#${id}`, SK: META }),
  cloudList: () => ({ GSI1PK: 'CLOUDS' }),
  cloudSlug: (slug: string) => ({ PK: `CLOUDSLUG#${slug}`, SK: META }),
  credential: (id: string) => ({ PK: `CREDENTIAL#${id}`, SK: META }),
  credentialList: (cloudId: string) => ({ GSI1PK: `CLOUD#${cloudId}#CREDENTIALS` }),
  blueprint: (id: string) => ({ PK: `BLUEPRINT#${id}`, SK: META }),
  blueprintList: () => ({ GSI1PK: 'BLUEPRINTS' }),
  blueprintSlug: (slug: string) => ({ PK: `BLUEPRINTSLUG#${slug}`, SK: META }),
  /** A version lives under its blueprint; the conditional put on it makes versions immutable. */
  blueprintVersion: (blueprintId: string, version: string) => ({ PK: `BLUEPRINT#${blueprintId}`, SK: `VERSION#${version}` }),
  blueprintVersionPrefix: 'VERSION#',
  /** Pointer from a version id to its blueprint, for lookups by version id. */
  blueprintVersionById: (versionId: string) => ({ PK: `BPVERSION#${versionId}`, SK: META }),
  deviceCode: (deviceCodeHash: string) => ({ PK: `DEVICE#${deviceCodeHash}`, SK: META }),
  userCode: (userCode: string) => ({ PK: `USERCODE#${userCode}`, SK: META }),
  session: (sessionHash: string) => ({ PK: `SESSION#${sessionHash}`, SK: META }),
  signInThrottle: (subject: string) => ({ PK: `THROTTLE#${subject}`, SK: META }),
  /** Seed claims: ids minted once at first boot, re-read on later boots. */
  seedClaim: (name: string) => ({ PK: `SEED#${name}`, SK: META }),
};

/** Sort key for list index entries: the id is a UUIDv7, so id order is creation order. */
export function listSortKey(id: string): { GSI1SK: string } {
  return { GSI1SK: id };
}

export const assignmentKeys = {
  assignment: (id: string) => ({ PK: `ASSIGNMENT#${id}`, SK: META }),
  projectList: (projectId: string) => ({ GSI1PK: `PROJECT#${projectId}#ASSIGNMENTS` }),
  approvalQueue: (domainId: string) => ({ GSI2PK: `DOMAIN#${domainId}#APPROVALS` }),
  /** At most one live (requested or approved) assignment per project and credential: its id, written with it. */
  live: (projectId: string, credentialId: string) => ({ PK: `LIVEASSIGN#${projectId}#${credentialId}`, SK: META }),
};

export const auditKeys = {
  /** A chained entry, by its place. (Entries written before the chain are keyed by their UUIDv7 id.) */
  entry: (domainId: string, seq: number) => ({ PK: `AUDIT#${domainId}`, SK: `ENTRY#${seqKey(seq)}` }),
  /** The newest entry's seq and hash; appends are conditioned on it, so they take turns. */
  head: (domainId: string) => ({ PK: `AUDIT#${domainId}`, SK: 'HEAD' }),
  /** Every entry, listed by id (GSI1SK) as before the chain. The head is not listed. */
  list: (domainId: string) => ({ GSI1PK: `AUDIT#${domainId}` }),
};

export const resourceKeys = {
  resource: (id: string) => ({ PK: `RESOURCE#${id}`, SK: META }),
  projectList: (projectId: string) => ({ GSI1PK: `PROJECT#${projectId}#RESOURCES` }),
  /** Present only while a run is in flight, so the reconciler reads just those. */
  active: () => ({ GSI2PK: 'RESOURCES#ACTIVE' }),
  /** An Idempotency-Key and the Resource it made (with the request hash), written with the Resource. */
  idempotency: (projectId: string, key: string) => ({ PK: `IDEMPOTENCY#${projectId}#${key}`, SK: META }),
  /** Pointer from a bootstrap token's hash to its Resource. */
  bootstrapToken: (tokenHash: string) => ({ PK: `BOOTSTRAP#${tokenHash}`, SK: META }),
  /** Pointer from a node id to its Resource, for the NSK envelope. */
  node: (nodeId: string) => ({ PK: `NODE#${nodeId}`, SK: META }),
  domainNodes: (domainId: string) => ({ GSI1PK: `DOMAIN#${domainId}#NODES` }),
  /** One node per mesh IP in a domain, written in the registration transaction. */
  meshIp: (domainId: string, ip: string) => ({ PK: `MESHIP#${domainId}#${ip}`, SK: META }),
  /** Per-domain counter the next mesh IP comes from. */
  meshCounter: (domainId: string) => ({ PK: `DOMAIN#${domainId}`, SK: 'MESHCOUNTER' }),
  nonce: (projectId: string, nonce: string) => ({ PK: `NONCE#${projectId}#${nonce}`, SK: META }),
  /** The domain's peer snapshot: a head (version, completeness) and buckets of live peers, one partition. */
  peerHead: (domainId: string) => ({ PK: `PEERS#${domainId}`, SK: 'HEAD' }),
  peerBucket: (domainId: string, bucket: number) => ({ PK: `PEERS#${domainId}`, SK: `BUCKET#${String(bucket).padStart(2, '0')}` }),
};

export const eventKeys = {
  /** The domain's event counter: the seq of its last event. */
  counter: (domainId: string) => ({ PK: `DOMAIN#${domainId}`, SK: 'EVENTSEQ' }),
  /** Events live in one partition per domain, in seq order (zero-padded so text order is number order). */
  event: (domainId: string, seq: number) => ({ PK: eventKeys.partition(domainId), SK: seqKey(seq) }),
  partition: (domainId: string) => `EVENTS#${domainId}`,
  /** A project's event counter: the project_seq of its last event (apart from the project's item, which its delete removes). */
  projectCounter: (projectId: string) => ({ PK: `PROJECTEVENTS#${projectId}`, SK: 'SEQ' }),
  /** A project's events, through the list index, by project_seq. */
  projectList: (projectId: string) => ({ GSI1PK: `PROJECT#${projectId}#EVENTS` }),
};

// The webhooks' keys:
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
