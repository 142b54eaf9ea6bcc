// Two-party credential assignments, and the same decisions through the approvals queue.
import type { approvalView } from '../../functions/core/assignments/approvals.ts';
import type { assignmentView } from '../../functions/core/assignments/assignment.ts';
import { type Args, type Command, stringFlag } from '../command.ts';
import type { Context } from '../context.ts';
import { details, table } from '../render.ts';
import { checkBody, LIST_FLAGS, listItems, moreHint, result, seg } from './shared.ts';

type AssignmentView = ReturnType<typeof assignmentView>;
type ApprovalView = ReturnType<typeof approvalView>;

function assignmentDetails(a: AssignmentView): string {
  return details([
    ['ID', a.id],
    ['State', a.state],
    ['Materialised', a.materialised],
    ['Project', a.project_id],
    ['Cloud credential', a.cloud_credential_id],
    ['Requested by', a.requested_by],
    ['Decided by', a.decided_by],
    ['Decision reason', a.decision_reason],
    ['Created', a.created_at],
    ['Updated', a.updated_at],
    ['Expires', a.expires_at],
  ]);
}

function approvalDetails(a: ApprovalView): string {
  return details([
    ['ID', a.id],
    ['State', a.state],
    ['Kind', a.action_kind],
    ['Target', a.target_resource],
    ['Project', a.payload.project_id],
    ['Cloud credential', a.payload.cloud_credential_id],
    ['Proposed by', a.proposer_subject],
    ['Decided by', a.decided_by_subject],
    ['Decision reason', a.decision_reason],
    ['Created', a.created_at],
    ['Expires', a.expires_at],
  ]);
}

const ID = (name: string) => [{ name, description: `the ${name.replace(/-id$/, '').replace('-', ' ')}` }];
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

const list: Command = {
  path: ['credential', 'assignment', 'list'],
  summary: "List a Project's credential assignments",
  flags: { 'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' }, ...LIST_FLAGS },
  async run(ctx, args) {
    const projectId = stringFlag(args, 'project-id') ?? '';
    const body = await listItems<AssignmentView>(ctx.api(), `/v1/projects/${seg(projectId)}/credential-assignments`, args);
    const rows = table(
      body.items,
      [
        { header: 'ID', value: (a) => a.id },
        { header: 'STATE', value: (a) => a.state },
        { header: 'MATERIALISED', value: (a) => a.materialised },
        { header: 'CLOUD CREDENTIAL', value: (a) => a.cloud_credential_id },
        { header: 'UPDATED', value: (a) => a.updated_at },
      ],
      'No credential assignments.',
    );
    return result(body, rows + moreHint(body));
  },
};

const get: Command = {
  path: ['credential', 'assignment', 'get'],
  summary: 'Show a credential assignment',
  positionals: ID('assignment-id'),
  async run(ctx, args) {
    const a = (await ctx.api().get<AssignmentView>(`/v1/credential-assignments/${seg(args.positionals[0] ?? '')}`)).body;
    return result(a, assignmentDetails(a));
  },
};

function decide(decision: 'approve' | 'reject' | 'revoke', summary: string): Command {
  const name = `credential assignment ${decision}`;
  return {
    path: ['credential', 'assignment', decision],
    summary,
    positionals: ID('assignment-id'),
    ...(decision !== 'approve' && { flags: REASON }),
    async run(ctx: Context, args: Args) {
      const body = decision === 'approve' ? undefined : await reasonBody(args, name);
      const id = args.positionals[0] ?? '';
      const a = (await ctx.api().post<AssignmentView>(`/v1/credential-assignments/${seg(id)}/${decision}`, body ? { body } : {})).body;
      return result(a, assignmentDetails(a));
    },
  };
}

const approvalList: Command = {
  path: ['approval', 'list'],
  summary: 'List the approvals queue (credential assignment requests you can see)',
  flags: {
    status: { type: 'string', placeholder: 'status', description: 'proposed, pending-approval, approved, rejected or expired' },
    kind: { type: 'string', placeholder: 'kind', description: 'e.g. credential_assignment' },
    'domain-id': { type: 'string', placeholder: 'id', description: 'only this Domain' },
    ...LIST_FLAGS,
  },
  async run(ctx, args) {
    const query = { status: stringFlag(args, 'status'), kind: stringFlag(args, 'kind'), domain_id: stringFlag(args, 'domain-id') };
    const body = await listItems<ApprovalView>(ctx.api(), '/v1/approvals', args, query);
    const rows = table(
      body.items,
      [
        { header: 'ID', value: (a) => a.id },
        { header: 'STATE', value: (a) => a.state },
        { header: 'KIND', value: (a) => a.action_kind },
        { header: 'PROJECT', value: (a) => a.payload.project_id },
        { header: 'CLOUD CREDENTIAL', value: (a) => a.payload.cloud_credential_id },
        { header: 'CREATED', value: (a) => a.created_at },
      ],
      'Nothing in the approvals queue.',
    );
    return result(body, rows + moreHint(body));
  },
};

const approvalGet: Command = {
  path: ['approval', 'get'],
  summary: 'Show an approval',
  positionals: ID('approval-id'),
  async run(ctx, args) {
    const a = (await ctx.api().get<ApprovalView>(`/v1/approvals/${seg(args.positionals[0] ?? '')}`)).body;
    return result(a, approvalDetails(a));
  },
};

function decideApproval(decision: 'approve' | 'reject', summary: string): Command {
  const name = `approval ${decision}`;
  return {
    path: ['approval', decision],
    summary,
    positionals: ID('approval-id'),
    ...(decision === 'reject' && { flags: REASON }),
    async run(ctx: Context, args: Args) {
      const body = decision === 'reject' ? await reasonBody(args, name) : undefined;
      const id = args.positionals[0] ?? '';
      const a = (await ctx.api().post<ApprovalView>(`/v1/approvals/${seg(id)}/${decision}`, body ? { body } : {})).body;
      return result(a, approvalDetails(a));
    },
  };
}

export const ASSIGNMENT_COMMANDS: readonly Command[] = [
  request,
  list,
  get,
  decide('approve', 'Approve a requested assignment (only the credential owner may; never your own request)'),
  decide('reject', 'Reject a requested assignment'),
  decide('revoke', 'Revoke an approved assignment (running Resources keep their pinned handle)'),
  approvalList,
  approvalGet,
  decideApproval('approve', 'Approve a pending approval'),
  decideApproval('reject', 'Reject a pending approval'),
];
