import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client, type Instance, RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach } from 'vitest';
import type { InstanceRunner, LaunchedInstance } from '../../local/ec2/model.ts';
import { startEc2 } from '../../local/ec2/service.ts';
import { waitFor } from './wait.ts';
export { rejection } from './sdk-rejection.ts';

// The local EC2 emulator of test/unit/ec2-*.test.ts, over a FakeRunner instead of real agents: a
// fresh one on a fresh data dir for every test, and the helpers those files share.

export type Emulator = Awaited<ReturnType<typeof startEc2>>;
type Launch = Parameters<InstanceRunner['launch']>[0];

export const DEMO_KEY = 'AKIALOCALDEMO0000001';
export const RESOURCE_TAG = 'plexsphere:resource-id';
export const USER_DATA = '#cloud-config\nwrite_files:\n  - path: /etc/plexd/bootstrap-token\n    content: psb_local_abc_node_s3cr3tt0k3nvalue\n';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Records every launch and stop. By default both resolve at once; a test can hold them with
 * `holdLaunches`/`holdStops` to observe pending and shutting-down, then release them.
 */
export class FakeRunner implements InstanceRunner {
  readonly launches: Launch[] = [];
  readonly stopped: string[] = [];
  holdLaunches = false;
  holdStops = false;
  failLaunch: ((instance: Launch) => Error | undefined) | undefined;
  /** Instances whose stop() throws, as an agent that will not die. */
  readonly failStopFor = new Set<string>();
  readonly launchGates = new Map<string, Deferred>();
  readonly stopGates = new Map<string, Deferred>();

  async launch(instance: Launch): Promise<LaunchedInstance> {
    this.launches.push(instance);
    if (this.holdLaunches) {
      const gate = deferred();
      this.launchGates.set(instance.instanceId, gate);
      await gate.promise;
    }
    const error = this.failLaunch?.(instance);
    if (error) throw error;
    return {
      stop: async () => {
        if (this.holdStops) {
          const gate = deferred();
          this.stopGates.set(instance.instanceId, gate);
          await gate.promise;
        }
        if (this.failStopFor.has(instance.instanceId)) throw new Error('agent would not stop');
        this.stopped.push(instance.instanceId);
      },
    };
  }

  /** Lets everything held go, so close() (which waits for launches in flight) cannot hang after a failed test. */
  releaseAll(): void {
    this.holdLaunches = false;
    this.holdStops = false;
    for (const gate of [...this.launchGates.values(), ...this.stopGates.values()]) gate.resolve();
  }
}

export function clientFor(url: string, accessKeyId = DEMO_KEY): EC2Client {
  return new EC2Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'anything' } });
}

export function runInput(overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput {
  return {
    ImageId: 'ami-0123456789abcdef0',
    InstanceType: 't3.micro',
    MinCount: 1,
    MaxCount: 1,
    UserData: Buffer.from(USER_DATA).toString('base64'),
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: RESOURCE_TAG, Value: 'res-1' }] }],
    ...overrides,
  };
}

/** Waits until `check` holds, yielding to the event loop between tries. */
export async function until(check: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The emulator of a test and what surrounds it, under the names its tests use. */
export interface Ec2World {
  dataDir: string;
  runner: FakeRunner;
  emulator: Emulator;
  client: EC2Client;
}

/**
 * Where a test file keeps its world. A file whose tests only read it uses this module's own
 * variables (the default); a file whose tests assign `emulator` or `client` themselves keeps its
 * own variables and hands them over as a get/set pair.
 */
export interface Ec2Binding {
  get(): Ec2World;
  set(world: Ec2World): void;
}

export let dataDir: string;
export let runner: FakeRunner;
export let emulator: Emulator;
export let client: EC2Client;

const moduleWorld: Ec2Binding = {
  get: () => ({ dataDir, runner, emulator, client }),
  set: (world) => {
    ({ dataDir, runner, emulator, client } = world);
  },
};

/**
 * Gives each test of the calling file a fresh emulator, data dir, FakeRunner and client (in
 * `binding`), and returns the helpers that act on them.
 */
export function useEc2Emulator(binding: Ec2Binding = moduleWorld) {
  async function start(): Promise<void> {
    const current = binding.get();
    const started = await startEc2({ dataDir: current.dataDir, acceptedKeys: [{ accessKeyId: DEMO_KEY }], runner: current.runner, port: 0 });
    binding.set({ ...current, emulator: started, client: clientFor(started.url) });
  }

  async function restart(nextRunner: FakeRunner): Promise<void> {
    const current = binding.get();
    current.client.destroy();
    await current.emulator.close();
    binding.set({ ...current, runner: nextRunner });
    await start();
  }

  async function run(overrides: Partial<RunInstancesCommandInput> = {}): Promise<Instance> {
    const reservation = await binding.get().client.send(new RunInstancesCommand(runInput(overrides)));
    const instance = reservation.Instances?.[0];
    if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
    return instance;
  }

  async function describe1(instanceId: string): Promise<Instance> {
    const out = await binding.get().client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    if (!instance) throw new Error(`${instanceId} not described`);
    return instance;
  }

  /** Polls DescribeInstances until the instance is in `state`: waits on the fact, with a deadline. */
  async function untilState(instanceId: string, state: string, deadlineMs = 5_000): Promise<Instance> {
    let seen: string | undefined;
    const probe = async () => {
      const instance = await describe1(instanceId);
      seen = instance.State?.Name;
      return seen === state ? instance : undefined;
    };
    return waitFor(probe, { timeoutMs: deadlineMs, intervalMs: 10, what: `${instanceId} to become ${state}` }).catch((err: unknown) => {
      throw seen === undefined ? err : new Error(`${instanceId} is ${seen}, never became ${state}`);
    });
  }

  beforeEach(async () => {
    binding.set({ ...binding.get(), dataDir: await mkdtemp(join(tmpdir(), 'ec2-')), runner: new FakeRunner() });
    await start();
  });

  afterEach(async () => {
    const current = binding.get();
    current.runner.releaseAll();
    current.client.destroy();
    await current.emulator.close();
    await rm(current.dataDir, { recursive: true, force: true });
  });

  return { run, describe1, untilState, restart };
}
