import { afterAll, describe, expect, it } from 'vitest';
import { applySubstrate, checkSubstrate } from '../../functions/core/phase-steps/provision.ts';
import type { Resource } from '../../functions/core/resources.ts';
import { PROJECT_TAG, RESOURCE_TAG, SubstrateRejectedError, TransientError } from '../../functions/core/substrate.ts';
import { parseCloudInit } from '../../functions/core/user-data.ts';
import { DEMO_KEYS, FAKE_CONFIG, fakeMinter, fakeStepPorts, PROJECT, STORE_KINDS, seedResource as seed } from '../support/phase-fakes.ts';
import { type Env, input, phases, resume } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// The provision run's substrate steps: applySubstrate launches the machine, checkSubstrate waits for it to run.

afterAll(stopTableResources);

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
      endpoint: 'https://ec2.fake',
      secretRef: { arn: env.secretArn, versionId: 'v1' },
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
    env.substrate.failures.push(new SubstrateRejectedError('substrate_auth_failed', "The cloud did not accept the credential's keys."));
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

  it("fails a machine that died, saying how in our words, not the cloud's", async () => {
    const env = await fakeStepPorts(kind);
    const { r, instanceId } = await launched(env);
    env.substrate.set(instanceId, 'terminated', 'Server.InternalError: launch failed');
    expect(await checkSubstrate(env.ports, input(r))).toEqual({
      status: 'failed',
      error: { code: 'substrate_lost', message: 'The instance is terminated.' },
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
