import { afterAll, describe, expect, it } from 'vitest';
import { LAUNCH_GRACE_SECONDS, type StepOutcome } from '../../functions/core/phase-steps/config.ts';
import { applySubstrate } from '../../functions/core/phase-steps/provision.ts';
import { drainNode, terminateSubstrate } from '../../functions/core/phase-steps/teardown.ts';
import type { Phase, Resource } from '../../functions/core/resources.ts';
import { RESOURCE_TAG } from '../../functions/core/substrate.ts';
import { FAKE_CONFIG, type FakeStepEnv, fakeMinter, fakeStepPorts, STORE_KINDS, type StoreKind, seedResource as seed } from '../support/phase-fakes.ts';
import { input, phases } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// A delete that lands while RunInstances is in flight. Stopping the provision execution does not
// stop the step's Lambda: its launch may create the machine after the teardown looked for it.
// The launch intent recorded before the call makes the teardown keep looking until that launch
// must have settled, so the late machine is found and terminated, not left running unrecorded.

const GRACE_S = 60;
const POLL_S = 5;
const ALL_BUT_DELETED: Phase[] = ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Failed'];

afterAll(stopTableResources);

async function env(kind: StoreKind): Promise<FakeStepEnv> {
  const e = await fakeStepPorts(kind);
  e.ports.config.launchGraceSeconds = GRACE_S;
  return e;
}

/** What the delete handler does: bumps the generation and starts the teardown arc. */
async function deleteLands(e: FakeStepEnv, r: Resource): Promise<number> {
  const started = await e.resources.startRun(r.id, {
    expectedGeneration: (await e.resources.at(r.id)).provisioning?.generation ?? 0,
    run: 'teardown',
    phase: 'Deregistering',
    fromPhases: ALL_BUT_DELETED,
    at: e.clock.now().toISOString(),
    reason: 'Delete requested.',
  });
  if (!started?.provisioning) throw new Error('the delete was refused');
  return started.provisioning.generation;
}

/** The teardown arc as its ASL runs it: DrainNode until done, then TerminateSubstrate, a poll apart, until it is not waiting. */
async function runTeardown(e: FakeStepEnv, r: Resource, generation: number, maxPolls = 100): Promise<{ outcome: StepOutcome; polls: number }> {
  let polls = 0;
  let outcome = await drainNode(e.ports, input(r, generation));
  while (outcome.status === 'waiting' && polls++ < maxPolls) {
    e.clock.advance(POLL_S);
    outcome = await drainNode(e.ports, input(r, generation));
  }
  if (outcome.status !== 'done') return { outcome, polls };
  outcome = await terminateSubstrate(e.ports, input(r, generation));
  while (outcome.status === 'waiting' && polls++ < maxPolls) {
    e.clock.advance(POLL_S);
    outcome = await terminateSubstrate(e.ports, input(r, generation));
  }
  return { outcome, polls };
}

/** Holds the next RunInstances before EC2 acts, until `go()` is called. */
function holdLaunch(e: FakeStepEnv): { held: Promise<void>; go: () => void } {
  let go: () => void = () => undefined;
  let arrived: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  e.substrate.before.launch = () =>
    new Promise<void>((resolve) => {
      go = resolve;
      arrived();
    });
  return { held, go: () => go() };
}

describe.each(STORE_KINDS)('a delete while RunInstances is in flight (%s store)', (kind) => {
  it('records the launch intent on the Resource before RunInstances is sent', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Pending');
    let seen: Resource | undefined;
    e.substrate.before.launch = async () => {
      seen = await e.resources.at(r.id);
    };
    expect(await applySubstrate(e.ports, input(r))).toEqual({ status: 'done' });
    expect(seen?.provisioning).toMatchObject({
      phase: 'Pending',
      generation: 1,
      substrate: { provider: 'aws', client_token: r.provisioning?.provisioned_resource_id, launch_requested_at: e.clock.now().toISOString() },
    });
    expect(seen?.provisioning?.substrate?.instance_id).toBeUndefined();
    // The phase write keeps the intent beside the instance.
    expect((await e.resources.at(r.id)).provisioning?.substrate).toMatchObject({ launch_requested_at: e.clock.now().toISOString(), instance_id: e.substrate.machines[0]?.instanceId });
  });

  it('launches nothing when the delete landed before the intent write', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Pending');
    const at = e.clock.now().toISOString();
    await e.resources.put({ ...(await e.resources.at(r.id)), bootstrap: { hash: 'h', issued_at: at, expires_at: at } });
    // The delete lands after the step read the Resource (while it mints the token), before the intent.
    e.ports.minter = {
      mint: async (args) => {
        await deleteLands(e, r);
        return fakeMinter.mint(args);
      },
    };
    expect(await applySubstrate(e.ports, input(r))).toEqual({ status: 'superseded' });
    expect(e.substrate.calls.filter((c) => c.op === 'launch')).toEqual([]);
    expect((await e.resources.at(r.id)).provisioning?.substrate).toBeUndefined();
    // Nothing to wait for: the teardown ends at once.
    const { outcome, polls } = await runTeardown(e, r, 2);
    expect(outcome).toEqual({ status: 'done' });
    expect(polls).toBe(0);
  });

  it('finds and terminates a machine created after the teardown first looked (the whole teardown ran before EC2 acted)', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Pending');
    const launch = holdLaunch(e);
    const apply = applySubstrate(e.ports, input(r));
    await launch.held;

    // The delete: the provision execution is stopped (its Lambda is not), the teardown runs.
    const generation = await deleteLands(e, r);
    expect(await drainNode(e.ports, input(r, generation))).toEqual({ status: 'done' });
    // No machine is listed yet, but a launch is in flight: the teardown keeps looking.
    expect(await terminateSubstrate(e.ports, input(r, generation))).toEqual({ status: 'waiting', waiting_on: 'substrate-launch' });
    expect((await e.resources.at(r.id)).provisioning).toMatchObject({ phase: 'Deprovisioning', waiting_on: 'substrate-launch', reason: expect.stringMatching(/a launch was requested at/) });
    e.clock.advance(POLL_S);
    expect(await terminateSubstrate(e.ports, input(r, generation))).toEqual({ status: 'waiting', waiting_on: 'substrate-launch' });

    // EC2 acts now; the late step sees it was superseded and writes nothing.
    launch.go();
    expect(await apply).toEqual({ status: 'superseded' });
    expect(e.substrate.machines.map((m) => [m.tags[RESOURCE_TAG], m.state])).toEqual([[r.id, 'pending']]);

    const { outcome } = await runTeardownAfterDrain(e, r, generation, (polls) => {
      if (polls === 2) for (const m of e.substrate.machines) if (m.state === 'shutting-down') e.substrate.set(m.instanceId, 'terminated');
    });
    expect(outcome).toEqual({ status: 'done' });
    expect(e.substrate.calls.find((c) => c.op === 'terminate')?.ids).toEqual([e.substrate.machines[0]?.instanceId]);
    expect(e.substrate.machines.map((m) => m.state)).toEqual(['terminated']);
    const after = await e.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Deregistering', 'Deprovisioning', 'Deleted']);
    expect(after.provisioning?.reason).toMatch(/terminated\)\.$/);
  });

  it('keeps looking through the ASL loop until the late launch lands within the grace period', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Pending');
    const launch = holdLaunch(e);
    const apply = applySubstrate(e.ports, input(r));
    await launch.held;
    const generation = await deleteLands(e, r);
    let landedAt = -1;
    const { outcome } = await runTeardownWithHook(e, r, generation, async (polls) => {
      // EC2 creates the machine a while into the teardown (still inside the grace period).
      if (polls === Math.floor(GRACE_S / POLL_S) - 2) {
        launch.go();
        expect(await apply).toEqual({ status: 'superseded' });
        landedAt = polls;
      }
      for (const m of e.substrate.machines) if (m.state === 'shutting-down') e.substrate.set(m.instanceId, 'terminated');
    });
    expect(landedAt).toBeGreaterThan(0);
    expect(outcome).toEqual({ status: 'done' });
    expect(e.substrate.machines.map((m) => m.state)).toEqual(['terminated']);
    expect((await e.resources.at(r.id)).provisioning?.phase).toBe('Deleted');
  });

  it('terminates a machine whose launch returned after the delete (the step is superseded at its phase write)', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Pending');
    let generation = 0;
    e.substrate.during.launch = async () => {
      generation = await deleteLands(e, r);
    };
    expect(await applySubstrate(e.ports, input(r))).toEqual({ status: 'superseded' });
    expect(await drainNode(e.ports, input(r, generation))).toEqual({ status: 'done' });
    expect(await terminateSubstrate(e.ports, input(r, generation))).toEqual({ status: 'waiting', waiting_on: 'substrate-termination' });
    e.substrate.set(e.substrate.machines[0]?.instanceId as string, 'terminated');
    expect(await terminateSubstrate(e.ports, input(r, generation))).toEqual({ status: 'done' });
    expect((await e.resources.at(r.id)).provisioning?.phase).toBe('Deleted');
  });
});

describe.each(STORE_KINDS)('the launch grace period (%s store)', (kind) => {
  async function deprovisioningWithIntent(e: FakeStepEnv, requestedSecondsAgo: number, opts: { deadlineSeconds?: number } = {}) {
    const deadline = new Date(e.clock.now().getTime() + (opts.deadlineSeconds ?? FAKE_CONFIG.terminateTimeoutSeconds) * 1000).toISOString();
    const r = await seed(e, 'Deprovisioning', { deadline });
    const requested = new Date(e.clock.now().getTime() - requestedSecondsAgo * 1000).toISOString();
    const p = r.provisioning as NonNullable<Resource['provisioning']>;
    return e.resources.put({ ...r, provisioning: { ...p, substrate: { provider: 'aws', region: 'eu-west-1', client_token: p.provisioned_resource_id, launch_requested_at: requested } } });
  }

  it('concludes nothing exists once the grace period after the intent has passed, not before', async () => {
    const e = await env(kind);
    const r = await deprovisioningWithIntent(e, 10);
    e.clock.advance(GRACE_S - 10 - 1);
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'waiting', waiting_on: 'substrate-launch' });
    e.clock.advance(1);
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
    const after = await e.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Deleted', reason: 'Nothing was running; the resource is gone.' });
    expect(after.provisioning?.waiting_on).toBeUndefined();
  });

  it('does not wait for an intent older than the grace period (a launch that failed long ago)', async () => {
    const e = await env(kind);
    const r = await deprovisioningWithIntent(e, GRACE_S);
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
  });

  it('does not wait once a machine of the Resource is listed, even terminated (one client token, one machine)', async () => {
    const e = await env(kind);
    const r = await deprovisioningWithIntent(e, 1);
    await e.substrate.launch({ region: 'x', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { clientToken: 'ct', imageId: 'ami', instanceType: 't3.micro', userData: '', tags: { [RESOURCE_TAG]: r.id } });
    e.substrate.set(e.substrate.machines[0]?.instanceId as string, 'terminated');
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
  });

  it('fails at the teardown deadline if it comes first, saying a launch may still land', async () => {
    const e = await env(kind);
    const r = await deprovisioningWithIntent(e, 0, { deadlineSeconds: GRACE_S / 2 });
    e.clock.advance(GRACE_S / 2);
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({
      status: 'failed',
      error: { code: 'terminate_timeout', message: expect.stringMatching(/No machine was listed by the deadline, but the launch requested at .* may still create one\./) },
    });
  });

  it('defaults to longer than the substrate step can run plus DescribeInstances lag', async () => {
    expect(LAUNCH_GRACE_SECONDS).toBeGreaterThan(30 + 60);
    const e = await fakeStepPorts(kind);
    const r = await deprovisioningWithIntent(e, 0);
    e.clock.advance(LAUNCH_GRACE_SECONDS - 1);
    expect((await terminateSubstrate(e.ports, input(r))).status).toBe('waiting');
    e.clock.advance(1);
    expect((await terminateSubstrate(e.ports, input(r))).status).toBe('done');
  });
});

describe.each(STORE_KINDS)("releasing the node's claims at the end of the teardown (%s store)", (kind) => {
  it("releases the node's pointer and mesh IP before the Deleted write, once", async () => {
    const e = await env(kind);
    const r = await seed(e, 'Deprovisioning', { node: { mesh_ip: '100.64.0.9' } });
    await e.substrate.launch({ region: 'x', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { clientToken: 'ct', imageId: 'ami', instanceType: 't3.micro', userData: '', tags: { [RESOURCE_TAG]: r.id } });
    expect((await terminateSubstrate(e.ports, input(r))).status).toBe('waiting');
    // Not while the machine is still up.
    expect(e.resources.released).toEqual([]);
    e.substrate.set(e.substrate.machines[0]?.instanceId as string, 'terminated');
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
    expect(e.resources.released).toEqual([{ resource_id: r.id, node_id: r.node?.node_id, mesh_ip: '100.64.0.9', phase: 'Deprovisioning' }]);
    // A retry of the step after Deleted releases nothing more.
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
    expect(e.resources.released).toHaveLength(1);
  });

  it('releases again when the Deleted write did not happen (a retry finishes it), and nothing for a superseded run', async () => {
    const e = await env(kind);
    const r = await seed(e, 'Deprovisioning', { node: {} });
    const changePhase = e.resources.changePhase.bind(e.resources);
    let crashes = 1;
    e.resources.changePhase = async (id, change) => {
      if (change.to === 'Deleted' && crashes-- > 0) throw new Error('crashed before the phase write');
      return changePhase(id, change);
    };
    await expect(terminateSubstrate(e.ports, input(r))).rejects.toThrow(/crashed/);
    expect(await terminateSubstrate(e.ports, input(r))).toEqual({ status: 'done' });
    expect(e.resources.released.map((x) => x.phase)).toEqual(['Deprovisioning', 'Deprovisioning']);
    expect(await terminateSubstrate(e.ports, input(r, 0))).toEqual({ status: 'superseded' });
    expect(e.resources.released).toHaveLength(2);
  });
});

/** TerminateSubstrate polled as the ASL does, once drained, with `hook(poll)` before each poll. */
async function runTeardownWithHook(e: FakeStepEnv, r: Resource, generation: number, hook: (polls: number) => unknown) {
  expect(await drainNode(e.ports, input(r, generation))).toEqual({ status: 'done' });
  return runTeardownAfterDrain(e, r, generation, hook);
}

async function runTeardownAfterDrain(e: FakeStepEnv, r: Resource, generation: number, hook: (polls: number) => unknown, maxPolls = 100) {
  let polls = 0;
  let outcome = await terminateSubstrate(e.ports, input(r, generation));
  while (outcome.status === 'waiting' && polls++ < maxPolls) {
    e.clock.advance(POLL_S);
    await hook(polls);
    outcome = await terminateSubstrate(e.ports, input(r, generation));
  }
  return { outcome, polls };
}
