import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeInstancesCommand, type EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { startEc2 } from '../../local/ec2/service.ts';
import {
  clientFor,
  DEMO_KEY,
  type Emulator,
  FakeRunner,
  RESOURCE_TAG,
  rejection,
  runInput,
  until,
  USER_DATA,
  useEc2Emulator,
} from '../support/ec2-emulator.ts';

// What the emulator refuses, launches that fail, and restarts of the emulator over its data dir.

// The restart tests close the emulator and start another themselves: this file keeps its own variables.
let dataDir: string;
let runner: FakeRunner;
let emulator: Emulator;
let client: EC2Client;
const { run, describe1, untilState, restart } = useEc2Emulator({
  get: () => ({ dataDir, runner, emulator, client }),
  set: (world) => {
    ({ dataDir, runner, emulator, client } = world);
  },
});

describe('local EC2 emulator', () => {
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
