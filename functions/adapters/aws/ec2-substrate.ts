import { createHash } from 'node:crypto';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  type EC2ClientConfig,
  EC2ServiceException,
  type Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type LaunchRequest,
  type Machine,
  type MachineState,
  RESOURCE_TAG,
  type Substrate,
  SubstrateRejectedError,
  TransientError,
} from '../../core/substrate.ts';
import { STEP_FAILURES, type StepFailureCode, withDetail } from '../../core/phase-steps/failure-codes.ts';

/** Where and as whom the EC2 client calls: the target of an aws plan. */
export interface SubstrateTarget {
  region: string;
  /** Overrides the provider's public endpoint (the local EC2 emulator, LocalStack). */
  endpoint?: string;
  /** The vaulted credential version the keys were read from: what the client cache is keyed by. */
  secretRef?: { arn: string; versionId: string };
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** A RunInstances: the core's launch request with an aws plan's machine. */
export interface LaunchSpec extends LaunchRequest {
  imageId: string;
  instanceType: string;
}

// What each EC2 error means, in our codes (functions/core/phase-steps/failure-codes.ts), and
// whether retrying can fix it. The cloud's message (account ids, ARNs of principals and policies)
// goes to the log only. An error not named here (throttling, 5xx, the network) is transient and
// left to the state machine's Retry.
const REFUSALS: Record<string, StepFailureCode> = {
  AuthFailure: 'substrate_auth_failed',
  InvalidClientTokenId: 'substrate_auth_failed',
  SignatureDoesNotMatch: 'substrate_auth_failed',
  UnauthorizedOperation: 'substrate_not_permitted',
  OptInRequired: 'substrate_not_permitted',
  Blocked: 'substrate_not_permitted',
  InstanceLimitExceeded: 'substrate_quota_exceeded',
  VcpuLimitExceeded: 'substrate_quota_exceeded',
  'InvalidAMIID.NotFound': 'substrate_rejected_parameters',
  'InvalidAMIID.Malformed': 'substrate_rejected_parameters',
  InvalidParameterValue: 'substrate_rejected_parameters',
  InvalidParameterCombination: 'substrate_rejected_parameters',
  // The same client token with other parameters: the broker's own doing, not the tenant's.
  IdempotentParameterMismatch: 'internal_error',
};
/** Worth retrying, but with a code of its own once the retries ran out. */
const CAPACITY = new Set(['InsufficientInstanceCapacity', 'InsufficientHostCapacity', 'InsufficientCapacity']);

/** What DescribeImages answers for an image this account cannot use. */
const IMAGE_UNKNOWN = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable']);

/** What the cloud said, for the log line of the step that failed (never for the Resource). */
function cloudSaid(err: unknown, name: string): Record<string, unknown> {
  const e = err as { message?: unknown; $metadata?: { requestId?: string; httpStatusCode?: number } };
  return {
    cloud_error: name,
    cloud_message: typeof e?.message === 'string' ? e.message : undefined,
    cloud_request_id: e?.$metadata?.requestId,
    cloud_status: e?.$metadata?.httpStatusCode,
  };
}

function translate(err: unknown): never {
  const name = (err as { name?: unknown })?.name;
  if (err instanceof EC2ServiceException || typeof name === 'string') {
    const said = cloudSaid(err, name as string);
    const refused = REFUSALS[name as string];
    if (refused) throw withDetail(new SubstrateRejectedError(refused, STEP_FAILURES[refused]), said);
    if (CAPACITY.has(name as string)) throw withDetail(new TransientError('substrate_capacity', STEP_FAILURES.substrate_capacity), said);
    throw withDetail(new TransientError('substrate_unavailable', 'The cloud did not answer cleanly; will retry.'), said);
  }
  throw new TransientError('substrate_unavailable', 'The cloud did not answer; will retry.');
}

function machineOf(instance: Instance): Machine {
  return {
    instanceId: instance.InstanceId ?? '',
    state: (instance.State?.Name ?? 'pending') as MachineState,
    ...(instance.StateReason?.Message && { stateReason: instance.StateReason.Message }),
  };
}

/** How many EC2 clients one container keeps: one per credential version, region and endpoint in use. */
export const MAX_CACHED_CLIENTS = 32;

/** A target's client: the same credential version (or, without one, the same keys) in the same place. */
function clientKey(target: SubstrateTarget): string {
  const who = target.secretRef
    ? `secret:${target.secretRef.arn}:${target.secretRef.versionId}`
    : `keys:${createHash('sha256').update(JSON.stringify(target.credentials)).digest('hex')}`;
  return JSON.stringify([target.region, target.endpoint ?? '', who]);
}

/** One adapter for every aws cloud: the endpoint and keys come from the Cloud and its vaulted credential. */
export class Ec2Substrate implements Substrate {
  // Least recently used first (a Map keeps insertion order; a hit moves the entry to the end).
  private readonly clients = new Map<string, EC2Client>();
  private readonly maxClients: number;
  private readonly newClient: (config: EC2ClientConfig) => EC2Client;

  constructor(opts: { maxClients?: number; newClient?: (config: EC2ClientConfig) => EC2Client } = {}) {
    this.maxClients = opts.maxClients ?? MAX_CACHED_CLIENTS;
    this.newClient = opts.newClient ?? ((config) => new EC2Client(config));
  }

  private client(target: SubstrateTarget): EC2Client {
    const key = clientKey(target);
    let client = this.clients.get(key);
    if (client) this.clients.delete(key);
    else {
      client = this.newClient({
        region: target.region,
        credentials: target.credentials,
        maxAttempts: 2,
        ...(target.endpoint && { endpoint: target.endpoint }),
      });
      const [oldest] = this.clients.entries();
      // A call still in flight on the evicted client fails as transient and is retried.
      if (oldest && this.clients.size >= this.maxClients) {
        this.clients.delete(oldest[0]);
        oldest[1].destroy();
      }
    }
    this.clients.set(key, client);
    return client;
  }

  async launch(target: SubstrateTarget, spec: LaunchSpec): Promise<Machine> {
    try {
      const out = await this.client(target).send(
        new RunInstancesCommand({
          ClientToken: spec.clientToken,
          ImageId: spec.imageId,
          InstanceType: spec.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          UserData: Buffer.from(spec.userData).toString('base64'),
          // Tagged at creation, atomically: a teardown can always find a machine by its Resource.
          TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })) }],
          MetadataOptions: { HttpTokens: 'required' },
        }),
      );
      const instance = out.Instances?.[0];
      if (!instance?.InstanceId) throw new TransientError('substrate_unavailable', 'RunInstances returned no instance.');
      return machineOf(instance);
    } catch (err) {
      if (err instanceof TransientError || err instanceof SubstrateRejectedError) throw err;
      translate(err);
    }
  }

  async findByResource(target: SubstrateTarget, resourceId: string): Promise<Machine[]> {
    try {
      const machines: Machine[] = [];
      let nextToken: string | undefined;
      do {
        const out = await this.client(target).send(
          new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RESOURCE_TAG}`, Values: [resourceId] }], NextToken: nextToken }),
        );
        for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) machines.push(machineOf(i));
        nextToken = out.NextToken;
      } while (nextToken);
      return machines;
    } catch (err) {
      translate(err);
    }
  }

  async terminate(target: SubstrateTarget, instanceIds: string[]): Promise<void> {
    if (!instanceIds.length) return;
    try {
      await this.client(target).send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
    } catch (err) {
      if ((err as { name?: string })?.name === 'InvalidInstanceID.NotFound') return;
      translate(err);
    }
  }

  async imageOwner(target: SubstrateTarget, imageId: string): Promise<string | undefined> {
    try {
      const out = await this.client(target).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      return out.Images?.find((i) => i.ImageId === imageId)?.OwnerId;
    } catch (err) {
      if (IMAGE_UNKNOWN.has((err as { name?: string })?.name ?? '')) return undefined;
      translate(err);
    }
  }
}
