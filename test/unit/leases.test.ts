import { describe, expect, it } from 'vitest';
import { expireLease, moveLease } from '../../functions/core/leases.ts';
import type { ProvisioningPorts } from '../../functions/core/provisioning.ts';
import type { Phase } from '../../functions/core/resources.ts';
import type { TenancyStore } from '../../functions/core/ports.ts';
import type { Assignment, AssignmentStore } from '../../functions/core/assignments/assignment.ts';
import { actorOf, allowAll } from '../support/assignment-ports.ts';
import { assignment } from '../conformance/fixtures.ts';
import { MemoryAuditLog, RecordingLeaseTimers } from '../support/lease-fakes.ts';
import { type FakeClock, FakeOrchestrator, fakeStepPorts, type MemoryResources, seedResource } from '../support/phase-fakes.ts';

// A lease is moved within its ceiling and enforced by its one timer; the timer acts on what is
// stored, so a lease moved later is never cut short by an earlier arming.

async function world(lease: { seconds: number; ceilingSeconds?: number }, phase: Phase = 'Ready') {
  const env = await fakeStepPorts('memory');
  const clock = env.clock as FakeClock;
  const seeded = await seedResource(env, phase);
  const now = clock.now().getTime();
  const at = (s: number) => new Date(now + s * 1000).toISOString();
  const resource = await env.resources.put({
    ...seeded,
    lease: { expires_at: at(lease.seconds), max_expires_at: lease.ceilingSeconds === undefined ? null : at(lease.ceilingSeconds) },
  });
  const leases = new RecordingLeaseTimers();
  const audit = new MemoryAuditLog();
  const assignments = new Map<string, Assignment>();
  const orchestrator = new FakeOrchestrator();
  const ports = {
    tenancy: { getProject: async () => undefined } as Partial<TenancyStore> as TenancyStore,
    resources: env.resources,
    orchestrator,
    leases,
    audit,
    assignments: { get: async (id: string) => assignments.get(id) } as Partial<AssignmentStore> as AssignmentStore,
    authorizer: allowAll,
    clock,
    config: { defaultLeaseSeconds: 604800 },
  } as Partial<ProvisioningPorts> as ProvisioningPorts;
  return { env, clock, resource, leases, orchestrator, ports, at, assignments, actor: actorOf(resource.created_by), audit };
}

describe('moving a lease', () => {
  it('extends it up to max_expires_at, arming the timers for the new end (its warning 15 min before) once it is stored', async () => {
    const w = await world({ seconds: 600, ceilingSeconds: 7200 });
    const moved = await moveLease(w.ports, w.actor, w.resource.id, w.at(7200));
    expect(moved.lease).toEqual({ expires_at: w.at(7200), max_expires_at: w.at(7200) });
    expect(w.leases.calls.map((c) => c.at.toISOString())).toEqual([w.at(6300), w.at(7200)]);
  });

  it('shortens it: the timers are armed for the new, earlier end before the write (its warning at once: it ends within 15 min)', async () => {
    const w = await world({ seconds: 3600 });
    await moveLease(w.ports, w.actor, w.resource.id, w.at(120));
    expect(w.leases.calls.map((c) => c.at.toISOString())).toEqual([w.at(0), w.at(120)]);
    expect((await w.env.resources.at(w.resource.id)).lease?.expires_at).toBe(w.at(120));
  });

  it('refuses past the ceiling (422 lease_beyond_terms), under a minute (422 lease_too_short), and during teardown (409)', async () => {
    const w = await world({ seconds: 600, ceilingSeconds: 3600 });
    await expect(moveLease(w.ports, w.actor, w.resource.id, w.at(3601))).rejects.toMatchObject({ code: 'lease_beyond_terms', extra: { max_expires_at: w.at(3600) } });
    await expect(moveLease(w.ports, w.actor, w.resource.id, w.at(59))).rejects.toMatchObject({ code: 'lease_too_short' });
    expect(w.leases.calls).toEqual([]);
    expect((await w.env.resources.at(w.resource.id)).lease?.expires_at).toBe(w.at(600));
    const gone = await world({ seconds: 600 }, 'Deregistering');
    await expect(moveLease(gone.ports, gone.actor, gone.resource.id, gone.at(900))).rejects.toMatchObject({ code: 'resource_not_leasable' });
  });
});

describe('moving a lease after a revoke', () => {
  it('may shorten it but not extend it (403 credential_not_approved), and each refusal is audited', async () => {
    const w = await world({ seconds: 600 });
    const revoked = assignment({ state: 'revoked', project_id: w.resource.project_id });
    w.assignments.set(revoked.id, revoked);
    await w.env.resources.put({ ...(await w.env.resources.at(w.resource.id)), assignment_id: revoked.id });
    await expect(moveLease(w.ports, w.actor, w.resource.id, w.at(900))).rejects.toMatchObject({ code: 'credential_not_approved' });
    expect((await moveLease(w.ports, w.actor, w.resource.id, w.at(300))).lease?.expires_at).toBe(w.at(300));
    await expect(moveLease(w.ports, w.actor, w.resource.id, w.at(10))).rejects.toMatchObject({ code: 'lease_too_short' });
    expect(w.audit.entries.map((e) => [e.action, e.outcome, e.reason, e.target])).toEqual([
      ['resource.lease', 'denied', 'credential_not_approved', `resources/${w.resource.id}`],
      ['resource.lease', 'denied', 'lease_too_short', `resources/${w.resource.id}`],
    ]);
  });
});

describe('the lease timer firing', () => {
  it('does not undo an extension that lands between its read and its teardown', async () => {
    const w = await world({ seconds: 600 });
    w.clock.advance(600);
    const stale = await w.env.resources.at(w.resource.id);
    // The extension is stored after the timer's read of the expired lease.
    await w.env.resources.setLease(w.resource.id, w.at(7200), w.at(600), w.at(600));
    let reads = 0;
    const racing = { ...w.ports, resources: Object.assign(Object.create(w.env.resources), { get: async (id: string) => (reads++ === 0 ? stale : w.env.resources.get(id)) }) };
    expect(await expireLease(racing, w.resource.id)).toBe('rearmed');
    expect((await w.env.resources.at(w.resource.id)).provisioning?.phase).toBe('Ready');
    expect(w.orchestrator.started).toEqual([]);
    expect(w.leases.calls.map((c) => c.at.toISOString())).toEqual([w.at(6300), w.at(7200)]);
  });

  it('before the stored end (the lease was extended): re-arms for the stored end and its warning, and tears nothing down', async () => {
    const w = await world({ seconds: 3600 });
    w.clock.advance(300);
    expect(await expireLease(w.ports, w.resource.id)).toBe('rearmed');
    expect(w.leases.calls.map((c) => c.at.toISOString())).toEqual([w.at(2700), w.at(3600)]);
    expect(w.orchestrator.started).toEqual([]);
  });

  it('within 15 minutes of the end: warns once per end, then only re-arms the end', async () => {
    const w = await world({ seconds: 600 });
    w.clock.advance(300);
    expect(await expireLease(w.ports, w.resource.id)).toBe('warned');
    expect(await expireLease(w.ports, w.resource.id)).toBe('rearmed');
    expect((w.env.resources as MemoryResources).warned).toEqual([`${w.resource.id}@${w.at(600)}`]);
    expect(w.leases.calls.map((c) => c.at.toISOString())).toEqual([w.at(600), w.at(600)]);
    expect(w.orchestrator.started).toEqual([]);
  });

  it('at or after the end: starts the ordered teardown with reason lease_expired, once', async () => {
    const w = await world({ seconds: 600 });
    w.clock.advance(600);
    expect(await expireLease(w.ports, w.resource.id)).toBe('torn_down');
    const after = await w.env.resources.at(w.resource.id);
    expect(after.provisioning).toMatchObject({ phase: 'Deregistering', run: 'teardown', generation: 2, reason_code: 'lease_expired' });
    expect(w.orchestrator.started).toEqual([`teardown:${w.resource.id}-2`]);
    // The timer delivered twice (at least once): the second finds the teardown under way.
    expect(await expireLease(w.ports, w.resource.id)).toBe('nothing_to_do');
    expect(w.orchestrator.started).toHaveLength(1);
  });

  it('for a Resource that is gone or already Deleted: nothing to do', async () => {
    const w = await world({ seconds: 60 }, 'Deleted');
    w.clock.advance(120);
    expect(await expireLease(w.ports, w.resource.id)).toBe('nothing_to_do');
    expect(await expireLease(w.ports, '019100a0-0a00-7000-8000-0000000000ff')).toBe('nothing_to_do');
    expect(w.orchestrator.started).toEqual([]);
  });
});
