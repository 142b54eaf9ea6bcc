import type { Resource } from '../resources.ts';
import { LAUNCH_GRACE_SECONDS, type StepConfig, type StepInput, type StepOutcome, type StepPorts, type SubstratePorts } from './config.ts';
import { current, done, enteredAt, later, pastDeadline, substratePlan, superseded } from './run.ts';

// The teardown arc: Deregistering → Deprovisioning → Deleted.

/**
 * Deregistering: revokes the node's NSK and the bootstrap token, then waits until the node is no
 * longer registered: refused once, or silent for the grace period (a dead node does not block).
 */
export async function drainNode(ports: StepPorts, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Deregistering', 'Deprovisioning', 'Deleted']);
  if (!r?.provisioning) return superseded;
  if (r.provisioning.phase !== 'Deregistering') return done;
  const now = ports.clock.now();
  const revoked = (await ports.resources.revokeCredentials(r.id, now.toISOString())) ?? r;
  const node = revoked.node;
  const graceMs = 2 * ports.config.heartbeatIntervalSeconds * 1000;
  const lastSign = node ? Math.max(...[node.last_heartbeat_at, node.registered_at].map((t) => (t ? Date.parse(t) : 0))) : 0;
  const gone = !node || node.refused_at !== undefined || now.getTime() - lastSign >= graceMs;
  if (gone) {
    const moved = await ports.resources.changePhase(r.id, {
      from: ['Deregistering'],
      to: 'Deprovisioning',
      generation: input.generation,
      at: now.toISOString(),
      reason: node
        ? `Node ${node.node_id} is out of the mesh; terminating the substrate.`
        : 'No node was enrolled; terminating the substrate.',
      waitingOn: 'substrate-termination',
      deadline: later(ports.clock, ports.config.terminateTimeoutSeconds),
    });
    return moved ? done : superseded;
  }
  if (now.getTime() - enteredAt(r, 'Deregistering') >= ports.config.drainTimeoutSeconds * 1000) {
    return { status: 'failed', error: { code: 'drain_timeout', message: 'The node was still heartbeating at the deadline.' } };
  }
  if (r.provisioning.waiting_on !== 'node-drain') {
    await ports.resources.annotate(
      r.id,
      input.generation,
      { waiting_on: 'node-drain', reason: 'NSK revoked; waiting for the node to leave the mesh.' },
      now.toISOString(),
    );
  }
  return { status: 'waiting', waiting_on: 'node-drain' };
}

/** When a launch recorded on the Resource must have settled (its machine listed, if one was created); undefined when none was recorded. */
function launchSettlesAt(r: Resource, config: StepConfig): number | undefined {
  const requested = r.provisioning?.substrate?.launch_requested_at;
  return requested ? Date.parse(requested) + (config.launchGraceSeconds ?? LAUNCH_GRACE_SECONDS) * 1000 : undefined;
}

/**
 * Deprovisioning → Deleted: terminates every machine tagged with the Resource (including one whose
 * launch was still in flight when the delete came), using the credential pinned at creation. When
 * none is listed but a launch was requested less than the grace period ago, it keeps looking: that
 * launch may still create its machine. Before the Deleted write, the node's pointer and mesh-IP
 * record are released together (a retry releases again: idempotent).
 */
export async function terminateSubstrate(ports: StepPorts & SubstratePorts, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Deprovisioning', 'Deleted']);
  if (!r?.provisioning) return superseded;
  if (r.provisioning.phase === 'Deleted') return done;
  const plan = r.cloud_id && r.credential_handle ? await substratePlan(ports, r) : undefined;
  const machines = plan ? await ports.substrate.findByResource(plan.target, r.id) : [];
  const live = machines.filter((m) => m.state !== 'terminated');
  const toTerminate = live.filter((m) => m.state !== 'shutting-down').map((m) => m.instanceId);
  if (plan && toTerminate.length) await ports.substrate.terminate(plan.target, toTerminate);
  const settlesAt = launchSettlesAt(r, ports.config);
  // One client token per Resource: once a machine is listed, a launch in flight can add none.
  const launchInFlight = machines.length === 0 && settlesAt !== undefined && ports.clock.now().getTime() < settlesAt;
  if (live.length === 0 && !launchInFlight) {
    await ports.resources.releaseNode(r);
    const moved = await ports.resources.changePhase(r.id, {
      from: ['Deprovisioning'],
      to: 'Deleted',
      generation: input.generation,
      at: ports.clock.now().toISOString(),
      reason: machines.length
        ? `Node and substrate are gone (${machines.map((m) => m.instanceId).join(', ')} terminated).`
        : 'Nothing was running; the resource is gone.',
      ...(r.provisioning.substrate && { substrate: { ...r.provisioning.substrate, instance_state: 'terminated' } }),
    });
    return moved ? done : superseded;
  }
  if (pastDeadline(r, ports.clock, ports.config.terminateTimeoutSeconds)) {
    const message = live.length
      ? `Still not terminated at the deadline: ${live.map((m) => `${m.instanceId} ${m.state}`).join(', ')}.`
      : `No machine was listed by the deadline, but the launch requested at ${r.provisioning.substrate?.launch_requested_at} may still create one.`;
    return { status: 'failed', error: { code: 'terminate_timeout', message } };
  }
  if (live.length === 0) {
    if (r.provisioning.waiting_on !== 'substrate-launch') {
      const until = new Date(settlesAt as number).toISOString();
      const reason = `No machine is listed yet, but a launch was requested at ${r.provisioning.substrate?.launch_requested_at}; looking for it until ${until}.`;
      await ports.resources.annotate(r.id, input.generation, { waiting_on: 'substrate-launch', reason }, ports.clock.now().toISOString());
    }
    return { status: 'waiting', waiting_on: 'substrate-launch' };
  }
  if (r.provisioning.waiting_on === 'substrate-launch') {
    const reason = `Terminating ${live.map((m) => m.instanceId).join(', ')}, launched while the delete came.`;
    await ports.resources.annotate(
      r.id,
      input.generation,
      { waiting_on: 'substrate-termination', reason },
      ports.clock.now().toISOString(),
    );
  }
  return { status: 'waiting', waiting_on: 'substrate-termination' };
}
