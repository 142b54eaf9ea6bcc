import type { Assignment } from './assignments/assignment.ts';
import { type Actor, type AssignmentPorts, decide } from './assignments/use-cases.ts';
import { MAX_LIMIT } from './pagination.ts';
import { type ProvisioningPorts, startTeardown } from './provisioning.ts';

// Revoking an assignment blocks new Resources at once (a create takes its quota slot only from an
// approved assignment, in the same transaction). Running Resources keep their leases, unless the
// revoke asks for them to be torn down too.

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
  const tornDown: string[] = [];
  if (!opts.teardown) return { assignment, tornDown };
  // The project's list nominates; each teardown is one conditional write on the Resource itself.
  let afterId: string | undefined;
  do {
    const page = await ports.resources.listByProject(assignment.project_id, { limit: MAX_LIMIT, ...(afterId && { afterId }) });
    for (const resource of page.items) {
      if (resource.assignment_id !== assignment.id) continue;
      const reason = `The credential assignment was revoked with teardown by ${actor.subject.userId}.`;
      if (await startTeardown(ports, resource, 'assignment_revoked', reason)) tornDown.push(resource.id);
    }
    afterId = page.lastId;
  } while (afterId);
  return { assignment, tornDown };
}
