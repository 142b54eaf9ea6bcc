import { afterAll, describe, expect, it } from 'vitest';
import { drainNode, terminateSubstrate } from '../../functions/core/phase-steps/teardown.ts';
import type { EnrolledNode } from '../../functions/core/resources.ts';
import { RESOURCE_TAG, TransientError } from '../../functions/core/substrate.ts';
import { DEMO_KEYS, FAKE_CONFIG, fakeStepPorts, STORE_KINDS, seedResource as seed } from '../support/phase-fakes.ts';
import { type Env, input, phases, resume } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// The teardown run's steps: drainNode revokes the node and waits for it to go, terminateSubstrate ends its machines.

afterAll(stopTableResources);

describe.each(STORE_KINDS)('drainNode (Deregistering → Deprovisioning) (%s store)', (kind) => {
  const GRACE_S = 2 * FAKE_CONFIG.heartbeatIntervalSeconds;

  it('revokes the NSK and the token, then waits while the node still heartbeats', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Deregistering', { node: { first_heartbeat_at: at, last_heartbeat_at: at } });
    await env.resources.put({ ...r, bootstrap: { hash: 'h', issued_at: at, expires_at: at } });
    env.clock.advance(GRACE_S - 1);
    expect(await drainNode(env.ports, input(r))).toEqual({ status: 'waiting', waiting_on: 'node-drain' });
    const after = await env.resources.at(r.id);
    expect(after.node?.revoked_at).toBe(env.clock.now().toISOString());
    expect(after.bootstrap?.revoked_at).toBe(env.clock.now().toISOString());
    expect(after.provisioning).toMatchObject({ phase: 'Deregistering', waiting_on: 'node-drain' });
  });

  it('moves on once the node was refused', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Deregistering', { node: { first_heartbeat_at: at, last_heartbeat_at: at, refused_at: at } });
    expect(await drainNode(env.ports, input(r))).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)?.slice(-2)).toEqual(['Deregistering', 'Deprovisioning']);
    expect(after.provisioning).toMatchObject({
      waiting_on: 'substrate-termination',
      deadline: new Date(env.clock.now().getTime() + FAKE_CONFIG.terminateTimeoutSeconds * 1000).toISOString(),
    });
  });

  it('does not let a dead node block: silent for the grace period counts as gone', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Deregistering', { node: { first_heartbeat_at: at, last_heartbeat_at: at } });
    env.clock.advance(GRACE_S);
    expect(await drainNode(env.ports, input(r))).toEqual({ status: 'done' });
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Deprovisioning');
  });

  it('moves on at once when no node ever enrolled', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deregistering', { node: false });
    expect(await drainNode(env.ports, input(r))).toEqual({ status: 'done' });
    expect((await env.resources.at(r.id)).provisioning?.reason).toBe('No node was enrolled; terminating the substrate.');
  });

  it('fails a node still heartbeating at the drain deadline', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deregistering', { node: {} });
    env.clock.advance(FAKE_CONFIG.drainTimeoutSeconds);
    // Its heartbeats keep coming (a node that ignores its refusal cannot be told apart from a live one).
    const live = await env.resources.at(r.id);
    await env.resources.put({ ...live, node: { ...(live.node as EnrolledNode), last_heartbeat_at: env.clock.now().toISOString() } });
    expect(await drainNode(env.ports, input(r))).toEqual({ status: 'failed', error: { code: 'drain_timeout', message: 'The node was still heartbeating at the deadline.' } });
  });

  it('revokes nothing for a superseded run', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deregistering', { generation: 3, node: {} });
    expect(await drainNode(env.ports, input(r, 2))).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(r);
  });
});

describe.each(STORE_KINDS)('terminateSubstrate (Deprovisioning → Deleted) (%s store)', (kind) => {
  async function deprovisioning(env: Env, machines: number) {
    const deadline = new Date(env.clock.now().getTime() + FAKE_CONFIG.terminateTimeoutSeconds * 1000).toISOString();
    const r = await seed(env, 'Deprovisioning', { deadline });
    // Two launches: the provision run's, and one still in flight when the delete came.
    for (let i = 0; i < machines; i++) await env.substrate.launch({ region: 'x', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { clientToken: `ct-${i}`, imageId: 'ami', instanceType: 't3.micro', userData: '', tags: { [RESOURCE_TAG]: r.id } });
    env.substrate.calls.length = 0;
    return r;
  }

  it('terminates every machine tagged with the Resource with the pinned credential, then moves to Deleted once they are gone', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 2);
    expect(await terminateSubstrate(env.ports, input(r))).toEqual({ status: 'waiting', waiting_on: 'substrate-termination' });
    const terminate = env.substrate.calls.find((c) => c.op === 'terminate');
    expect(terminate?.ids).toEqual(env.substrate.machines.map((m) => m.instanceId));
    expect(terminate?.target.credentials.accessKeyId).toBe(DEMO_KEYS.access_key_id);
    // Shutting down: not asked again.
    expect((await terminateSubstrate(env.ports, input(r))).status).toBe('waiting');
    expect(env.substrate.calls.filter((c) => c.op === 'terminate')).toHaveLength(1);

    for (const m of env.substrate.machines) env.substrate.set(m.instanceId, 'terminated');
    expect(await terminateSubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)?.slice(-2)).toEqual(['Deprovisioning', 'Deleted']);
    expect(after.provisioning?.reason).toMatch(/terminated\)\.$/);
  });

  it('moves to Deleted at once when nothing was launched', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 0);
    expect(await terminateSubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect((await env.resources.at(r.id)).provisioning?.reason).toBe('Nothing was running; the resource is gone.');
  });

  it('fails at the deadline with what is still up', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 1);
    await terminateSubstrate(env.ports, input(r));
    env.clock.advance(FAKE_CONFIG.terminateTimeoutSeconds);
    expect(await terminateSubstrate(env.ports, input(r))).toEqual({
      status: 'failed',
      error: { code: 'terminate_timeout', message: `Still not terminated at the deadline: ${env.substrate.machines[0]?.instanceId} shutting-down.` },
    });
  });

  it('keeps the deadline of a teardown the reconciler resumed', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 1);
    await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deprovisioning', fromPhases: ['Deprovisioning'], at: env.clock.now().toISOString(), reason: 'resumed' });
    await terminateSubstrate(env.ports, input(r, 2));
    env.clock.advance(FAKE_CONFIG.terminateTimeoutSeconds);
    expect(await terminateSubstrate(env.ports, input(r, 2))).toMatchObject({ status: 'failed', error: { code: 'terminate_timeout' } });
  });

  it('lets a transient error through and terminates nothing for a superseded run', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 1);
    env.substrate.failures.push(new TransientError('substrate_unavailable', 'throttled'));
    await expect(terminateSubstrate(env.ports, input(r))).rejects.toBeInstanceOf(TransientError);
    expect(await terminateSubstrate(env.ports, input(r, 0))).toEqual({ status: 'superseded' });
    expect(env.substrate.calls.filter((c) => c.op === 'terminate')).toEqual([]);
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Deprovisioning');
  });

  it('is superseded by a resume that lands while it looks: its Deleted write is refused', async () => {
    const env = await fakeStepPorts(kind);
    const r = await deprovisioning(env, 0);
    env.substrate.during.find = async () => {
      await resume(env, r);
    };
    const refusedBefore = env.resources.refused;
    expect(await terminateSubstrate(env.ports, input(r))).toEqual({ status: 'superseded' });
    expect(env.resources.refused).toBe(refusedBefore + 1);
    expect((await env.resources.at(r.id)).provisioning).toMatchObject({ phase: 'Deprovisioning', generation: 2, reason: 'Resumed by the reconciler.' });
  });
});
