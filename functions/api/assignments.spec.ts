import { ApprovalViewSchema } from '../core/assignments/approvals.ts';
import { AssignmentViewSchema } from '../core/assignments/assignment.ts';
import { AuditEntryViewSchema } from '../core/assignments/audit.ts';
import { AuditChainVerdictViewSchema } from '../core/audit-chain.ts';
import { TermsBodySchema } from '../core/assignments/terms.ts';
import { ApproveBodySchema, ReasonBodySchema, RequestAssignmentBodySchema, RevokeBodySchema } from '../core/assignments/use-cases.ts';
import { can, creates, domainFilter, type GroupSpec, lists, named, reads, withBody } from './spec.ts';

// Reads of one assignment or approval need read on its project, except for its requester and its
// credential's owner. Approve and reject are `decide` (never on one's own request); revoke is
// `assign` on the credential.

const ASSIGNMENT = named('AssignmentView', AssignmentViewSchema);
const APPROVAL = named('ApprovalView', ApprovalViewSchema);
const REASON = named('ReasonBody', ReasonBodySchema);
const APPROVE = named('ApproveBody', ApproveBodySchema);
const READ_PROJECT = can('read', 'Project');
const DECIDE = can('decide', 'CredentialAssignment');

export const assignmentsSpec = {
  requestAssignment: creates(
    'Ask for a credential to be assigned to a project',
    can('deploy', 'Project'),
    named('RequestAssignmentBody', RequestAssignmentBodySchema),
    ASSIGNMENT,
  ),
  listAssignments: lists("List a project's credential assignments", READ_PROJECT, ASSIGNMENT),
  getAssignment: reads('Get a credential assignment', READ_PROJECT, ASSIGNMENT),
  approveAssignment: withBody(
    'Approve an assignment, with terms (optional; no body grants what was proposed)',
    DECIDE,
    APPROVE,
    ASSIGNMENT,
  ),
  rejectAssignment: withBody('Reject an assignment', DECIDE, REASON, ASSIGNMENT),
  revokeAssignment: withBody(
    'Revoke an approved assignment (teardown: true also tears its running Resources down)',
    can('assign', 'CloudCredential'),
    named('RevokeBody', RevokeBodySchema),
    ASSIGNMENT,
  ),
  narrowTerms: withBody(
    "Narrow an approved assignment's terms (never widens them)",
    can('assign', 'CloudCredential'),
    named('TermsBody', TermsBodySchema.required()),
    ASSIGNMENT,
  ),
  // The queue keeps the rows the caller may read rather than refusing them one by one; a domain
  // the caller holds no role in is refused (403) before any of it is read.
  listApprovals: lists('The approvals queue', READ_PROJECT, APPROVAL, {
    status: {
      schema: { type: 'string', enum: ['proposed', 'pending-approval', 'approved', 'rejected', 'expired'] },
      description: 'Only approvals in this state.',
    },
    kind: { schema: { type: 'string' }, description: 'Only approvals of this kind.' },
    domain_id: domainFilter('Only approvals of this domain.'),
  }),
  getApproval: reads('Get an approval (its id is the assignment id)', READ_PROJECT, APPROVAL),
  approveApproval: withBody('Approve from the queue, with terms (optional)', DECIDE, APPROVE, APPROVAL),
  rejectApproval: withBody('Reject from the queue', DECIDE, REASON, APPROVAL),
  listAuditEntries: lists("A domain's audit trail", can('read', 'Domain'), named('AuditEntryView', AuditEntryViewSchema)),
  verifyAuditChain: reads(
    "Check a domain's audit chain: every entry still hashes to its hash, links to the one before it, and the last one matches the head",
    can('read', 'Domain'),
    named('AuditChainVerdictView', AuditChainVerdictViewSchema),
  ),
} satisfies GroupSpec;
