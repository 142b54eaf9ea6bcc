import { CreateTagsCommand, DescribeInstancesCommand, type Instance, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { client, emulator, RESOURCE_TAG, rejection, runInput, runner, until, USER_DATA, useEc2Emulator } from '../support/ec2-emulator.ts';

// Running, describing, filtering, tagging and terminating instances.

const { run, describe1, untilState } = useEc2Emulator();

function tagsOf(instance: Instance): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

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

});
