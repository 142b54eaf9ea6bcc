import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceRunner, LaunchedInstance } from '../../local/ec2/model.ts';
import { startEc2 } from '../../local/ec2/service.ts';

type Emulator = Awaited<ReturnType<typeof startEc2>>;
type Launch = Parameters<InstanceRunner['launch']>[0];

const DEMO_KEY = 'AKIALOCALDEMO0000001';
const RESOURCE_TAG = 'plexsphere:resource-id';
const USER_DATA = '#cloud-config\nwrite_files:\n  - path: /etc/plexd/bootstrap-token\n    content: psb_local_abc_node_s3cr3tt0k3nvalue\n';

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
class FakeRunner implements InstanceRunner {
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

let dataDir: string;
let runner: FakeRunner;
let emulator: Emulator;
let client: EC2Client;

function clientFor(url: string, accessKeyId = DEMO_KEY): EC2Client {
  return new EC2Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'anything' } });
}

async function start(): Promise<void> {
  emulator = await startEc2({ dataDir, acceptedKeys: [{ accessKeyId: DEMO_KEY }], runner, port: 0 });
  client = clientFor(emulator.url);
}

async function restart(nextRunner: FakeRunner): Promise<void> {
  client.destroy();
  await emulator.close();
  runner = nextRunner;
  await start();
}

function runInput(overrides: Partial<RunInstancesCommandInput> = {}): RunInstancesCommandInput {
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

async function run(overrides: Partial<RunInstancesCommandInput> = {}): Promise<Instance> {
  const reservation = await client.send(new RunInstancesCommand(runInput(overrides)));
  const instance = reservation.Instances?.[0];
  if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
  return instance;
}

async function describe1(instanceId: string): Promise<Instance> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`${instanceId} not described`);
  return instance;
}

/** Polls DescribeInstances until the instance is in `state`: waits on the fact, with a deadline. */
async function untilState(instanceId: string, state: string, deadlineMs = 5_000): Promise<Instance> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const instance = await describe1(instanceId);
    if (instance.State?.Name === state) return instance;
    if (Date.now() > deadline) throw new Error(`${instanceId} is ${instance.State?.Name}, never became ${state}`);
  }
}

/** Waits until `check` holds, yielding to the event loop between tries. */
async function until(check: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

function tagsOf(instance: Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ec2-'));
  runner = new FakeRunner();
  await start();
});

afterEach(async () => {
  runner.releaseAll();
  client.destroy();
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('local EC2 emulator', () => {
  it('runs an instance with tags and user data, pending until the runner has launched it, then running', async () => {
    runner.holdLaunches = true;
    const started = await run();
    const instanceId = started.InstanceId as string;
    expect(instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(started.State).toEqual({ Code: 0, Name: 'pending' });

    // The runner got the decoded user data and the tags; until its launch resolves, the instance is pending.
    await until(() => runner.launchGates.has(instanceId), 'the launch');
    expect(runner.launches).toEqual([{ instanceId, userData: USER_DATA, tags: { [RESOURCE_TAG]: 'res-1' }, restarted: false }]);
    expect((await describe1(instanceId)).State?.Name).toBe('pending');

    runner.launchGates.get(instanceId)?.resolve();
    const running = await untilState(instanceId, 'running');
    expect(running.State).toEqual({ Code: 16, Name: 'running' });
    expect(tagsOf(running)).toEqual({ [RESOURCE_TAG]: 'res-1' });
    expect(running.ImageId).toBe('ami-0123456789abcdef0');
    expect(running.InstanceType).toBe('t3.micro');
    expect(running.LaunchTime).toBeInstanceOf(Date);
    expect(running.PrivateIpAddress).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(running.PrivateDnsName).toBe(`ip-${running.PrivateIpAddress?.replaceAll('.', '-')}.ec2.internal`);
    expect(running.Placement?.AvailabilityZone).toBe('us-east-1a');
    // The SDK fills in a ClientToken on every RunInstances; it is reported back.
    expect(running.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.instances()).toEqual([expect.objectContaining({ instanceId, state: 'running', tags: { [RESOURCE_TAG]: 'res-1' } })]);
    expect(JSON.stringify(emulator.instances())).not.toContain('s3cr3t');
  });

  it('answers a retried RunInstances (same ClientToken) with the same instance and launches once', async () => {
    const first = await run({ ClientToken: 'resource-1-gen-1' });
    await untilState(first.InstanceId as string, 'running');
    const retry = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'resource-1-gen-1' })));
    expect(retry.Instances?.[0]?.InstanceId).toBe(first.InstanceId);
    expect(retry.Instances?.[0]?.State?.Name).toBe('running');
    expect(retry.ReservationId).toBeDefined();
    expect(runner.launches).toHaveLength(1);

    const mismatch = await rejection(client.send(new RunInstancesCommand(runInput({ ClientToken: 'resource-1-gen-1', ImageId: 'ami-other' }))));
    expect(mismatch.name).toBe('IdempotentParameterMismatch');
    expect(mismatch.$metadata.httpStatusCode).toBe(400);
    expect(runner.launches).toHaveLength(1);
    expect(emulator.instances()).toHaveLength(1);
  });

  it('launches once when many RunInstances with one token race', async () => {
    const input = runInput({ ClientToken: 'racing-token' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => client.send(new RunInstancesCommand(input))));
    const ids = new Set(answers.map((answer) => answer.Instances?.[0]?.InstanceId));
    expect(ids.size).toBe(1);
    await untilState([...ids][0] as string, 'running');
    expect(runner.launches).toHaveLength(1);
    expect(emulator.instances()).toHaveLength(1);
  });

  it('filters by tag, state and client token', async () => {
    const one = await run({ ClientToken: 'token-one' });
    const two = await run({ TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: RESOURCE_TAG, Value: 'res-2' }] }] });
    await untilState(one.InstanceId as string, 'running');
    await untilState(two.InstanceId as string, 'running');

    const ids = async (filters: Array<{ Name: string; Values: string[] }>) => {
      const out = await client.send(new DescribeInstancesCommand({ Filters: filters }));
      return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId)).sort();
    };
    expect(await ids([{ Name: `tag:${RESOURCE_TAG}`, Values: ['res-2'] }])).toEqual([two.InstanceId]);
    expect(await ids([{ Name: `tag:${RESOURCE_TAG}`, Values: ['res-1', 'res-2'] }])).toEqual([one.InstanceId, two.InstanceId].sort());
    expect(await ids([{ Name: `tag:${RESOURCE_TAG}`, Values: ['res-*'] }])).toHaveLength(2);
    expect(await ids([{ Name: `tag:${RESOURCE_TAG}`, Values: ['res-3'] }])).toEqual([]);
    expect(await ids([{ Name: 'client-token', Values: ['token-one'] }])).toEqual([one.InstanceId]);

    await client.send(new TerminateInstancesCommand({ InstanceIds: [one.InstanceId as string] }));
    await untilState(one.InstanceId as string, 'terminated');
    expect(await ids([{ Name: 'instance-state-name', Values: ['running'] }])).toEqual([two.InstanceId]);
    expect(
      await ids([
        { Name: `tag:${RESOURCE_TAG}`, Values: ['res-1'] },
        { Name: 'instance-state-name', Values: ['pending', 'running'] },
      ]),
    ).toEqual([]);

    const bad = await rejection(client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })));
    expect(bad.name).toBe('InvalidParameterValue');
  });

  it('terminates through shutting-down, calling stop(), and keeps the terminated instance listed', async () => {
    const instanceId = (await run()).InstanceId as string;
    await untilState(instanceId, 'running');
    runner.holdStops = true;

    const out = await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(out.TerminatingInstances).toEqual([
      { InstanceId: instanceId, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 32, Name: 'shutting-down' } },
    ]);
    await until(() => runner.stopGates.has(instanceId), 'stop()');
    expect((await describe1(instanceId)).State?.Name).toBe('shutting-down');

    runner.stopGates.get(instanceId)?.resolve();
    const terminated = await untilState(instanceId, 'terminated');
    expect(runner.stopped).toEqual([instanceId]);
    expect(terminated.State).toEqual({ Code: 48, Name: 'terminated' });
    expect(terminated.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
    expect(terminated.StateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);

    const again = await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(again.TerminatingInstances?.[0]).toMatchObject({ PreviousState: { Name: 'terminated' }, CurrentState: { Name: 'terminated' } });
    expect(runner.stopped).toEqual([instanceId]);
  });

  it('terminates an instance whose launch is still in flight once the launch settles, stopping what it started', async () => {
    runner.holdLaunches = true;
    const instanceId = (await run()).InstanceId as string;
    await until(() => runner.launchGates.has(instanceId), 'the launch');
    const out = await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    expect(out.TerminatingInstances?.[0]?.PreviousState?.Name).toBe('pending');
    expect((await describe1(instanceId)).State?.Name).toBe('shutting-down');

    runner.launchGates.get(instanceId)?.resolve();
    await untilState(instanceId, 'terminated');
    expect(runner.stopped).toEqual([instanceId]);
  });

  it('adds tags with CreateTags', async () => {
    const instanceId = (await run()).InstanceId as string;
    await client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'Name', Value: 'node a&b <1>' }] }));
    expect(tagsOf(await describe1(instanceId))).toEqual({ [RESOURCE_TAG]: 'res-1', Name: 'node a&b <1>' });
  });

  it('refuses an access key other than the accepted one with AuthFailure (401)', async () => {
    const stranger = clientFor(emulator.url, 'AKIASOMEONEELSE00001');
    try {
      const error = await rejection(stranger.send(new DescribeInstancesCommand({})));
      expect(error.name).toBe('AuthFailure');
      expect(error.$metadata.httpStatusCode).toBe(401);
      const runError = await rejection(stranger.send(new RunInstancesCommand(runInput())));
      expect(runError.name).toBe('AuthFailure');
    } finally {
      stranger.destroy();
    }
    expect(runner.launches).toHaveLength(0);
    expect(emulator.instances()).toHaveLength(0);
  });

  it('answers InvalidInstanceID.NotFound for an unknown id', async () => {
    const unknown = 'i-0123456789abcdef0';
    const described = await rejection(client.send(new DescribeInstancesCommand({ InstanceIds: [unknown] })));
    expect(described.name).toBe('InvalidInstanceID.NotFound');
    expect(described.message).toBe(`The instance ID '${unknown}' does not exist`);
    expect(described.$metadata.httpStatusCode).toBe(400);
    const terminated = await rejection(client.send(new TerminateInstancesCommand({ InstanceIds: [unknown] })));
    expect(terminated.name).toBe('InvalidInstanceID.NotFound');
    const malformed = await rejection(client.send(new DescribeInstancesCommand({ InstanceIds: ['not-an-id'] })));
    expect(malformed.name).toBe('InvalidInstanceID.Malformed');
  });

  it('terminates an instance whose launch throws, with a StateReason that does not leak the user data', async () => {
    runner.failLaunch = (instance) => new Error(`agent refused user data: ${instance.userData}`);
    const instanceId = (await run()).InstanceId as string;
    const terminated = await untilState(instanceId, 'terminated');
    expect(terminated.StateReason?.Code).toBe('Server.InternalError');
    expect(terminated.StateReason?.Message).toContain('agent refused user data');
    expect(terminated.StateReason?.Message).not.toContain('s3cr3t');
    expect(runner.stopped).toEqual([]);
  });

  it('answers DryRunOperation (412) without launching, and InvalidAction for an unknown action', async () => {
    const dry = await rejection(client.send(new RunInstancesCommand(runInput({ DryRun: true }))));
    expect(dry.name).toBe('DryRunOperation');
    expect(dry.$metadata.httpStatusCode).toBe(412);
    expect(emulator.instances()).toHaveLength(0);

    // The SDK cannot send an unknown action; the emulator does not verify signatures, so a bare scope will do.
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${DEMO_KEY}/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body: 'Action=LaunchRockets&Version=2016-11-15',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('<Code>InvalidAction</Code>');
    expect(text).toMatch(/<RequestID>[0-9a-f-]{36}<\/RequestID>/);
    expect(emulator.stats.requests).toBe(2);
  });

  it('relaunches pending and running instances with restarted: true on restart, and finishes interrupted shutdowns', async () => {
    const running = (await run({ ClientToken: 'keep-me' })).InstanceId as string;
    await untilState(running, 'running');
    const gone = (await run()).InstanceId as string;
    await untilState(gone, 'running');
    await client.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    await untilState(gone, 'terminated');
    // A stop that fails leaves its instance shutting-down, as an agent that will not die would.
    const stuck = (await run()).InstanceId as string;
    await untilState(stuck, 'running');
    runner.failStopFor.add(stuck);
    await client.send(new TerminateInstancesCommand({ InstanceIds: [stuck] }));
    await until(() => emulator.instances().find((i) => i.instanceId === stuck)?.state === 'shutting-down', 'shutting-down');

    const files = await readdir(dataDir);
    expect(files).toEqual(['ec2.json']);
    expect((await stat(join(dataDir, 'ec2.json'))).mode & 0o777).toBe(0o600);

    const first = runner;
    const next = new FakeRunner();
    next.holdLaunches = true;
    await restart(next);
    // Closing the emulator stopped the agents it ran, without recording them as stopped.
    expect(first.stopped).toEqual([gone, running]);

    expect((await describe1(stuck)).State?.Name).toBe('terminated');
    expect((await describe1(gone)).State?.Name).toBe('terminated');
    await until(() => next.launchGates.has(running), 'the relaunch');
    expect(next.launches).toEqual([{ instanceId: running, userData: USER_DATA, tags: { [RESOURCE_TAG]: 'res-1' }, restarted: true }]);
    // Like an EC2 host reboot: the instance keeps its id, address and running state while its agent comes back.
    const during = await describe1(running);
    expect(during.State?.Name).toBe('running');
    next.launchGates.get(running)?.resolve();
    const after = await untilState(running, 'running');
    expect(after.ClientToken).toBe('keep-me');
    expect(after.PrivateIpAddress).toBe(during.PrivateIpAddress);

    // The token still names the same instance after the restart.
    const retry = await client.send(new RunInstancesCommand(runInput({ ClientToken: 'keep-me' })));
    expect(retry.Instances?.[0]?.InstanceId).toBe(running);
    expect(next.launches).toHaveLength(1);
  });

  it('relaunches an instance that was still pending (booting) when the emulator closed', async () => {
    client.destroy();
    await emulator.close();
    // A boot delay longer than the test: close() interrupts it before the runner is ever called.
    emulator = await startEc2({ dataDir, acceptedKeys: [{ accessKeyId: DEMO_KEY }], runner, port: 0, bootDelayMs: 600_000 });
    client = clientFor(emulator.url);
    const instanceId = (await run()).InstanceId as string;
    expect((await describe1(instanceId)).State?.Name).toBe('pending');
    await restart(new FakeRunner());

    const running = await untilState(instanceId, 'running');
    expect(running.InstanceId).toBe(instanceId);
    expect(runner.launches).toEqual([expect.objectContaining({ instanceId, restarted: true })]);
  });
});
