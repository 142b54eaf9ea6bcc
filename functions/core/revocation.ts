import type { Assignment } from './assignments/assignment.ts';
import { type Actor, type AssignmentPorts, decide } from './assignments/use-cases.ts';
import { MAX_LIMIT } from './pagination.ts';
import { type ProvisioningPorts, startTeardown } from './provisioning.ts';
import { userActor } from './events/event.ts';

// Revoking an assignment blocks new Resources at once (a create takes its quota slot only from an
// approved assignment, in the same transaction). Running Resources keep their leases, unless the
// revoke asks for them to be torn down too.

/** How many times the project's list is read before the revoke answers with what it found. */
const LIST_PASSES = 5;

export type RevocationPorts = AssignmentPorts & Pick<ProvisioningPorts, 'resources' | 'orchestrator'>;

export interface RevokeOutcome {
  assignment: Assignment;
  /** Ids of the Resources whose teardown this revoke started. */
  tornDown: string[];
}

export async function revokeAssignment(
  ports: RevocationPorts,
  actor: Actor,
  id: string,
  opts: { reason: string; teardown?: boolean | undefined },
): Promise<RevokeOutcome> {
  const assignment = await decide(ports, actor, id, 'revoke', { reason: opts.reason });
  const tornDown = new Set<string>();
  if (!opts.teardown) return { assignment, tornDown: [] };
  const reason = `The credential assignment was revoked with teardown by ${actor.subject.userId}.`;
  const by = userActor(actor.subject.userId);
  // The project's list (an index, eventually consistent on AWS) nominates; each teardown is one
  // conditional write on the Resource itself. The assignment's own slot count, read consistently,
  // says how many Resources hold its slots: the list is read again until it shows them all.
  for (let pass = 1; ; pass++) {
    let holding = 0;
    let afterId: string | undefined;
    do {
      const page = await ports.resources.listByProject(assignment.project_id, { limit: MAX_LIMIT, ...(afterId && { afterId }) });
      for (const resource of page.items) {
        if (resource.assignment_id !== assignment.id) continue;
        if (resource.quota_slot === assignment.id) holding++;
        if (!tornDown.has(resource.id) && (await startTeardown(ports, resource, { reasonCode: 'assignment_revoked', reason, actor: by })))
          tornDown.add(resource.id);
      }
      afterId = page.lastId;
    } while (afterId);
    const live = (await ports.assignments.get(assignment.id))?.live_resources ?? 0;
    if (holding >= live || pass >= LIST_PASSES) return { assignment, tornDown: [...tornDown] };
    await new Promise((resolve) => setTimeout(resolve, 200 * pass));
  }
}
