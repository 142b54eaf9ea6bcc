import { requireAllowed } from '../access.ts';
import { ConflictError, found } from '../errors.ts';
import type { Assignment } from './assignment.ts';
import { narrowed, type Terms } from './terms.ts';
import { type Actor, type AssignmentPorts, audit, auditRefused } from './use-cases.ts';

// The credential owner narrows an approved assignment's terms. Narrowing below what is in use
// blocks new Resources (admission checks the terms) and touches no running one.

/** How many times a narrowing re-reads when another change to the same assignment landed first. */
const ATTEMPTS = 3;

/**
 * Replaces an approved assignment's terms with narrower ones. Primary course:
 * 1. the caller may assign the credential (its owner: the one who approved);
 * 2. the assignment is approved (409 illegal_transition otherwise);
 * 3. the new terms narrow the current ones (422 terms_not_narrower otherwise);
 * 4. one write, conditioned on the terms read, stores them; a change landing meanwhile is re-read.
 */
export async function narrowTerms(ports: AssignmentPorts, actor: Actor, id: string, terms: Terms): Promise<Assignment> {
  for (let attempt = 1; ; attempt++) {
    const a = await found(ports.assignments.get(id), 'credential_assignment_not_found', 'The credential assignment does not exist.');
    try {
      await requireAllowed(ports.authorizer, actor.subject, 'assign', {
        type: 'CloudCredential',
        id: a.cloud_credential_id,
        ownerId: a.credential_owner_id,
      });
    } catch (err) {
      await auditRefused(ports, actor, a, 'narrow_terms', 'permission_denied');
      throw err;
    }
    if (a.state !== 'approved') {
      throw new ConflictError('illegal_transition', `Only an approved assignment has terms to narrow; this one is ${a.state}.`, {
        state: a.state,
      });
    }
    try {
      narrowed(a.terms ?? {}, terms);
    } catch (err) {
      await auditRefused(ports, actor, a, 'narrow_terms', 'terms_not_narrower');
      throw err;
    }
    const updated = await ports.assignments.setTerms(a.id, terms, a.updated_at, ports.clock.now().toISOString(), actor.subject.userId);
    if (updated) {
      await audit(ports, actor, a, 'narrow_terms', 'succeeded');
      return updated;
    }
    if (attempt >= ATTEMPTS) throw new ConflictError('concurrent_change', 'The assignment kept changing; read it again and retry.');
  }
}
