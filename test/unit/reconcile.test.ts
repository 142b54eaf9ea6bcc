import { afterAll, describe, expect, it } from 'vitest';
import { applySubstrate, checkSubstrate, markReady } from '../../functions/core/phase-steps/provision.ts';
import { reconcile } from '../../functions/core/reconcile.ts';
import { fakeStepPorts, STORE_KINDS, type StoreKind, seedResource } from '../support/phase-fakes.ts';
import { stopTableResources } from '../support/table-resources.ts';

// The reconciler over in-memory ports, with the Resources in memory and in the DynamoDB store: it resumes a Resource in a non-terminal phase whose run is
// not in flight, as a new generation, and leaves everything else alone.

const MIN_IDLE_SECONDS = 30;

afterAll(stopTableResources);

async function setup(kind: StoreKind) {
  const env = await fakeStepPorts(kind);
  const run = () => reconcile({ resources: env.resources, orchestrator: env.orchestrator, clock: env.clock }, { minIdleSeconds: MIN_IDLE_SECONDS });
  return { env, run };
}

describe.each(STORE_KINDS)('reconcile (%s store)', (kind) => {
  it('resumes a provision with no run in flight as the next generation, in the phase it was in', async () => {
    const { env, run } = await setup(kind);
    const r = await seedResource(env, 'Provisioning');
    env.clock.advance(MIN_IDLE_SECONDS);
    expect(await run()).toEqual({ checked: 1, resumed: [{ resource_id: r.id, run: 'provision', generation: 2 }] });
    expect(env.orchestrator.started).toEqual([`provision:${r.id}-2`]);
    const after = await env.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Provisioning', generation: 2, run: 'provision', reason: 'Resumed by the reconciler: no provision run was in flight. seeded' });
    // Resuming is not a phase change: no phase twice in the transitions.
    expect(after.provisioning?.transitions.map((t) => t.phase)).toEqual(['Pending', 'Provisioning']);
  });

  it('resumes a teardown as a teardown', async () => {
    const { env, run } = await setup(kind);
    const r = await seedResource(env, 'Deprovisioning', { generation: 2 });
    env.clock.advance(MIN_IDLE_SECONDS);
    await run();
    expect(env.orchestrator.started).toEqual([`teardown:${r.id}-3`]);
    expect((await env.resources.at(r.id)).provisioning).toMatchObject({ phase: 'Deprovisioning', run: 'teardown', generation: 3 });
  });

  it('leaves a Resource whose run is in flight, and one written too recently (its request is about to start the run)', async () => {
    const { env, run } = await setup(kind);
    const running = await seedResource(env, 'Enrolling');
    await env.orchestrator.start('provision', running.id, 1);
    env.orchestrator.started.length = 0;
    env.clock.advance(MIN_IDLE_SECONDS);
    const fresh = await seedResource(env, 'Pending');
    env.clock.advance(MIN_IDLE_SECONDS - 1);
    expect(await run()).toEqual({ checked: 2, resumed: [] });
    expect(env.orchestrator.started).toEqual([]);
    expect(await env.resources.at(running.id)).toEqual(running);
    expect(await env.resources.at(fresh.id)).toEqual(fresh);
    env.clock.advance(1);
    expect((await run()).resumed).toEqual([{ resource_id: fresh.id, run: 'provision', generation: 2 }]);
  });

  it('leaves Resources at rest (Ready, Failed, Deleted)', async () => {
    const { env, run } = await setup(kind);
    const resting = await Promise.all((['Ready', 'Failed', 'Deleted'] as const).map((phase) => seedResource(env, phase)));
    env.clock.advance(MIN_IDLE_SECONDS);
    // Even if a store listed them as active, they have no run to resume.
    env.resources.listActive = async () => resting;
    expect(await run()).toEqual({ checked: 3, resumed: [] });
    expect(env.orchestrator.started).toEqual([]);
  });

  it('fences the old run: its late writes are refused, the resumed run finishes', async () => {
    const { env, run } = await setup(kind);
    const r = await seedResource(env, 'Pending');
    await applySubstrate(env.ports, { resource_id: r.id, generation: 1 });
    env.clock.advance(MIN_IDLE_SECONDS);
    await run();
    env.substrate.set(env.substrate.machines[0]?.instanceId as string, 'running');
    // The old run's check lands late: superseded, nothing written.
    const before = await env.resources.at(r.id);
    expect(await checkSubstrate(env.ports, { resource_id: r.id, generation: 1 })).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(before);
    // The resumed run picks up from Provisioning.
    expect(await applySubstrate(env.ports, { resource_id: r.id, generation: 2 })).toEqual({ status: 'done' });
    expect(await checkSubstrate(env.ports, { resource_id: r.id, generation: 2 })).toEqual({ status: 'done' });
    expect(await markReady(env.ports, { resource_id: r.id, generation: 1 })).toEqual({ status: 'superseded' });
    expect(await markReady(env.ports, { resource_id: r.id, generation: 2 })).toEqual({ status: 'done' });
    expect(env.substrate.machines).toHaveLength(1);
    expect((await env.resources.at(r.id)).provisioning?.transitions.map((t) => t.phase)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready']);
  });

  it('resumes once when two reconcilers race', async () => {
    const { env, run } = await setup(kind);
    const r = await seedResource(env, 'Enrolling');
    env.clock.advance(MIN_IDLE_SECONDS);
    // Both read the Resource before either writes.
    const list = env.resources.listActive.bind(env.resources);
    let listed = 0;
    let bothListed: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothListed = resolve;
    });
    env.resources.listActive = async () => {
      const items = await list();
      if (++listed === 2) bothListed();
      await barrier;
      return items;
    };
    const reports = await Promise.all([run(), run()]);
    expect(listed).toBe(2);
    expect(reports.flatMap((x) => x.resumed)).toEqual([{ resource_id: r.id, run: 'provision', generation: 2 }]);
    expect(env.orchestrator.started).toEqual([`provision:${r.id}-2`]);
  });
});
