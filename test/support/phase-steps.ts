import type { Resource } from '../../functions/core/resources.ts';
import type { FakeStepEnv } from './phase-fakes.ts';

// Shared by test/unit/phase-steps-*.test.ts: each Task state's step over in-memory ports, with the
// Resources in memory and in the DynamoDB store: what it writes, when it waits, when it fails, and
// that a step of a run that is no longer the Resource's current one writes nothing.

export type Env = FakeStepEnv;

export const phases = (r: Resource) => r.provisioning?.transitions.map((t) => t.phase);
export const input = (r: Resource, generation = r.provisioning?.generation ?? 1) => ({ resource_id: r.id, generation });

/**
 * What the reconciler does to a run it finds idle: the next generation, in the same phase. Only the
 * generation then fences the old run's writes (a delete also moves the phase).
 */
export function resume(env: Env, r: Resource) {
  const p = r.provisioning as NonNullable<Resource['provisioning']>;
  return env.resources.startRun(r.id, { expectedGeneration: p.generation, run: p.run, phase: p.phase, fromPhases: [p.phase], at: env.clock.now().toISOString(), reason: 'Resumed by the reconciler.' });
}
