// In-process emulator of the EC2 Query API (form-encoded POST, XML answers in the 2016-11-15
// namespace), enough for the broker's substrate: RunInstances, DescribeInstances,
// TerminateInstances, CreateTags. An instance is whatever the InstanceRunner starts from its user
// data (locally: a node agent), and its state follows that runner: pending until launch resolved,
// running, shutting-down until stop resolved, terminated. Instances persist in one JSON file under
// dataDir and are relaunched on restart. User data carries a bootstrap token: it is persisted
// (needed to relaunch) but never logged, returned, or put in an error.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { listen } from './net.ts';
import { readBodyText, StateFile } from './state-file.ts';

const STATE_FILE = 'ec2.json';
const API_VERSION = '2016-11-15';
const XML_NAMESPACE = `http://ec2.amazonaws.com/doc/${API_VERSION}/`;
const OWNER_ID = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 1024 * 1024;
/** AWS limits user data to 16 KB before base64. */
const MAX_USER_DATA_BYTES = 16 * 1024;
const MAX_TAGS = 50;
/** The first addresses of a subnet are reserved on AWS; private IPs start after them. */
const FIRST_HOST = 4;

const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;
type InstanceStateName = keyof typeof STATE_CODES;

const StateReasonSchema = z.object({ code: z.string(), message: z.string() });

/** RunInstances' MetadataOptions as DescribeInstances reports them (IMDSv2 is `httpTokens: required`). */
const MetadataOptionsSchema = z.object({
  httpTokens: z.enum(['optional', 'required']),
  httpPutResponseHopLimit: z.number().int().min(1).max(64),
  httpEndpoint: z.enum(['enabled', 'disabled']),
  httpProtocolIpv6: z.enum(['enabled', 'disabled']),
  instanceMetadataTags: z.enum(['enabled', 'disabled']),
});
type MetadataOptions = z.infer<typeof MetadataOptionsSchema>;

const StoredInstanceSchema = z.object({
  instanceId: z.string(),
  reservationId: z.string(),
  imageId: z.string(),
  instanceType: z.string(),
  state: z.enum(['pending', 'running', 'shutting-down', 'terminated']),
  stateReason: StateReasonSchema.optional(),
  stateTransitionReason: z.string().optional(),
  tags: z.record(z.string(), z.string()),
  launchTime: z.string(),
  privateIpAddress: z.string(),
  clientToken: z.string().optional(),
  /** Absent in state files written before the emulator kept them: AWS's defaults apply. */
  metadataOptions: MetadataOptionsSchema.optional(),
  /** SHA-256 of the RunInstances parameters, to tell a retry from a different request reusing the token. */
  requestFingerprint: z.string(),
  /** Base64, exactly as received. */
  userData: z.string(),
});

const StateSchema = z.object({
  nextHost: z.number().int().min(FIRST_HOST),
  instances: z.record(z.string(), StoredInstanceSchema),
});

type StoredInstance = z.infer<typeof StoredInstanceSchema>;
type State = z.infer<typeof StateSchema>;

/** What the emulator exposes of an instance: everything but the user data. */
export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceStateName;
  stateReason?: { code: string; message: string };
  tags: Record<string, string>;
  launchTime: string;
  privateIpAddress: string;
  clientToken?: string;
  metadataOptions?: MetadataOptions;
}

export interface LaunchedInstance {
  stop(): Promise<void>;
}

/** Boots and stops what an instance runs. The local stack's runner starts a node agent. */
export interface InstanceRunner {
  /**
   * Resolves once the instance is up (it then counts as running). A rejection terminates the
   * instance; the error's message becomes its StateReason, so it should not quote the user data
   * (words of it are redacted as a safeguard).
   */
  launch(instance: {
    instanceId: string;
    /** Decoded (UTF-8) user data. */
    userData: string;
    tags: Record<string, string>;
    /** True when relaunched after an emulator restart: the agent should keep its node identity. */
    restarted: boolean;
  }): Promise<LaunchedInstance>;
}

/** An error the SDK maps to an exception whose `name` is the code. */
class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function fail(code: string, message: string, status = 400): never {
  throw new Ec2Error(code, message, status);
}

// ---- form parameters -------------------------------------------------------------------------

type Params = Map<string, string>;

function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') fail('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

/** `prefix.N` scalars in N order, e.g. InstanceId.1, InstanceId.2. */
function scalarList(params: Params, prefix: string): string[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`);
  const found: Array<[number, string]> = [];
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (match) found.push([Number(match[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** `prefix.N.rest` grouped by N, each group keyed by `rest`, e.g. Filter.1.Name, Filter.1.Value.1. */
function structList(params: Params, prefix: string): Params[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)\\.(.+)$`);
  const groups = new Map<number, Params>();
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (!match) continue;
    const index = Number(match[1]);
    const group = groups.get(index) ?? new Map<string, string>();
    group.set(match[2] as string, value);
    groups.set(index, group);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isTrue(params: Params, name: string): boolean {
  return params.get(name)?.toLowerCase() === 'true';
}

function positiveInt(params: Params, name: string): number {
  const text = required(params, name);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    fail('InvalidParameterValue', `Value (${text}) for parameter ${name} is invalid. Must be at least 1.`);
  }
  return value;
}

/** Tag.N.Key / Tag.N.Value groups, validated as AWS does. */
function parseTags(groups: Params[], into: Record<string, string> = {}): Record<string, string> {
  const seen = new Set<string>();
  for (const group of groups) {
    const key = group.get('Key');
    if (key === undefined || key.length === 0 || key.length > 128) {
      fail('InvalidParameterValue', 'Tag keys must be between 1 and 128 characters.');
    }
    const value = group.get('Value') ?? '';
    if (value.length > 256) fail('InvalidParameterValue', `The value of tag '${key}' is longer than 256 characters.`);
    if (key.toLowerCase().startsWith('aws:')) fail('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
    // XML 1.0 cannot carry most control characters, so they could never be described back.
    if (hasControlCharacter(key) || hasControlCharacter(value)) {
      fail('InvalidParameterValue', `Tag '${key}' contains a character that is not allowed.`);
    }
    if (seen.has(key)) fail('InvalidParameterValue', `Duplicate tag key '${key}' specified.`);
    seen.add(key);
    into[key] = value;
  }
  checkTagCount(into);
  return into;
}

function checkTagCount(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) fail('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS}.`);
}

function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r') return true;
  }
  return false;
}

/** Resource types RunInstances may tag beside the instance; the emulator has none of them. */
const OTHER_TAGGABLE_TYPES = new Set(['volume', 'network-interface', 'spot-instances-request', 'elastic-gpu']);

function instanceTags(params: Params): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of structList(params, 'TagSpecification')) {
    const type = spec.get('ResourceType');
    const specTags = structList(spec, 'Tag');
    if (type === 'instance') parseTags(specTags, tags);
    else if (type === undefined) fail('InvalidParameterValue', 'A tag specification must have a resource type.');
    else if (!OTHER_TAGGABLE_TYPES.has(type)) fail('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
  }
  return tags;
}

/** AWS's defaults for what RunInstances leaves out (an AMI without `ImdsSupport: v2.0`, no account default). */
const DEFAULT_METADATA_OPTIONS: MetadataOptions = {
  httpTokens: 'optional',
  httpPutResponseHopLimit: 1,
  httpEndpoint: 'enabled',
  httpProtocolIpv6: 'disabled',
  instanceMetadataTags: 'disabled',
};

function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[], fallback: T): T {
  const value = params.get(name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) fail('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. Expected one of: ${allowed.join(', ')}.`);
  return value as T;
}

function metadataOptions(params: Params): MetadataOptions {
  const prefix = 'MetadataOptions.';
  const hopText = params.get(`${prefix}HttpPutResponseHopLimit`);
  const hops = hopText === undefined ? DEFAULT_METADATA_OPTIONS.httpPutResponseHopLimit : Number(hopText);
  if (!Number.isInteger(hops) || hops < 1 || hops > 64) {
    fail('InvalidParameterValue', `Value (${hopText}) for parameter ${prefix}HttpPutResponseHopLimit is invalid. Must be from 1 to 64.`);
  }
  const d = DEFAULT_METADATA_OPTIONS;
  return {
    httpTokens: oneOf(params, `${prefix}HttpTokens`, ['optional', 'required'], d.httpTokens),
    httpPutResponseHopLimit: hops,
    httpEndpoint: oneOf(params, `${prefix}HttpEndpoint`, ['enabled', 'disabled'], d.httpEndpoint),
    httpProtocolIpv6: oneOf(params, `${prefix}HttpProtocolIpv6`, ['enabled', 'disabled'], d.httpProtocolIpv6),
    instanceMetadataTags: oneOf(params, `${prefix}InstanceMetadataTags`, ['enabled', 'disabled'], d.instanceMetadataTags),
  };
}

function decodeUserData(base64: string): string {
  const compact = base64.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    fail('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_USER_DATA_BYTES) fail('InvalidParameterValue', `User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
  return bytes.toString('utf8');
}

/** Parameters that make a RunInstances request what it is; a retry must repeat them exactly. */
function fingerprint(params: Params): string {
  const ignored = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);
  const entries = [...params].filter(([key]) => !ignored.has(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

function instanceIds(params: Params, prefix: string): string[] {
  const ids = scalarList(params, prefix);
  for (const id of ids) if (!INSTANCE_ID.test(id)) fail('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  return ids;
}

function notFound(ids: string[]): never {
  return ids.length === 1
    ? fail('InvalidInstanceID.NotFound', `The instance ID '${ids[0]}' does not exist`)
    : fail('InvalidInstanceID.NotFound', `The instance IDs '${ids.join(', ')}' do not exist`);
}

// ---- filters ---------------------------------------------------------------------------------

/** Filter values accept AWS wildcards: `*` any run, `?` one character, `\` escapes. */
function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] as string);
    else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

const FILTER_FIELDS: Record<string, (instance: StoredInstance) => string[]> = {
  'instance-id': (i) => [i.instanceId],
  'reservation-id': (i) => [i.reservationId],
  'image-id': (i) => [i.imageId],
  'instance-type': (i) => [i.instanceType],
  'instance-state-name': (i) => [i.state],
  'instance-state-code': (i) => [String(STATE_CODES[i.state])],
  'client-token': (i) => (i.clientToken === undefined ? [] : [i.clientToken]),
  'private-ip-address': (i) => [i.privateIpAddress],
  'tag-key': (i) => Object.keys(i.tags),
};

type Predicate = (instance: StoredInstance) => boolean;

function parseFilters(params: Params): Predicate[] {
  return structList(params, 'Filter').map((filter) => {
    const name = filter.get('Name');
    if (!name) fail('InvalidParameterValue', 'A filter must have a name.');
    const patterns = scalarList(filter, 'Value').map(wildcard);
    if (patterns.length === 0) fail('InvalidParameterValue', `The filter '${name}' must have at least one value.`);
    const tagKey = name.startsWith('tag:') ? name.slice(4) : undefined;
    const field = tagKey === undefined ? FILTER_FIELDS[name] : undefined;
    if (tagKey === undefined && !field) fail('InvalidParameterValue', `The filter '${name}' is invalid`);
    const valuesOf = (instance: StoredInstance): string[] => {
      if (tagKey === undefined) return field ? field(instance) : [];
      const value = instance.tags[tagKey];
      return value === undefined ? [] : [value];
    };
    // Values of one filter are ORed; filters are ANDed by the caller.
    return (instance: StoredInstance) => valuesOf(instance).some((value) => patterns.some((p) => p.test(value)));
  });
}

// ---- XML -------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

function leaf(tag: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${tag}>${esc(String(value))}</${tag}>`;
}

function node(tag: string, inner: string): string {
  return `<${tag}>${inner}</${tag}>`;
}

/** EC2 lists: a wrapper element holding one `<item>` per member. */
function itemSet(tag: string, items: string[]): string {
  return items.length === 0 ? `<${tag}/>` : node(tag, items.map((item) => node('item', item)).join(''));
}

function stateXml(tag: string, state: InstanceStateName): string {
  return node(tag, leaf('code', STATE_CODES[state]) + leaf('name', state));
}

function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

function instanceXml(instance: StoredInstance, region: string): string {
  const tags = Object.entries(instance.tags).map(([key, value]) => leaf('key', key) + leaf('value', value));
  return [
    leaf('instanceId', instance.instanceId),
    leaf('imageId', instance.imageId),
    stateXml('instanceState', instance.state),
    leaf('privateDnsName', privateDnsName(instance.privateIpAddress, region)),
    leaf('reason', instance.stateTransitionReason),
    leaf('amiLaunchIndex', 0),
    leaf('instanceType', instance.instanceType),
    leaf('launchTime', instance.launchTime),
    node('placement', leaf('availabilityZone', `${region}a`) + leaf('tenancy', 'default')),
    node('monitoring', leaf('state', 'disabled')),
    leaf('privateIpAddress', instance.privateIpAddress),
    itemSet('groupSet', []),
    instance.stateReason ? node('stateReason', leaf('code', instance.stateReason.code) + leaf('message', instance.stateReason.message)) : '',
    leaf('architecture', 'x86_64'),
    leaf('rootDeviceType', 'ebs'),
    leaf('virtualizationType', 'hvm'),
    leaf('clientToken', instance.clientToken),
    metadataOptionsXml(instance.metadataOptions ?? DEFAULT_METADATA_OPTIONS),
    // AWS leaves tagSet out when an instance has no tags.
    tags.length > 0 ? itemSet('tagSet', tags) : '',
    leaf('hypervisor', 'xen'),
  ].join('');
}

function metadataOptionsXml(options: MetadataOptions): string {
  return node(
    'metadataOptions',
    // `applied` at once: nothing here waits for an instance to take the options up.
    leaf('state', 'applied') +
      leaf('httpTokens', options.httpTokens) +
      leaf('httpPutResponseHopLimit', options.httpPutResponseHopLimit) +
      leaf('httpEndpoint', options.httpEndpoint) +
      leaf('httpProtocolIpv6', options.httpProtocolIpv6) +
      leaf('instanceMetadataTags', options.instanceMetadataTags),
  );
}

function reservationXml(reservationId: string, instances: StoredInstance[], region: string): string {
  return (
    leaf('reservationId', reservationId) +
    leaf('ownerId', OWNER_ID) +
    itemSet('groupSet', []) +
    itemSet(
      'instancesSet',
      instances.map((instance) => instanceXml(instance, region)),
    )
  );
}

// ---- service ---------------------------------------------------------------------------------

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function hostAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The `2024-01-01 12:00:00 GMT` form AWS uses in StateTransitionReason. */
function gmt(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

/** Drops every longer word of the user data from a message: a runner error must not leak the token. */
function redact(message: string, userData: string): string {
  let result = message;
  for (const word of new Set(userData.split(/[\s"'`=:,;{}[\]()<>]+/))) {
    if (word.length >= 12) result = result.replaceAll(word, '[redacted]');
  }
  return result.slice(0, 512);
}

function publicView(instance: StoredInstance): InstanceRecord {
  const { userData: _userData, requestFingerprint: _fingerprint, stateTransitionReason: _reason, ...rest } = instance;
  return structuredClone(rest);
}

function logFailure(message: string, instanceId: string, error: unknown): void {
  // The error's name only: a runner's message could carry what it was given.
  const name = error instanceof Error ? error.name : typeof error;
  console.error(JSON.stringify({ level: 'error', message: `ec2 emulator: ${message}`, instanceId, error: name }));
}

/** What runs in this process for one instance. */
interface Live {
  booting?: Promise<void>;
  handle?: LaunchedInstance;
  stopping?: Promise<void>;
}

class Ec2Service {
  private readonly stateFile: StateFile;
  private readonly live = new Map<string, Live>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly aborts = new AbortController();
  private closing = false;

  private constructor(
    file: string,
    private readonly state: State,
    private readonly runner: InstanceRunner,
    readonly region: string,
    private readonly bootDelayMs: number,
  ) {
    this.stateFile = new StateFile(file);
  }

  static async load(opts: { dataDir: string; runner: InstanceRunner; region: string; bootDelayMs: number }): Promise<Ec2Service> {
    await mkdir(opts.dataDir, { recursive: true });
    const file = `${opts.dataDir}/${STATE_FILE}`;
    let state: State = { nextHost: FIRST_HOST, instances: {} };
    try {
      const text = await readFile(file, 'utf8');
      // A corrupt file must not be silently replaced; the parser's message is dropped, it could quote user data.
      const parsed = StateSchema.safeParse(parseJson(text));
      if (!parsed.success) throw new Error(`${file} is not a valid EC2 emulator state file; repair or remove it`);
      state = parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const service = new Ec2Service(file, state, opts.runner, opts.region, opts.bootDelayMs);
    // What ran in the previous process died with it: a shutdown in progress has nothing left to stop.
    const interrupted = Object.values(state.instances).filter((i) => i.state === 'shutting-down');
    for (const instance of interrupted) instance.state = 'terminated';
    if (interrupted.length > 0) await service.save();
    return service;
  }

  /** Relaunches what should be up. A running instance stays running meanwhile, as across an EC2 host reboot. */
  resume(): void {
    for (const instance of Object.values(this.state.instances)) {
      if (instance.state === 'pending' || instance.state === 'running') this.boot(instance, true);
    }
  }

  instances(): InstanceRecord[] {
    return Object.values(this.state.instances).map(publicView);
  }

  async handle(params: Params): Promise<string> {
    const action = required(params, 'Action');
    required(params, 'Version');
    switch (action) {
      case 'RunInstances':
        return this.runInstances(params);
      case 'DescribeInstances':
        return this.describeInstances(params);
      case 'TerminateInstances':
        return this.terminateInstances(params);
      case 'CreateTags':
        return this.createTags(params);
      default:
        return fail('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private dryRun(params: Params): void {
    if (isTrue(params, 'DryRun')) fail('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }

  private async runInstances(params: Params): Promise<string> {
    const imageId = required(params, 'ImageId');
    const minCount = positiveInt(params, 'MinCount');
    const maxCount = positiveInt(params, 'MaxCount');
    if (minCount > maxCount) fail('InvalidParameterValue', 'MinCount must be less than or equal to MaxCount.');
    if (minCount !== 1 || maxCount !== 1) fail('Unsupported', 'The local EC2 emulator launches exactly one instance per request.');
    const userData = params.get('UserData') ?? '';
    decodeUserData(userData);
    const tags = instanceTags(params);
    const metadata = metadataOptions(params);
    const clientToken = params.get('ClientToken');
    if (clientToken !== undefined && (clientToken.length === 0 || clientToken.length > 64)) {
      fail('InvalidParameterValue', 'Client token must be between 1 and 64 characters.');
    }
    this.dryRun(params);

    const requestFingerprint = fingerprint(params);
    const earlier = clientToken === undefined ? undefined : this.byClientToken(clientToken);
    if (earlier) {
      if (earlier.requestFingerprint !== requestFingerprint) {
        fail('IdempotentParameterMismatch', 'The client token you have provided is associated with a resource that has different parameters.');
      }
      // A retry is acknowledged only once the original is on disk.
      await this.stateFile.settled();
      return reservationXml(earlier.reservationId, [earlier], this.region);
    }

    const instance: StoredInstance = {
      instanceId: newId('i'),
      reservationId: newId('r'),
      imageId,
      instanceType: params.get('InstanceType') ?? 'm1.small',
      state: 'pending',
      tags,
      launchTime: new Date().toISOString(),
      privateIpAddress: hostAddress(this.state.nextHost++),
      clientToken,
      metadataOptions: metadata,
      requestFingerprint,
      userData,
    };
    this.state.instances[instance.instanceId] = instance;
    const answer = reservationXml(instance.reservationId, [instance], this.region);
    // Persisted before the launch starts, so a crash cannot leave an agent the emulator forgot.
    await this.save();
    this.boot(instance, false);
    return answer;
  }

  private byClientToken(token: string): StoredInstance | undefined {
    return Object.values(this.state.instances).find((instance) => instance.clientToken === token);
  }

  private describeInstances(params: Params): string {
    const ids = instanceIds(params, 'InstanceId');
    const predicates = parseFilters(params);
    this.dryRun(params);
    const missing = ids.filter((id) => !this.state.instances[id]);
    if (missing.length > 0) notFound(missing);
    const wanted = ids.length > 0 ? new Set(ids) : undefined;
    const reservations = new Map<string, StoredInstance[]>();
    for (const instance of Object.values(this.state.instances)) {
      if (wanted && !wanted.has(instance.instanceId)) continue;
      if (!predicates.every((matches) => matches(instance))) continue;
      const group = reservations.get(instance.reservationId) ?? [];
      group.push(instance);
      reservations.set(instance.reservationId, group);
    }
    return itemSet(
      'reservationSet',
      [...reservations].map(([reservationId, instances]) => reservationXml(reservationId, instances, this.region)),
    );
  }

  private async terminateInstances(params: Params): Promise<string> {
    const ids = instanceIds(params, 'InstanceId');
    if (ids.length === 0) fail('MissingParameter', 'The request must contain the parameter InstanceId');
    this.dryRun(params);
    // All ids are checked before any instance changes, as on AWS.
    const missing = ids.filter((id) => !this.state.instances[id]);
    if (missing.length > 0) notFound(missing);
    const changes = [...new Set(ids)].map((id) => {
      const instance = this.state.instances[id] as StoredInstance;
      const previous = instance.state;
      if (previous === 'pending' || previous === 'running') {
        instance.state = 'shutting-down';
        instance.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
        instance.stateTransitionReason = `User initiated (${gmt(new Date())})`;
      }
      return { instance, previous, current: instance.state };
    });
    await this.save();
    // A shutdown whose stop() failed earlier is retried by a new request, as a stuck one would be on AWS.
    for (const { instance } of changes) if (instance.state === 'shutting-down') this.shutDown(instance);
    return itemSet(
      'instancesSet',
      changes.map(({ instance, previous, current }) =>
        [leaf('instanceId', instance.instanceId), stateXml('currentState', current), stateXml('previousState', previous)].join(''),
      ),
    );
  }

  private async createTags(params: Params): Promise<string> {
    const resourceIds = scalarList(params, 'ResourceId');
    if (resourceIds.length === 0) fail('MissingParameter', 'The request must contain the parameter ResourceId');
    const tagGroups = structList(params, 'Tag');
    if (tagGroups.length === 0) fail('MissingParameter', 'The request must contain the parameter Tag');
    for (const id of resourceIds) {
      if (!id.startsWith('i-')) fail('InvalidID', `The ID '${id}' is not valid`);
      if (!INSTANCE_ID.test(id)) fail('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const missing = resourceIds.filter((id) => !this.state.instances[id]);
    if (missing.length > 0) notFound(missing);
    const newTags = parseTags(tagGroups);
    // Validate every resource's resulting tag count before changing any of them.
    for (const id of resourceIds) checkTagCount({ ...this.state.instances[id]?.tags, ...newTags });
    this.dryRun(params);
    for (const id of resourceIds) Object.assign((this.state.instances[id] as StoredInstance).tags, newTags);
    await this.save();
    return leaf('return', true);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  private liveOf(instanceId: string): Live {
    let live = this.live.get(instanceId);
    if (!live) {
      live = {};
      this.live.set(instanceId, live);
    }
    return live;
  }

  /** Runs a background step; close() waits for every one of them. */
  private track(what: string, instanceId: string, step: () => Promise<void>): Promise<void> {
    const task = step().catch((error) => logFailure(what, instanceId, error));
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
    return task;
  }

  private boot(instance: StoredInstance, restarted: boolean): void {
    const live = this.liveOf(instance.instanceId);
    live.booting = this.track('launch bookkeeping failed', instance.instanceId, async () => {
      if (this.bootDelayMs > 0) {
        try {
          await sleep(this.bootDelayMs, undefined, { signal: this.aborts.signal });
        } catch {
          return;
        }
      }
      // Terminated during the boot delay, or the emulator is closing: nothing to launch.
      if (this.closing || (instance.state !== 'pending' && instance.state !== 'running')) return;
      const userData = Buffer.from(instance.userData, 'base64').toString('utf8');
      let handle: LaunchedInstance;
      try {
        handle = await this.runner.launch({ instanceId: instance.instanceId, userData, tags: { ...instance.tags }, restarted });
      } catch (error) {
        // A terminate that arrived meanwhile keeps its own reason; the shutdown step finishes it.
        if (instance.state !== 'pending' && instance.state !== 'running') return;
        const detail = error instanceof Error ? redact(error.message, userData) : 'launch failed';
        instance.state = 'terminated';
        instance.stateReason = { code: 'Server.InternalError', message: `Server.InternalError: Internal error on launch: ${detail}` };
        instance.stateTransitionReason = `Server error (${gmt(new Date())})`;
        await this.save();
        return;
      }
      live.handle = handle;
      if (instance.state === 'pending') {
        instance.state = 'running';
        await this.save();
      }
    });
  }

  private shutDown(instance: StoredInstance): void {
    const live = this.liveOf(instance.instanceId);
    if (live.stopping) return;
    live.stopping = this.track('stop failed; the instance stays shutting-down', instance.instanceId, async () => {
      try {
        // A launch in flight must finish first, or its agent would outlive the instance.
        await live.booting;
        if (live.handle) {
          await live.handle.stop();
          live.handle = undefined;
        }
        instance.state = 'terminated';
        await this.save();
      } finally {
        live.stopping = undefined;
      }
    });
  }

  /** Stops what runs here without recording it: the instances stay as they are, to be relaunched on restart. */
  async close(): Promise<void> {
    this.closing = true;
    this.aborts.abort();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    for (const [instanceId, live] of this.live) {
      if (!live.handle) continue;
      try {
        await live.handle.stop();
      } catch (error) {
        logFailure('stop on close failed', instanceId, error);
      }
      live.handle = undefined;
    }
    await this.stateFile.settled();
  }

  private save(): Promise<void> {
    return this.stateFile.save(() => this.state);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- HTTP ------------------------------------------------------------------------------------

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/**
 * Checks who is calling by the SigV4 credential scope only: the access key must be accepted and
 * the scope must name this region and ec2. The signature itself is NOT verified; the emulator
 * listens on loopback and stands in for an account, not for a security boundary.
 */
function authenticate(req: IncomingMessage, acceptedKeys: ReadonlySet<string>, region: string): void {
  const header = req.headers.authorization ?? '';
  const match = header.startsWith('AWS4-HMAC-SHA256 ') ? CREDENTIAL.exec(header) : null;
  if (!match) fail('AuthFailure', 'The request must be signed with AWS Signature Version 4.', 401);
  const [, accessKeyId = '', scopeRegion = '', service = ''] = match;
  if (!acceptedKeys.has(accessKeyId)) fail('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  if (scopeRegion !== region) fail('AuthFailure', `Credential should be scoped to a valid region, not '${scopeRegion}'.`, 401);
  if (service !== 'ec2') fail('AuthFailure', `Credential should be scoped to correct service: 'ec2'.`, 401);
}

async function readForm(req: IncomingMessage): Promise<Params> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    fail('UnsupportedOperation', 'The local EC2 emulator expects a form-encoded POST body.');
  }
  const text = await readBodyText(req, MAX_BODY_BYTES, () => fail('RequestLimitExceeded', 'Request body too large.', 413));
  return new Map(new URLSearchParams(text));
}

function sendXml(res: ServerResponse, status: number, requestId: string, xml: string): void {
  const payload = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(payload),
    // The SDK takes $metadata.requestId from this header, not from the body.
    'x-amzn-requestid': requestId,
  });
  res.end(payload);
}

export async function startEc2(opts: {
  dataDir: string;
  acceptedKeys: Array<{ accessKeyId: string }>;
  runner: InstanceRunner;
  port?: number;
  host?: string;
  region?: string;
  bootDelayMs?: number;
}): Promise<{ url: string; port: number; stats: { requests: number }; instances(): InstanceRecord[]; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const region = opts.region ?? DEFAULT_REGION;
  const acceptedKeys = new Set(opts.acceptedKeys.map((key) => key.accessKeyId));
  const service = await Ec2Service.load({ dataDir: opts.dataDir, runner: opts.runner, region, bootDelayMs: opts.bootDelayMs ?? 0 });
  const stats = { requests: 0 };

  const server = createServer(async (req, res) => {
    stats.requests++;
    const requestId = randomUUID();
    try {
      if (req.method !== 'POST') fail('UnsupportedOperation', 'The local EC2 emulator accepts POST requests only.');
      authenticate(req, acceptedKeys, region);
      const params = await readForm(req);
      const action = params.get('Action') ?? '';
      const body = await service.handle(params);
      sendXml(res, 200, requestId, `<${action}Response xmlns="${XML_NAMESPACE}">${leaf('requestId', requestId)}${body}</${action}Response>`);
    } catch (error) {
      const known = error instanceof Ec2Error;
      if (!known) logFailure('request failed', '-', error);
      const code = known ? error.code : 'InternalError';
      // Unexpected errors get a fixed message: their text might carry request data.
      const message = known ? error.message : 'An internal error has occurred in the local EC2 emulator.';
      const xml = node('Response', node('Errors', node('Error', leaf('Code', code) + leaf('Message', message))) + leaf('RequestID', requestId));
      sendXml(res, known ? error.status : 500, requestId, xml);
    }
  });

  const port = await listen(server, opts.port ?? 0, host);
  service.resume();
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats,
    instances: () => service.instances(),
    async close() {
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      // SDK clients keep connections alive; without this, close() would wait for them to time out.
      server.closeIdleConnections();
      await closed;
      await service.close();
    },
  };
}
