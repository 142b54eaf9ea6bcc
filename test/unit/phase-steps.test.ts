import { afterAll, describe, expect, it } from 'vitest';
import { errorInfo, markFailed } from '../../functions/core/phase-steps/failure.ts';
import { applySubstrate, awaitEnrolment, checkSubstrate, markReady } from '../../functions/core/phase-steps/provision.ts';
import { drainNode, terminateSubstrate } from '../../functions/core/phase-steps/teardown.ts';
import type { EnrolledNode, Phase, Resource } from '../../functions/core/resources.ts';
import { PROJECT_TAG, RESOURCE_TAG, SubstrateRejectedError, TransientError } from '../../functions/core/substrate.ts';
import { parseCloudInit } from '../../functions/core/user-data.ts';
import { DEMO_KEYS, FAKE_CONFIG, type FakeStepEnv, fakeMinter, fakeStepPorts, PROJECT, STORE_KINDS, seedResource as seed } from '../support/phase-fakes.ts';
import { stopTableResources } from '../support/table-resources.ts';

// Each Task state's step over in-memory ports, with the Resources in memory and in the DynamoDB
// store: what it writes, when it waits, when it fails, and that a step of a run that is no longer
// the Resource's current one writes nothing.

const ARC: Phase[] = ['Pending', 'Provisioning', 'Enrolling', 'Ready'];

type Env = FakeStepEnv;

afterAll(stopTableResources);

const phases = (r: Resource) => r.provisioning?.transitions.map((t) => t.phase);
const input = (r: Resource, generation = r.provisioning?.generation ?? 1) => ({ resource_id: r.id, generation });

/**
 * What the reconciler does to a run it finds idle: the next generation, in the same phase. Only the
 * generation then fences the old run's writes (a delete also moves the phase).
 */
function resume(env: Env, r: Resource) {
  const p = r.provisioning as NonNullable<Resource['provisioning']>;
  return env.resources.startRun(r.id, { expectedGeneration: p.generation, run: p.run, phase: p.phase, fromPhases: [p.phase], at: env.clock.now().toISOString(), reason: 'Resumed by the reconciler.' });
}


/** A resume (the next generation) lands while applySubstrate mints its token: its next write is refused and nothing is launched. */
async function expectSupersededByResumeWhileMinting(env: Env, r: Resource): Promise<void> {
  env.ports.minter = {
    mint: async (args) => {
      await resume(env, r);
      return fakeMinter.mint(args);
    },
  };
  const refusedBefore = env.resources.refused;
  expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'superseded' });
  expect(env.resources.refused).toBe(refusedBefore + 1);
  expect(env.substrate.calls).toEqual([]);
}
describe.each(STORE_KINDS)('applySubstrate (Pending → Provisioning) (%s store)', (kind) => {
  it('binds a bootstrap token, launches one tagged machine with the pinned credential, and moves to Provisioning with a deadline', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending');
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });

    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Provisioning']);
    const [machine] = env.substrate.machines;
    expect(env.substrate.machines).toHaveLength(1);
    expect(machine?.clientToken).toBe(r.provisioning?.provisioned_resource_id);
    expect(machine?.tags).toMatchObject({ [RESOURCE_TAG]: r.id, [PROJECT_TAG]: PROJECT });
    expect(env.substrate.calls[0]?.target).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://ec2.fake',
      credentials: { accessKeyId: DEMO_KEYS.access_key_id, secretAccessKey: DEMO_KEYS.secret_access_key },
    });
    // The user data carries the token bound (by hash) to the Resource, and where to redeem it.
    const boot = parseCloudInit(machine?.userData ?? '');
    expect(boot).toMatchObject({ apiUrl: FAKE_CONFIG.apiUrl, projectId: PROJECT, resourceHandle: r.id });
    expect(after.bootstrap?.hash).toBe(`hash(${boot.bootstrapToken})`);
    expect(Date.parse(after.bootstrap?.expires_at ?? '') - env.clock.now().getTime()).toBe(FAKE_CONFIG.tokenTtlSeconds * 1000);
    expect(after.provisioning).toMatchObject({
      waiting_on: 'substrate-running',
      deadline: new Date(env.clock.now().getTime() + FAKE_CONFIG.substrateTimeoutSeconds * 1000).toISOString(),
      substrate: { instance_id: machine?.instanceId, client_token: r.provisioning?.provisioned_resource_id, region: 'eu-west-1' },
    });
  });

  it('is idempotent: a retry after a crash between launch and phase write gets the same machine and user data', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending');
    const write = env.resources.changePhase.bind(env.resources);
    env.resources.changePhase = async () => {
      env.resources.changePhase = write;
      throw new TransientError('store_unavailable', 'the phase write did not answer');
    };
    await expect(applySubstrate(env.ports, input(r))).rejects.toBeInstanceOf(TransientError);
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Pending');

    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect(env.substrate.machines).toHaveLength(1);
    const launches = env.substrate.calls.filter((c) => c.op === 'launch');
    expect(launches).toHaveLength(2);
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Provisioning');
    // A retry once the phase moved launches nothing more.
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect(env.substrate.calls.filter((c) => c.op === 'launch')).toHaveLength(2);
  });

  it('throws a transient error for the Retry and a rejection for the Catch, moving nothing either way', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending');
    env.substrate.failures.push(new TransientError('substrate_unavailable', 'throttled'));
    await expect(applySubstrate(env.ports, input(r))).rejects.toMatchObject({ name: 'TransientError' });
    env.substrate.failures.push(new SubstrateRejectedError('substrate_authfailure', 'The cloud refused: AuthFailure'));
    await expect(applySubstrate(env.ports, input(r))).rejects.toMatchObject({ name: 'SubstrateRejectedError' });
    expect(phases(await env.resources.at(r.id))).toEqual(['Pending']);
    expect(env.substrate.machines).toEqual([]);
  });

  it('does nothing for a superseded run (an older generation)', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending', { generation: 2 });
    expect(await applySubstrate(env.ports, input(r, 1))).toEqual({ status: 'superseded' });
    expect(env.substrate.calls).toEqual([]);
    expect(await env.resources.at(r.id)).toEqual(r);
  });

  it('is fenced by a delete that lands while RunInstances is in flight: the phase write is refused', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending');
    env.substrate.during.launch = async () => {
      await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deregistering', fromPhases: ['Pending'], at: env.clock.now().toISOString(), reason: 'delete' });
    };
    const refusedBefore = env.resources.refused;
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'superseded' });
    const after = await env.resources.at(r.id);
    expect(env.resources.refused).toBe(refusedBefore + 1);
    expect(phases(after)).toEqual(['Pending', 'Deregistering']);
    expect(after.provisioning?.generation).toBe(2);
    // Only the launch intent, recorded before RunInstances: the phase write with the instance was refused.
    expect(after.provisioning?.substrate).toEqual({
      provider: 'aws',
      region: 'eu-west-1',
      client_token: r.provisioning?.provisioned_resource_id,
      launch_requested_at: env.clock.now().toISOString(),
    });
    // The machine exists, tagged: the teardown finds it by the Resource id.
    expect(env.substrate.machines.map((m) => m.tags[RESOURCE_TAG])).toEqual([r.id]);
  });

  it('binds no token and launches nothing when a resume lands while the token is minted', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Pending');
    await expectSupersededByResumeWhileMinting(env, r);
    const after = await env.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Pending', generation: 2 });
    expect(after.bootstrap).toBeUndefined();
  });

  it('records no launch intent and launches nothing when a resume lands after the token was bound', async () => {
    const env = await fakeStepPorts(kind);
    const seeded = await seed(env, 'Pending');
    const at = env.clock.now().toISOString();
    const r = await env.resources.put({ ...seeded, bootstrap: { hash: 'h', issued_at: at, expires_at: at } });
    await expectSupersededByResumeWhileMinting(env, r);
    const after = await env.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Pending', generation: 2 });
    expect(after.provisioning?.substrate).toBeUndefined();
  });
});

describe.each(STORE_KINDS)('checkSubstrate (Provisioning → Enrolling) (%s store)', (kind) => {
  async function launched(env: Env) {
    const r = await seed(env, 'Pending');
    await applySubstrate(env.ports, input(r));
    return { r, instanceId: env.substrate.machines[0]?.instanceId as string };
  }

  it('waits while the machine is pending, then moves to Enrolling once it runs', async () => {
    const env = await fakeStepPorts(kind);
    const { r, instanceId } = await launched(env);
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'waiting', waiting_on: 'substrate-running' });
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Provisioning');
    env.substrate.set(instanceId, 'running');
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Provisioning', 'Enrolling']);
    expect(after.provisioning).toMatchObject({ waiting_on: 'node-enrolment', substrate: { instance_id: instanceId, instance_state: 'running' } });
    expect(after.provisioning?.deadline).toBeUndefined();
  });

  it('fails a machine that died, saying how', async () => {
    const env = await fakeStepPorts(kind);
    const { r, instanceId } = await launched(env);
    env.substrate.set(instanceId, 'terminated', 'Server.InternalError: launch failed');
    expect(await checkSubstrate(env.ports, input(r))).toEqual({
      status: 'failed',
      error: { code: 'substrate_lost', message: 'The instance is terminated (Server.InternalError: launch failed).' },
    });
  });

  it('fails at the deadline, not before', async () => {
    const env = await fakeStepPorts(kind);
    const { r } = await launched(env);
    env.clock.advance(FAKE_CONFIG.substrateTimeoutSeconds - 1);
    expect((await checkSubstrate(env.ports, input(r))).status).toBe('waiting');
    env.clock.advance(1);
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'failed', error: { code: 'substrate_timeout', message: 'The instance was still pending at the deadline.' } });
  });

  it('keeps the deadline of a run the reconciler resumed (the resume drops the stored one)', async () => {
    const env = await fakeStepPorts(kind);
    const { r } = await launched(env);
    const resumed = await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'provision', phase: 'Provisioning', fromPhases: ['Provisioning'], at: env.clock.now().toISOString(), reason: 'resumed' });
    expect(resumed?.provisioning?.deadline).toBeUndefined();
    env.clock.advance(FAKE_CONFIG.substrateTimeoutSeconds - 1);
    expect((await checkSubstrate(env.ports, input(r, 2))).status).toBe('waiting');
    env.clock.advance(1);
    expect(await checkSubstrate(env.ports, input(r, 2))).toMatchObject({ status: 'failed', error: { code: 'substrate_timeout' } });
  });

  it('waits for a machine the cloud does not list yet (DescribeInstances lags RunInstances), until the deadline', async () => {
    const env = await fakeStepPorts(kind);
    const { r } = await launched(env);
    const listed = env.substrate.machines.splice(0);
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'waiting', waiting_on: 'substrate-running' });
    env.clock.advance(FAKE_CONFIG.substrateTimeoutSeconds);
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'failed', error: { code: 'substrate_lost', message: expect.stringMatching(/never appeared/) } });
    expect(listed).toHaveLength(1);
  });

  it('lets a transient error through for the Retry', async () => {
    const env = await fakeStepPorts(kind);
    const { r } = await launched(env);
    env.substrate.failures.push(new TransientError('substrate_unavailable', 'throttled'));
    await expect(checkSubstrate(env.ports, input(r))).rejects.toBeInstanceOf(TransientError);
    expect((await env.resources.at(r.id)).provisioning?.phase).toBe('Provisioning');
  });

  it('is superseded by a delete, before or during the check', async () => {
    const env = await fakeStepPorts(kind);
    const { r, instanceId } = await launched(env);
    env.substrate.set(instanceId, 'running');
    expect(await checkSubstrate(env.ports, input(r, 0))).toEqual({ status: 'superseded' });
    env.substrate.during.find = async () => {
      await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deregistering', fromPhases: ['Provisioning'], at: env.clock.now().toISOString(), reason: 'delete' });
    };
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'superseded' });
    expect(phases(await env.resources.at(r.id))).toEqual(['Pending', 'Provisioning', 'Deregistering']);
  });

  it('is superseded by a resume that lands during the check: the old run cannot move the new one', async () => {
    const env = await fakeStepPorts(kind);
    const { r, instanceId } = await launched(env);
    env.substrate.set(instanceId, 'running');
    env.substrate.during.find = async () => {
      await resume(env, await env.resources.at(r.id));
    };
    const refusedBefore = env.resources.refused;
    expect(await checkSubstrate(env.ports, input(r))).toEqual({ status: 'superseded' });
    expect(env.resources.refused).toBe(refusedBefore + 1);
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Provisioning']);
    expect(after.provisioning).toMatchObject({ phase: 'Provisioning', generation: 2, reason: 'Resumed by the reconciler.' });
  });
});

describe.each(STORE_KINDS)('awaitEnrolment (Enrolling) (%s store)', (kind) => {
  it('stores the task token and waits while the node has not heartbeated', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: undefined } });
    expect(await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-1' })).toEqual({ status: 'waiting', waiting_on: 'node-enrolment' });
    expect((await env.resources.at(r.id)).provisioning?.enrol_task_token).toBe('tt-1');
    expect(env.callbacks.succeeded).toEqual([]);
  });

  it('completes the wait at once for a node that enrolled before Enrolling began', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: at, last_heartbeat_at: at } });
    await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-2' });
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-2', output: { status: 'done' } }]);
  });

  it('does not count a revoked node as enrolled', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: at, revoked_at: at } });
    await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-3' });
    expect(env.callbacks.succeeded).toEqual([]);
  });

  it('closes the wait of a superseded run instead of leaving it open, and stores nothing', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { generation: 3 });
    expect(await awaitEnrolment(env.ports, { ...input(r, 2), task_token: 'tt-old' })).toEqual({ status: 'superseded' });
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-old', output: { status: 'superseded' } }]);
    expect((await env.resources.at(r.id)).provisioning?.enrol_task_token).toBeUndefined();
  });

  it('stores nothing for a run resumed between its read and its write, and closes its wait', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling');
    const get = env.resources.get.bind(env.resources);
    env.resources.get = async (id) => {
      const read = await get(id);
      env.resources.get = get;
      await resume(env, r);
      return read;
    };
    const refusedBefore = env.resources.refused;
    expect(await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-old' })).toEqual({ status: 'superseded' });
    expect(env.resources.refused).toBe(refusedBefore + 1);
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-old', output: { status: 'superseded' } }]);
    const after = await env.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Enrolling', generation: 2 });
    expect(after.provisioning?.enrol_task_token).toBeUndefined();
  });
});

describe.each(STORE_KINDS)('markReady (Enrolling → Ready) (%s store)', (kind) => {
  it('moves to Ready saying which node, and clears the wait', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: { mesh_ip: '100.64.0.9' } });
    await env.resources.annotate(r.id, 1, { enrol_task_token: 'tt', waiting_on: 'node-enrolment' }, env.clock.now().toISOString());
    expect(await markReady(env.ports, input(r))).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(ARC);
    expect(after.provisioning?.reason).toBe(`Node ${r.node?.node_id} registered at 100.64.0.9 and is heartbeating.`);
    expect(after.provisioning?.enrol_task_token).toBeUndefined();
    expect(after.provisioning?.waiting_on).toBeUndefined();
  });

  it('refuses the write of an old generation (superseded)', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { generation: 2, node: {} });
    expect(await markReady(env.ports, input(r, 1))).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(r);
  });

  it('is superseded when the write itself is refused (a delete between the read and the write)', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: {} });
    const get = env.resources.get.bind(env.resources);
    env.resources.get = async (id) => {
      const read = await get(id);
      await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deregistering', fromPhases: ['Enrolling'], at: env.clock.now().toISOString(), reason: 'delete' });
      return read;
    };
    expect(await markReady(env.ports, input(r))).toEqual({ status: 'superseded' });
    expect(phases(await env.resources.at(r.id))).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Deregistering']);
  });
});

describe.each(STORE_KINDS)('markFailed (→ Failed) (%s store)', (kind) => {
  it('records the error a step returned, with the phase it failed in', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Provisioning');
    const error = { code: 'substrate_lost', message: 'The instance is terminated.' };
    expect(await markFailed(env.ports, { ...input(r), error })).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Provisioning', 'Failed']);
    expect(after.provisioning).toMatchObject({ last_error: error, reason: 'Provisioning failed in Provisioning: The instance is terminated.' });
  });

  it('turns the enrolment wait timing out into enrolment_timeout', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling');
    await markFailed(env.ports, { ...input(r), cause: { Error: 'States.Timeout', Cause: 'Task timed out.' } });
    expect((await env.resources.at(r.id)).provisioning?.last_error).toEqual({ code: 'enrolment_timeout', message: 'The node did not register and heartbeat before the deadline.' });
  });

  it('reads a Lambda error cause (JSON) and a plain one', () => {
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: JSON.stringify({ errorType: 'SubstrateRejectedError', errorMessage: 'The cloud refused: AuthFailure' }) })).toEqual({
      code: 'SubstrateRejectedError',
      message: 'The cloud refused: AuthFailure',
    });
    expect(errorInfo({ Error: 'TransientError', Cause: 'throttled' })).toEqual({ code: 'TransientError', message: 'throttled' });
    // The step handler puts a broker error's code before its message; it comes back out as the code.
    const coded = { errorType: 'SubstrateRejectedError', errorMessage: 'substrate_authfailure: The cloud refused: AuthFailure' };
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: JSON.stringify(coded) })).toEqual({ code: 'substrate_authfailure', message: 'The cloud refused: AuthFailure' });
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: coded.errorMessage })).toEqual({ code: 'substrate_authfailure', message: 'The cloud refused: AuthFailure' });
    expect(errorInfo(undefined)).toEqual({ code: 'unknown_error', message: 'The step failed without saying why.' });
  });

  it('says a teardown failed when it failed in a teardown phase', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deprovisioning');
    await markFailed(env.ports, { ...input(r), error: { code: 'terminate_timeout', message: 'Still not terminated.' } });
    expect((await env.resources.at(r.id)).provisioning?.reason).toBe('Teardown failed in Deprovisioning: Still not terminated.');
  });

  it('refuses the write of an old generation: a late failure of the provision run cannot fail a teardown', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deregistering', { generation: 2 });
    expect(await markFailed(env.ports, { ...input(r, 1), error: { code: 'substrate_timeout', message: 'late' } })).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(r);
  });
});

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
