// The EC2 emulator's instances: as the state file keeps them, as the emulator exposes them, and as
// RunInstances and DescribeInstances describe them in XML. User data carries a bootstrap token: it
// is persisted (needed to relaunch) but never logged, returned, or put in an error.
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { itemSet, leaf, node } from './query-protocol.ts';

/** The account the emulator stands in for: its instances' reservations and its own images belong to it. */
export const OWNER_ID = '000000000000';
/** The first addresses of a subnet are reserved on AWS; private IPs start after them. */
export const FIRST_HOST = 4;

export const STATE_CODES = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;
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
export type MetadataOptions = z.infer<typeof MetadataOptionsSchema>;

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

export const StateSchema = z.object({
  nextHost: z.number().int().min(FIRST_HOST),
  instances: z.record(z.string(), StoredInstanceSchema),
});

export type StoredInstance = z.infer<typeof StoredInstanceSchema>;
export type State = z.infer<typeof StateSchema>;

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

/** AWS's defaults for what RunInstances leaves out (an AMI without `ImdsSupport: v2.0`, no account default). */
export const DEFAULT_METADATA_OPTIONS: MetadataOptions = {
  httpTokens: 'optional',
  httpPutResponseHopLimit: 1,
  httpEndpoint: 'enabled',
  httpProtocolIpv6: 'disabled',
  instanceMetadataTags: 'disabled',
};

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function hostAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The `2024-01-01 12:00:00 GMT` form AWS uses in StateTransitionReason. */
export function gmt(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} GMT`;
}

export function publicView(instance: StoredInstance): InstanceRecord {
  const { userData: _userData, requestFingerprint: _fingerprint, stateTransitionReason: _reason, ...rest } = instance;
  return structuredClone(rest);
}

// ---- XML ---------------------------------------------------------------------------------------

export function stateXml(tag: string, state: InstanceStateName): string {
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

export function reservationXml(reservationId: string, instances: StoredInstance[], region: string): string {
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
