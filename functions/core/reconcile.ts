import type { Clock } from './clock.ts';
import type { Orchestrator } from './provisioning.ts';
import { PROVISION_PHASES, type ResourceStore, TEARDOWN_PHASES } from './resources.ts';

export interface ReconcileReport {
  checked: number;
  resumed: Array<{ resource_id: string; run: 'provision' | 'teardown'; generation: number }>;
}

/**
 * Resumes Resources stuck in a non-terminal phase with no run in flight (a lost StartExecution,
 * a restarted local stack). A resumed run gets a new generation, which fences off whatever is
 * left of the old one; each step picks up from the phase the Resource is in.
 */
export async function reconcile(
  ports: { resources: ResourceStore; orchestrator: Orchestrator; clock: Clock },
  opts: { minIdleSeconds: number },
): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, resumed: [] };
  const now = ports.clock.now();
  for (const r of await ports.resources.listActive()) {
    const p = r.provisioning;
    if (!p) continue;
    report.checked++;
    const run = TEARDOWN_PHASES.includes(p.phase) ? 'teardown' : PROVISION_PHASES.includes(p.phase) ? 'provision' : undefined;
    if (!run) continue;
    // Fresh writes belong to a request that is about to start its run.
    if (now.getTime() - Date.parse(r.updated_at) < opts.minIdleSeconds * 1000) continue;
    if (p.run === run && (await ports.orchestrator.isRunning(run, r.id, p.generation))) continue;
    const resumed = await ports.resources.startRun(r.id, {
      expectedGeneration: p.generation,
      run,
      phase: p.phase,
      fromPhases: [p.phase],
      at: now.toISOString(),
      reason: `Resumed by the reconciler: no ${run} run was in flight. ${p.reason}`,
    });
    if (!resumed?.provisioning) continue;
    await ports.orchestrator.start(run, r.id, resumed.provisioning.generation);
    report.resumed.push({ resource_id: r.id, run, generation: resumed.provisioning.generation });
  }
  return report;
}
