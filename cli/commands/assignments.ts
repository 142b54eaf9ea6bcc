// Two-party credential assignments, and the same decisions through the approvals queue.
import type { approvalView } from '../../functions/core/assignments/approvals.ts';
import type { assignmentView } from '../../functions/core/assignments/assignment.ts';
import { type Args, type Command, stringFlag } from '../command.ts';
import { detailsOf, type Field } from './fields.ts';
import { checkBody, getCommand, idArg, listCommand, type Noun, result, seg } from './shared.ts';

type AssignmentView = ReturnType<typeof assignmentView>;
type ApprovalView = ReturnType<typeof approvalView>;

const ASSIGNMENT: Noun = { words: ['credential', 'assignment'], label: 'assignment', endpoint: '/v1/credential-assignments' };
const APPROVAL: Noun = { words: ['approval'], label: 'approval', endpoint: '/v1/approvals' };

const assignmentDetails = detailsOf<AssignmentView>([
  'id',
  'state',
  'materialised',
  'project_id',
  'cloud_credential_id',
  'requested_by',
  'decided_by',
  'decision_reason',
  'created_at',
  'updated_at',
  'expires_at',
]);

/** What an approval asks for: its payload, shown like an assignment's own fields. */
const approvalPayload: Field<ApprovalView>[] = [
  ['Project', (a) => a.payload.project_id],
  ['Cloud credential', (a) => a.payload.cloud_credential_id],
];

const approvalDetails = detailsOf<ApprovalView>([
  'id',
  'state',
  'action_kind',
  'target_resource',
  ...approvalPayload,
  'proposer_subject',
  'decided_by_subject',
  'decision_reason',
  'created_at',
  'expires_at',
]);

const REASON = { reason: { type: 'string' as const, placeholder: 'text', required: true, description: 'why (recorded in the audit trail)' } };

/** The reason body, checked with the broker's schema. */
async function reasonBody(args: Args, command: string): Promise<{ reason: string }> {
  const { ReasonBodySchema } = await import('../../functions/core/assignments/use-cases.ts');
  return checkBody(ReasonBodySchema, { reason: stringFlag(args, 'reason') }, { reason: '--reason' }, command);
}

const request: Command = {
  path: ['credential', 'assignment', 'request'],
  summary: "Ask for a cloud credential to be assigned to a Project (the credential's owner decides)",
  flags: {
    'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' },
    'cloud-credential-id': { type: 'string', placeholder: 'id', required: true, description: 'the CloudCredential' },
  },
  examples: [
    'ASSIGNMENT_ID=$(plexctl credential assignment request --project-id "$PROJECT_ID" --cloud-credential-id "$CREDENTIAL_ID" --output json | jq -r \'.id\')',
  ],
  async run(ctx, args) {
    const projectId = stringFlag(args, 'project-id') ?? '';
    const { RequestAssignmentBodySchema } = await import('../../functions/core/assignments/use-cases.ts');
    const body = checkBody(
      RequestAssignmentBodySchema,
      { cloud_credential_id: stringFlag(args, 'cloud-credential-id') },
      { cloud_credential_id: '--cloud-credential-id' },
      'credential assignment request',
    );
    const a = (await ctx.api().post<AssignmentView>(`/v1/projects/${seg(projectId)}/credential-assignments`, { body })).body;
    return result(a, `Requested; the credential's owner approves it.\n${assignmentDetails(a)}`);
  },
};

const list = listCommand<AssignmentView>({
  path: ['credential', 'assignment', 'list'],
  summary: "List a Project's credential assignments",
  flags: { 'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' } },
  endpoint: (args) => `/v1/projects/${seg(stringFlag(args, 'project-id') ?? '')}/credential-assignments`,
  columns: ['id', 'state', 'materialised', 'cloud_credential_id', 'updated_at'],
  empty: 'No credential assignments.',
});

/** `<noun> approve|reject|revoke <id>`: every decision but approve says why. */
function decide<T>(noun: Noun, decision: 'approve' | 'reject' | 'revoke', summary: string, render: (item: T) => string): Command {
  const name = [...noun.words, decision].join(' ');
  return {
    path: [...noun.words, decision],
    summary,
    positionals: idArg(noun),
    ...(decision !== 'approve' && { flags: REASON }),
    async run(ctx, args) {
      const body = decision === 'approve' ? undefined : await reasonBody(args, name);
      const id = args.positionals[0] ?? '';
      const item = (await ctx.api().post<T>(`${noun.endpoint}/${seg(id)}/${decision}`, body ? { body } : {})).body;
      return result(item, render(item));
    },
  };
}

const approvalList = listCommand<ApprovalView>({
  path: ['approval', 'list'],
  summary: 'List the approvals queue (credential assignment requests you can see)',
  flags: {
    status: { type: 'string', placeholder: 'status', description: 'proposed, pending-approval, approved, rejected or expired' },
    kind: { type: 'string', placeholder: 'kind', description: 'e.g. credential_assignment' },
    'domain-id': { type: 'string', placeholder: 'id', description: 'only this Domain' },
  },
  endpoint: APPROVAL.endpoint,
  query: (args) => ({ status: stringFlag(args, 'status'), kind: stringFlag(args, 'kind'), domain_id: stringFlag(args, 'domain-id') }),
  columns: ['id', 'state', 'action_kind', ...approvalPayload, 'created_at'],
  empty: 'Nothing in the approvals queue.',
});

export const ASSIGNMENT_COMMANDS: readonly Command[] = [
  request,
  list,
  getCommand(ASSIGNMENT, 'Show a credential assignment', assignmentDetails),
  decide(
    ASSIGNMENT,
    'approve',
    'Approve a requested assignment (only the credential owner may; never your own request)',
    assignmentDetails,
  ),
  decide(ASSIGNMENT, 'reject', 'Reject a requested assignment', assignmentDetails),
  decide(ASSIGNMENT, 'revoke', 'Revoke an approved assignment (running Resources keep their pinned handle)', assignmentDetails),
  approvalList,
  getCommand(APPROVAL, 'Show an approval', approvalDetails),
  decide(APPROVAL, 'approve', 'Approve a pending approval', approvalDetails),
  decide(APPROVAL, 'reject', 'Reject a pending approval', approvalDetails),
];
