import * as z from 'zod';
import type { AuthzSubject } from '../authz/model.ts';
import { ForbiddenError } from '../errors.ts';
import type { Page, PageRequest } from '../pagination.ts';
import { type Assignment, AssignmentSchema, effective } from './assignment.ts';
import { hasRoleIn } from './standing.ts';
import type { AssignmentPorts } from './use-cases.ts';

// The approvals queue: the same assignments, shown as approvals awaiting (or past) a decision.

export const APPROVAL_KIND = 'credential_assignment';

export const ApprovalStateSchema = z.enum(['pending-approval', 'approved', 'rejected', 'expired']);

export function approvalState(a: Assignment, now: Date): z.infer<typeof ApprovalStateSchema> {
  const e = effective(a, now);
  if (e.state === 'requested') return 'pending-approval';
  if (e.state === 'rejected') return e.decision_reason === 'expired' && e.decided_by === undefined ? 'expired' : 'rejected';
  return 'approved';
}

const { shape } = AssignmentSchema;

/** An assignment as the approvals queue shows it (some fields renamed; picks keep the view's key order). */
export const ApprovalViewSchema = AssignmentSchema.pick({ id: true, domain_id: true }).extend({
  proposer_subject: shape.requested_by,
  proposer_email: shape.requested_by_email,
  action_kind: z.literal(APPROVAL_KIND),
  target_resource: z.string(),
  payload: AssignmentSchema.pick({ project_id: true, cloud_credential_id: true }).extend({ assignment_state: shape.state }),
  state: ApprovalStateSchema,
  ...AssignmentSchema.pick({ created_at: true, expires_at: true, decided_at: true }).shape,
  decided_by_subject: shape.decided_by,
  decision_reason: shape.decision_reason,
  proposed_terms: shape.proposed_terms,
  terms: shape.terms,
  usage: z.object({ live_resources: z.number().int() }),
});
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

export function approvalView(a: Assignment, now: Date): ApprovalView {
  const e = effective(a, now);
  return {
    id: e.id,
    domain_id: e.domain_id,
    proposer_subject: e.requested_by,
    ...(e.requested_by_email && { proposer_email: e.requested_by_email }),
    action_kind: APPROVAL_KIND,
    target_resource: `projects/${e.project_id}/credential-assignments/${e.id}`,
    payload: { project_id: e.project_id, cloud_credential_id: e.cloud_credential_id, assignment_state: e.state },
    state: approvalState(a, now),
    created_at: e.created_at,
    expires_at: e.expires_at,
    ...(e.decided_at && { decided_at: e.decided_at }),
    ...(e.decided_by && { decided_by_subject: e.decided_by }),
    ...(e.decision_reason && { decision_reason: e.decision_reason }),
    ...(e.proposed_terms && { proposed_terms: e.proposed_terms }),
    ...(e.terms && { terms: e.terms }),
    usage: { live_resources: e.live_resources ?? 0 },
  };
}

/** The approvals queue: rows of one domain (or all the caller's domains), filtered by state and kind. */
export async function listApprovals(
  ports: AssignmentPorts,
  subject: AuthzSubject,
  filters: { status?: string | undefined; kind?: string | undefined; domainId?: string | undefined },
  page: PageRequest,
): Promise<Page<Assignment>> {
  const domainId = filters.domainId ?? subject.domainId;
  // Checked before the queue is touched: its rows are filtered by visibility, but reading a
  // domain's queue at all is only for those with a role in it.
  if (!hasRoleIn(subject, domainId)) {
    throw new ForbiddenError('permission_denied', 'You may not read the approvals of this domain.', 'out_of_scope');
  }
  const now = ports.clock.now();
  if (filters.kind && filters.kind !== APPROVAL_KIND) return { items: [] };
  const readable = new Map<string, boolean>();
  return ports.assignments.listByDomain(domainId, page, async (a) => {
    if (filters.status && approvalState(a, now) !== filters.status) return false;
    if (a.credential_owner_id === subject.userId || a.requested_by === subject.userId) return true;
    let ok = readable.get(a.project_id);
    if (ok === undefined) {
      const project = await ports.tenancy.getProject(a.project_id);
      ok =
        project !== undefined &&
        (
          await ports.authorizer.decide(subject, 'read', {
            type: 'Project',
            id: project.id,
            domainId: project.domain_id,
            ownerId: project.owner_id,
          })
        ).allowed;
      readable.set(a.project_id, ok);
    }
    return ok;
  });
}
