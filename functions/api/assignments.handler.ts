import * as assignments from '../core/assignments/use-cases.ts';
import { verifyAuditTrail } from '../core/assignments/audit.ts';
import { requireAllowed } from '../core/access.ts';
import { parseId } from '../core/ids.ts';
import { approvalView, listApprovals } from '../core/assignments/approvals.ts';
import { type Assignment, assignmentView } from '../core/assignments/assignment.ts';
import { narrowTerms } from '../core/assignments/terms-change.ts';
import { revokeAssignment } from '../core/revocation.ts';
import type { Actor } from '../core/assignments/use-cases.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { created, ok } from '../shared/http.ts';
import { listResponse } from '../shared/lists.ts';
import { assignmentsSpec as spec } from './assignments.spec.ts';
import { bodyOf } from './spec.ts';
import { InvalidInputError } from '../core/errors.ts';

const actor = (req: AuthedRequest): Actor => ({ subject: req.subject, correlationId: req.correlationId, email: req.user.email });

/** An empty body (or none) approves what was proposed. */
function approveBody(req: AuthedRequest, op: typeof spec.approveAssignment) {
  return bodyOf(op, { body: req.body ?? {} });
}

function decideWith(decision: 'approve' | 'reject', view: 'assignment' | 'approval') {
  return async (req: AuthedRequest, d: Deps) => {
    const id = parseId(req.pathParams.id, view === 'approval' ? 'approval' : 'credential_assignment');
    const opts = decision === 'approve' ? approveBody(req, spec.approveAssignment) : bodyOf(spec.rejectAssignment, req);
    const updated = await assignments.decide(d, actor(req), id, decision, opts);
    return ok(render(updated, view, d));
  };
}

function render(a: Assignment, view: 'assignment' | 'approval', d: Deps) {
  const now = d.clock.now();
  return view === 'assignment' ? assignmentView(a, now) : approvalView(a, now);
}

export const handler = createApiHandler('assignments', spec, {
  requestAssignment: async (req: AuthedRequest, d: Deps) => {
    const projectId = parseId(req.pathParams.id, 'project');
    const body = bodyOf(spec.requestAssignment, req);
    const a = await assignments.requestAssignment(d, actor(req), projectId, body);
    return created(render(a, 'assignment', d), `/v1/credential-assignments/${a.id}`);
  },

  listAssignments: (req: AuthedRequest, d: Deps) => {
    const projectId = parseId(req.pathParams.id, 'project');
    return listResponse(
      req,
      d,
      (page) => assignments.listAssignments(d, req.subject, projectId, page),
      (a) => render(a, 'assignment', d),
    );
  },

  getAssignment: async (req: AuthedRequest, d: Deps) =>
    ok(render(await assignments.getAssignment(d, req.subject, parseId(req.pathParams.id, 'credential_assignment')), 'assignment', d)),

  approveAssignment: decideWith('approve', 'assignment'),
  rejectAssignment: decideWith('reject', 'assignment'),
  revokeAssignment: async (req: AuthedRequest, d: Deps) => {
    const body = bodyOf(spec.revokeAssignment, req);
    const { assignment } = await revokeAssignment(d, actor(req), parseId(req.pathParams.id, 'credential_assignment'), body);
    return ok(render(assignment, 'assignment', d));
  },
  narrowTerms: async (req: AuthedRequest, d: Deps) => {
    const { terms } = bodyOf(spec.narrowTerms, req);
    return ok(render(await narrowTerms(d, actor(req), parseId(req.pathParams.id, 'credential_assignment'), terms), 'assignment', d));
  },

  listApprovals: (req: AuthedRequest, d: Deps) => {
    const filters = {
      status: req.query.status,
      kind: req.query.kind,
      domainId: req.query.domain_id ? parseId(req.query.domain_id, 'domain') : undefined,
    };
    const states = ['proposed', 'pending-approval', 'approved', 'rejected', 'expired'];
    if (filters.status && !states.includes(filters.status)) {
      throw new InvalidInputError('invalid_status', `status must be one of ${states.join(', ')}.`);
    }
    return listResponse(
      req,
      d,
      (page) => listApprovals(d, req.subject, filters, page),
      (a) => render(a, 'approval', d),
    );
  },

  getApproval: async (req: AuthedRequest, d: Deps) =>
    ok(render(await assignments.getAssignment(d, req.subject, parseId(req.pathParams.id, 'approval')), 'approval', d)),

  approveApproval: decideWith('approve', 'approval'),
  rejectApproval: decideWith('reject', 'approval'),

  listAuditEntries: async (req: AuthedRequest, d: Deps) => {
    const domainId = parseId(req.pathParams.id, 'domain');
    await requireAllowed(d.authorizer, req.subject, 'read', { type: 'Domain', id: domainId });
    return listResponse(
      req,
      d,
      (page) => d.audit.list(domainId, page),
      (e) => e,
    );
  },

  verifyAuditChain: async (req: AuthedRequest, d: Deps) => ok(await verifyAuditTrail(d, req.subject, parseId(req.pathParams.id, 'domain'))),
});
