import { ApprovalViewSchema } from '../core/assignments/approvals.ts';
import { AssignmentViewSchema } from '../core/assignments/assignment.ts';
import { AuditEntryViewSchema } from '../core/assignments/audit.ts';
import { ReasonBodySchema, RequestAssignmentBodySchema } from '../core/assignments/use-cases.ts';
import { CREATED, can, domainFilter, type GroupSpec, named, OK, PAGE } from './spec.ts';

// Reads of one assignment or approval need read on its project, except for its requester and its
// credential's owner. Approve and reject are `decide` (never on one's own request); revoke is
// `assign` on the credential.

const ASSIGNMENT = named('AssignmentView', AssignmentViewSchema);
const APPROVAL = named('ApprovalView', ApprovalViewSchema);
const REASON = named('ReasonBody', ReasonBodySchema);
const NO_DECISION_BODY = 'approving takes no body (an empty object is tolerated)';
const READ_PROJECT = can('read', 'Project');
const DECIDE = can('decide', 'CredentialAssignment');

export const assignmentsSpec = {
  requestAssignment: {
    summary: 'Ask for a credential to be assigned to a project',
    authorization: can('deploy', 'Project'),
    body: named('RequestAssignmentBody', RequestAssignmentBodySchema),
    answers: CREATED(ASSIGNMENT),
    location: true,
  },
  listAssignments: { summary: "List a project's credential assignments", authorization: READ_PROJECT, answers: PAGE(ASSIGNMENT), list: {} },
  getAssignment: { summary: 'Get a credential assignment', authorization: READ_PROJECT, answers: OK(ASSIGNMENT) },
  approveAssignment: { summary: 'Approve an assignment', authorization: DECIDE, noBody: NO_DECISION_BODY, answers: OK(ASSIGNMENT) },
  rejectAssignment: { summary: 'Reject an assignment', authorization: DECIDE, body: REASON, answers: OK(ASSIGNMENT) },
  revokeAssignment: {
    summary: 'Revoke an approved assignment',
    authorization: can('assign', 'CloudCredential'),
    body: REASON,
    answers: OK(ASSIGNMENT),
  },
  // The queue keeps the rows the caller may read rather than refusing.
  listApprovals: {
    summary: 'The approvals queue',
    authorization: READ_PROJECT,
    answers: PAGE(APPROVAL),
    list: {
      status: {
        schema: { type: 'string', enum: ['proposed', 'pending-approval', 'approved', 'rejected', 'expired'] },
        description: 'Only approvals in this state.',
      },
      kind: { schema: { type: 'string' }, description: 'Only approvals of this kind.' },
      domain_id: domainFilter('Only approvals of this domain.'),
    },
  },
  getApproval: { summary: 'Get an approval (its id is the assignment id)', authorization: READ_PROJECT, answers: OK(APPROVAL) },
  approveApproval: { summary: 'Approve from the queue', authorization: DECIDE, noBody: NO_DECISION_BODY, answers: OK(APPROVAL) },
  rejectApproval: { summary: 'Reject from the queue', authorization: DECIDE, body: REASON, answers: OK(APPROVAL) },
  listAuditEntries: {
    summary: "A domain's audit trail",
    authorization: can('read', 'Domain'),
    answers: PAGE(named('AuditEntryView', AuditEntryViewSchema)),
    list: {},
  },
} satisfies GroupSpec;
