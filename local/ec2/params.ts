// The EC2 emulator's request parameters: Query-protocol lists and structures, tags, metadata
// options, user data, instance ids and DescribeInstances filters, each checked as EC2 checks it.
import { createHash } from 'node:crypto';
import { DEFAULT_METADATA_OPTIONS, type MetadataOptions, STATE_CODES, type StoredInstance } from './model.ts';
import { fail, type Params } from './query-protocol.ts';

/** AWS limits user data to 16 KB before base64. */
const MAX_USER_DATA_BYTES = 16 * 1024;
const MAX_TAGS = 50;

export function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') fail('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

/** `prefix.N` scalars in N order, e.g. InstanceId.1, InstanceId.2. */
export function scalarList(params: Params, prefix: string): string[] {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}\\.(\\d+)$`);
  const found: Array<[number, string]> = [];
  for (const [key, value] of params) {
    const match = pattern.exec(key);
    if (match) found.push([Number(match[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

/** `prefix.N.rest` grouped by N, each group keyed by `rest`, e.g. Filter.1.Name, Filter.1.Value.1. */
export function structList(params: Params, prefix: string): Params[] {
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

export function isTrue(params: Params, name: string): boolean {
  return params.get(name)?.toLowerCase() === 'true';
}

export function positiveInt(params: Params, name: string): number {
  const text = required(params, name);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    fail('InvalidParameterValue', `Value (${text}) for parameter ${name} is invalid. Must be at least 1.`);
  }
  return value;
}

/** Tag.N.Key / Tag.N.Value groups, validated as AWS does. */
export function parseTags(groups: Params[], into: Record<string, string> = {}): Record<string, string> {
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

export function checkTagCount(tags: Record<string, string>): void {
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

export function instanceTags(params: Params): Record<string, string> {
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

function oneOf<T extends string>(params: Params, name: string, allowed: readonly T[], fallback: T): T {
  const value = params.get(name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) fail('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid. Expected one of: ${allowed.join(', ')}.`);
  return value as T;
}

export function metadataOptions(params: Params): MetadataOptions {
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

export function decodeUserData(base64: string): string {
  const compact = base64.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    fail('InvalidUserData.Malformed', 'Invalid BASE64 encoding of user data.');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_USER_DATA_BYTES) fail('InvalidParameterValue', `User data is limited to ${MAX_USER_DATA_BYTES} bytes`);
  return bytes.toString('utf8');
}

/** Parameters that make a RunInstances request what it is; a retry must repeat them exactly. */
export function fingerprint(params: Params): string {
  const ignored = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);
  const entries = [...params].filter(([key]) => !ignored.has(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export function instanceIds(params: Params, prefix: string): string[] {
  const ids = scalarList(params, prefix);
  for (const id of ids) if (!INSTANCE_ID.test(id)) fail('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  return ids;
}

export function notFound(ids: string[]): never {
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

export function parseFilters(params: Params): Predicate[] {
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

