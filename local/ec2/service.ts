// In-process emulator of the EC2 Query API, enough for the broker's substrate: RunInstances,
// DescribeInstances, TerminateInstances, CreateTags, and DescribeImages of the images it knows. Instances persist in one JSON file under
// dataDir and are relaunched on restart (lifecycle.ts runs them); user data is kept but never
// logged, returned, or put in an error.
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { closeIdleServer, endpointUrl, listen } from '../net.ts';
import { readState, StateFile } from '../state-file.ts';
import { describeImages } from './images.ts';
import { InstanceLifecycle, logFailure } from './lifecycle.ts';
import {
  FIRST_HOST,
  gmt,
  hostAddress,
  type InstanceRecord,
  type InstanceRunner,
  newId,
  publicView,
  reservationXml,
  type State,
  StateSchema,
  type StoredInstance,
  stateXml,
} from './model.ts';
import {
  checkTagCount,
  decodeUserData,
  fingerprint,
  INSTANCE_ID,
  instanceIds,
  instanceTags,
  isTrue,
  metadataOptions,
  notFound,
  parseFilters,
  parseTags,
  positiveInt,
  required,
  scalarList,
  structList,
} from './params.ts';
import { authenticate, Ec2Error, fail, itemSet, leaf, type Params, readForm, sendError, sendResult } from './query-protocol.ts';

const STATE_FILE = 'ec2.json';
const DEFAULT_REGION = 'us-east-1';

class Ec2Service {
  private readonly stateFile: StateFile;
  private readonly lifecycle: InstanceLifecycle;

  private constructor(
    file: string,
    private readonly state: State,
    runner: InstanceRunner,
    readonly region: string,
    bootDelayMs: number,
  ) {
    this.stateFile = new StateFile(file);
    this.lifecycle = new InstanceLifecycle(runner, bootDelayMs, () => this.save());
  }

  static async load(opts: { dataDir: string; runner: InstanceRunner; region: string; bootDelayMs: number }): Promise<Ec2Service> {
    await mkdir(opts.dataDir, { recursive: true });
    const file = `${opts.dataDir}/${STATE_FILE}`;
    const state = await readState(file, StateSchema, (): State => ({ nextHost: FIRST_HOST, instances: {} }), 'EC2 emulator');
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
      if (instance.state === 'pending' || instance.state === 'running') this.lifecycle.boot(instance, true);
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
      case 'DescribeImages':
        return describeImages(params, () => this.dryRun(params));
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
    this.lifecycle.boot(instance, false);
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
    for (const { instance } of changes) if (instance.state === 'shutting-down') this.lifecycle.shutDown(instance);
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

  /** Stops what runs here without recording it: the instances stay as they are, to be relaunched on restart. */
  async close(): Promise<void> {
    await this.lifecycle.close();
    await this.stateFile.settled();
  }

  private save(): Promise<void> {
    return this.stateFile.save(() => this.state);
  }
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
      sendResult(res, requestId, action, await service.handle(params));
    } catch (error) {
      const known = error instanceof Ec2Error;
      if (!known) logFailure('request failed', '-', error);
      const code = known ? error.code : 'InternalError';
      // Unexpected errors get a fixed message: their text might carry request data.
      const message = known ? error.message : 'An internal error has occurred in the local EC2 emulator.';
      sendError(res, requestId, known ? error.status : 500, code, message);
    }
  });

  const port = await listen(server, opts.port ?? 0, host);
  service.resume();

  return {
    url: endpointUrl(host, port),
    port,
    stats,
    instances: () => service.instances(),
    async close() {
      await closeIdleServer(server);
      await service.close();
    },
  };
}
