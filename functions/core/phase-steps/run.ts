import type { BlueprintVersion } from '../catalog/blueprints.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import type { Phase, Resource } from '../resources.ts';
import { resolverFor, SubstrateRejectedError, type SubstratePlan } from '../substrate.ts';
import type { StepInput, StepOutcome, StepPorts, SubstratePorts } from './config.ts';

// The work of each Task state of the phase arcs. Every step reads the Resource, checks that its
// run (the generation) is still the current one, acts, and moves the phase with one conditional
// write. Expected outcomes are returned as data for a Choice state; only errors worth retrying
// are thrown. This module holds what the steps of both arcs share.

export const superseded: StepOutcome = { status: 'superseded' };
export const done: StepOutcome = { status: 'done' };

/** The Resource, if this run is still its current one and it is in one of `phases`. */
export async function current(
  ports: Pick<StepPorts, 'resources'>,
  input: StepInput,
  phases: readonly Phase[],
): Promise<Resource | undefined> {
  const r = await ports.resources.get(input.resource_id);
  const p = r?.provisioning;
  if (!r || !p || p.generation !== input.generation || !phases.includes(p.phase)) return undefined;
  return r;
}

export function later(clock: Clock, seconds: number): string {
  return new Date(clock.now().getTime() + seconds * 1000).toISOString();
}

export function enteredAt(r: Resource, phase: Phase): number {
  const t = [...(r.provisioning?.transitions ?? [])].reverse().find((x) => x.phase === phase);
  return t ? Date.parse(t.at) : 0;
}

/**
 * Whether the current wait is over: at the stored deadline, or, when there is none (a run the
 * reconciler resumed starts without one), `timeoutSeconds` after the phase was entered, so a
 * resumed wait still ends.
 */
export function pastDeadline(r: Resource, clock: Clock, timeoutSeconds: number): boolean {
  const p = r.provisioning;
  if (!p) return false;
  const deadline = p.deadline ? Date.parse(p.deadline) : enteredAt(r, p.phase) + timeoutSeconds * 1000;
  return deadline <= clock.now().getTime();
}

/**
 * Where and as whom to reach the Resource's substrate (its Cloud, and the credential version pinned
 * at creation), and with `version` what to launch there: the plan of the Cloud's provider.
 */
export async function substratePlan(
  ports: Pick<StepPorts, 'catalog'> & Pick<SubstratePorts, 'substrateResolvers'>,
  r: Resource,
  version?: BlueprintVersion,
): Promise<SubstratePlan> {
  if (!r.cloud_id || !r.credential_handle) throw new NotFoundError('substrate_unknown', 'The resource names no cloud credential.');
  const cloud = await ports.catalog.getCloud(r.cloud_id);
  if (!cloud) throw new NotFoundError('cloud_not_found', "The resource's cloud no longer exists.");
  const resolved = await resolverFor(ports.substrateResolvers, cloud).resolve({
    cloud,
    credential: r.credential_handle,
    parameters: r.parameters ?? {},
    version,
  });
  if ('refused' in resolved) throw new SubstrateRejectedError(resolved.refused.code, resolved.refused.message);
  return resolved;
}
