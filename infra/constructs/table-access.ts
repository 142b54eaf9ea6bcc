import type { FunctionGroup } from '../../functions/api/routes.ts';
import type { LEASE_EXPIRY_FUNCTION, StepGroup, WEBHOOK_DISPATCH_FUNCTION } from '../../functions/steps/step-groups.ts';

// Which partitions of the single table each function may touch: its grant carries
// `ForAllValues:StringLike` on `dynamodb:LeadingKeys` (the partition-key values of a request) with
// these patterns, so a function tricked into asking for another kind of item is refused by IAM.
//
// What the condition can and cannot do here:
// - It sees partition keys only. Several kinds of item share a domain's partition (the domain, its
//   IdP bindings, its event and mesh counters, its webhooks), so a function that may touch one of
//   them may touch all: `DOMAIN#*` is the coarsest entry, and nearly every function needs it for
//   the event counter. Likewise `PROJECT#*` is the project item and the project's list partitions.
// - A Query on an index names the index's partition-key value (`DOMAINS`, `PROJECT#<id>#RESOURCES`,
//   `RESOURCES#ACTIVE`, ...): those are listed too, most under a base prefix anyway. Nothing here
//   runs IAM itself; should IAM present no leading key for an index query, ForAllValues passes it.
// - A transaction is checked item by item (each item's own action and key); a batch read presents
//   all its keys, and ForAllValues holds each to the patterns.
// - It cannot tell one id from another: a function that reads projects reads every project.
//   Tenant isolation stays in the code (Cedar decisions on every read).
// - A Scan has no leading key, so ForAllValues would let it through: no function is granted Scan
//   (data-stack.ts TABLE_ACTIONS), and that stays a rule. (A `Null` condition demanding a leading
//   key would close that too, but would also refuse index queries if IAM presents none for them.)
//
// Every pattern below is one that functions/adapters/dynamo/keys.ts builds, and every key a
// function touched on the embedded stack's route-by-route journey matches its entry here
// (test/infra/table-access.test.ts, test/infra/table-access-recorded.test.ts).

/** Each kind of partition, by the StringLike pattern of its partition-key values. */
export const PARTITIONS = {
  domain: 'DOMAIN#*',
  domainIndex: 'DOMAINS',
  user: 'USER#*',
  userEmail: 'EMAIL#*',
  project: 'PROJECT#*',
  projectSlug: 'PROJECTSLUG#*',
  cloud: 'CLOUD#*',
  cloudIndex: 'CLOUDS',
  cloudSlug: 'CLOUDSLUG#*',
  credential: 'CREDENTIAL#*',
  blueprint: 'BLUEPRINT#*',
  blueprintIndex: 'BLUEPRINTS',
  blueprintSlug: 'BLUEPRINTSLUG#*',
  blueprintVersion: 'BPVERSION#*',
  deviceCode: 'DEVICE#*',
  userCode: 'USERCODE#*',
  session: 'SESSION#*',
  signInThrottle: 'THROTTLE#*',
  assignment: 'ASSIGNMENT#*',
  liveAssignment: 'LIVEASSIGN#*',
  audit: 'AUDIT#*',
  resource: 'RESOURCE#*',
  activeResources: 'RESOURCES#ACTIVE',
  idempotency: 'IDEMPOTENCY#*',
  bootstrapToken: 'BOOTSTRAP#*',
  node: 'NODE#*',
  meshIp: 'MESHIP#*',
  nonce: 'NONCE#*',
  peers: 'PEERS#*',
  events: 'EVENTS#*',
  projectEvents: 'PROJECTEVENTS#*',
  webhook: 'WEBHOOK#*',
  webhookCursor: 'WHCURSOR#*',
  webhookDomains: 'WEBHOOKDOMAINS',
  webhookLane: 'WHLANE#*',
} as const;

export type Partition = keyof typeof PARTITIONS;

/** Every function that uses the table. */
export type TableUser =
  | FunctionGroup
  | StepGroup
  | typeof LEASE_EXPIRY_FUNCTION.name
  | typeof WEBHOOK_DISPATCH_FUNCTION.name
  | 'reconciler';

/** A user route authenticates its caller: a bearer token names a user; the console's cookie names a session, then a user. */
const SIGNED_IN: Partition[] = ['user', 'session'];
/** Appending an event: the domain's counter (in the domain's partition), the domain's events, the project's counter. */
const EVENT_LOG: Partition[] = ['domain', 'events', 'projectEvents'];
/** Starting a Resource's run (a teardown, a resumed run): its item, and the domain's peer snapshot its node leaves when it leaves Ready. */
const RUN_START: Partition[] = ['resource', 'peers'];
/** A Resource's run: its item, its token and node pointers, mesh addresses, the domain's peer snapshot. */
const RUNS: Partition[] = ['resource', 'bootstrapToken', 'node', 'meshIp', 'peers'];

export const TABLE_ACCESS: Readonly<Record<TableUser, readonly Partition[]>> = {
  // Sign-in: the user by email (per domain), the domain's IdP bindings, device and user codes, sessions, throttles.
  auth: [...SIGNED_IN, 'userEmail', 'domain', 'deviceCode', 'userCode', 'signInThrottle'],
  tenancy: [...SIGNED_IN, ...EVENT_LOG, 'domainIndex', 'project', 'projectSlug', 'audit'],
  catalog: [
    ...SIGNED_IN,
    'cloud',
    'cloudIndex',
    'cloudSlug',
    'credential',
    'blueprint',
    'blueprintIndex',
    'blueprintSlug',
    'blueprintVersion',
  ],
  // Revoking with teardown starts the teardown of the project's Resources.
  assignments: [...SIGNED_IN, ...EVENT_LOG, ...RUN_START, 'project', 'assignment', 'liveAssignment', 'audit', 'credential', 'cloud'],
  // Admission reads the catalog and the assignment (and takes a slot of its quota); every change is an event.
  resources: [
    ...SIGNED_IN,
    ...EVENT_LOG,
    ...RUN_START,
    'project',
    'idempotency',
    'assignment',
    'liveAssignment',
    'audit',
    'credential',
    'cloud',
    'blueprint',
    'blueprintVersion',
  ],
  // No users here: NSK envelopes and bootstrap tokens.
  nodes: ['domain', 'resource', 'bootstrapToken', 'node', 'meshIp', 'nonce', 'peers'],
  events: [...SIGNED_IN, ...EVENT_LOG, 'project'],
  webhooks: [...SIGNED_IN, 'domain', 'webhook', 'webhookCursor', 'webhookDomains', 'webhookLane'],
  // Both step groups are wired with the same ports (functions/shared/step-composition.ts).
  'provision-steps': [...RUNS, ...EVENT_LOG, 'project', 'assignment', 'credential', 'cloud', 'blueprint', 'blueprintVersion'],
  'substrate-steps': [...RUNS, ...EVENT_LOG, 'project', 'assignment', 'credential', 'cloud', 'blueprint', 'blueprintVersion'],
  // A lease timer tears its Resource down; a request timer expires the request and frees its slot.
  'lease-expiry': [...EVENT_LOG, ...RUN_START, 'assignment', 'liveAssignment'],
  // Fans events out to the domains' webhooks and drains their lanes.
  'webhook-dispatch': ['domain', 'events', 'webhook', 'webhookCursor', 'webhookDomains', 'webhookLane'],
  // Resumes the runs in flight: the active Resources, and the events of a restarted run.
  reconciler: [...EVENT_LOG, ...RUN_START, 'activeResources'],
};

/** The `dynamodb:LeadingKeys` patterns of a function, in PARTITIONS order (stable templates). */
export function leadingKeys(user: TableUser): string[] {
  const allowed = new Set(TABLE_ACCESS[user]);
  return (Object.keys(PARTITIONS) as Partition[]).filter((p) => allowed.has(p)).map((p) => PARTITIONS[p]);
}

/** The condition a function's table grant carries. */
export function leadingKeysCondition(user: TableUser): Record<string, Record<string, string[]>> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys(user) } };
}
