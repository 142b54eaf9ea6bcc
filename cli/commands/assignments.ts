// Two-party credential assignments with the terms they grant, and the same decisions through the
// approvals queue.
import type { approvalView } from '../../functions/core/assignments/approvals.ts';
import type { assignmentView } from '../../functions/core/assignments/assignment.ts';
import { type Args, boolFlag, type Command, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { detailsOf, type Field } from './fields.ts';
import { checkBody, getCommand, idArg, listCommand, type Noun, result, seg } from './shared.ts';
import { liveUsage, overlay, TERMS_FLAGS, termsFields, termsFromFlags, type WithTerms } from './terms.ts';

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
  ...termsFields<AssignmentView>((a) => a.state === 'approved' || a.state === 'revoked'),
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
  ...termsFields<ApprovalView>((a) => a.state === 'approved'),
  'created_at',
  'expires_at',
]);

const REASON = { reason: { type: 'string' as const, placeholder: 'text', required: true, description: 'why (recorded in the audit trail)' } };

/** How given terms flags combine with the terms already there, said once for every command that takes them. */
const OVERLAY_HELP = 'Terms flags replace only the limits they name; the others stay as they are (limits can only narrow).';

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
    ...TERMS_FLAGS,
  },
  description: 'Terms flags propose limits on what the Project may spend; the owner grants them or narrower ones.',
  examples: [
    'ASSIGNMENT_ID=$(plexctl credential assignment request --project-id "$PROJECT_ID" --cloud-credential-id "$CREDENTIAL_ID" --output json | jq -r \'.id\')',
    'plexctl credential assignment request --project-id "$PROJECT_ID" --cloud-credential-id "$CREDENTIAL_ID" --max-live 5 --max-lease 7d',
  ],
  async run(ctx, args) {
    const name = 'credential assignment request';
    const projectId = stringFlag(args, 'project-id') ?? '';
    const terms = await termsFromFlags(args, name);
    const { RequestAssignmentBodySchema } = await import('../../functions/core/assignments/use-cases.ts');
    const body = checkBody(
      RequestAssignmentBodySchema,
      { cloud_credential_id: stringFlag(args, 'cloud-credential-id'), ...(terms && { terms }) },
      { cloud_credential_id: '--cloud-credential-id' },
      name,
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
  columns: ['id', 'state', 'materialised', 'cloud_credential_id', ['Live resources', liveUsage], 'updated_at'],
  empty: 'No credential assignments.',
});

/** `<noun> reject <id> --reason R`. */
function reject<T>(noun: Noun, summary: string, render: (item: T) => string): Command {
  const name = [...noun.words, 'reject'].join(' ');
  return {
    path: [...noun.words, 'reject'],
    summary,
    positionals: idArg(noun),
    flags: REASON,
    async run(ctx, args) {
      const body = await reasonBody(args, name);
      const item = (await ctx.api().post<T>(`${noun.endpoint}/${seg(args.positionals[0] ?? '')}/reject`, { body })).body;
      return result(item, render(item));
    },
  };
}

/**
 * `<noun> approve <id> [terms flags] [--reason R]`: with no terms flags the proposed terms are
 * granted; with some, the proposed terms are read and the flags overlay them.
 */
function approve<T extends WithTerms>(noun: Noun, summary: string, render: (item: T) => string): Command {
  const name = [...noun.words, 'approve'].join(' ');
  return {
    path: [...noun.words, 'approve'],
    summary,
    description: `Without terms flags it grants the terms the request proposed (none: no limits).\n${OVERLAY_HELP}`,
    positionals: idArg(noun),
    flags: { ...TERMS_FLAGS, reason: { type: 'string', placeholder: 'text', description: 'why (recorded in the audit trail)' } },
    examples: [`plexctl ${name} "$ASSIGNMENT_ID" --profile operator`, `plexctl ${name} "$ASSIGNMENT_ID" --max-live 2 --max-lease 8h --profile operator`],
    async run(ctx, args) {
      const given = await termsFromFlags(args, name);
      const reason = stringFlag(args, 'reason');
      const { ApproveBodySchema } = await import('../../functions/core/assignments/use-cases.ts');
      checkBody(ApproveBodySchema, { ...(reason !== undefined && { reason }) }, { reason: '--reason' }, name);
      const path = `${noun.endpoint}/${seg(args.positionals[0] ?? '')}`;
      const api = ctx.api();
      const terms = given && overlay((await api.get<T>(path)).body.proposed_terms, given);
      const body = { ...(terms && { terms }), ...(reason !== undefined && { reason }) };
      // No flags, no body: the broker grants what was proposed.
      const item = (await api.post<T>(`${path}/approve`, Object.keys(body).length ? { body } : {})).body;
      return result(item, render(item));
    },
  };
}

const narrow: Command = {
  path: ['credential', 'assignment', 'narrow'],
  summary: "Narrow an approved assignment's terms (its credential's owner; running Resources are untouched)",
  description: `${OVERLAY_HELP}\nNarrowing below what is live blocks new Resources until enough are gone.`,
  positionals: idArg(ASSIGNMENT),
  flags: TERMS_FLAGS,
  examples: ['plexctl credential assignment narrow "$ASSIGNMENT_ID" --max-live 1 --profile operator'],
  async run(ctx, args) {
    const name = 'credential assignment narrow';
    const given = await termsFromFlags(args, name);
    if (!given) throw new UsageError(`${name} needs at least one of --max-live, --max-lease or --allow-version`, name);
    const path = `${ASSIGNMENT.endpoint}/${seg(args.positionals[0] ?? '')}`;
    const api = ctx.api();
    const terms = overlay((await api.get<AssignmentView>(path)).body.terms, given);
    const a = (await api.patch<AssignmentView>(path, { body: { terms } })).body;
    return result(a, `Terms narrowed.\n${assignmentDetails(a)}`);
  },
};

const revoke: Command = {
  path: ['credential', 'assignment', 'revoke'],
  summary: 'Revoke an approved assignment: no new Resources; with --teardown its running ones are torn down too',
  description: 'Without --teardown, running Resources keep their pinned credential handle until their leases end.',
  positionals: idArg(ASSIGNMENT),
  flags: { ...REASON, teardown: { type: 'boolean', description: "also tear down the assignment's running Resources" } },
  examples: ['plexctl credential assignment revoke "$ASSIGNMENT_ID" --reason "project closed" --teardown --profile operator'],
  async run(ctx, args) {
    const name = 'credential assignment revoke';
    const teardown = boolFlag(args, 'teardown');
    const { RevokeBodySchema } = await import('../../functions/core/assignments/use-cases.ts');
    const body = checkBody(RevokeBodySchema, { reason: stringFlag(args, 'reason'), teardown }, { reason: '--reason' }, name);
    const a = (await ctx.api().post<AssignmentView>(`${ASSIGNMENT.endpoint}/${seg(args.positionals[0] ?? '')}/revoke`, { body })).body;
    const after = teardown
      ? `its running Resources are being torn down (plexctl resource list --project-id ${a.project_id})`
      : 'its running Resources keep running until their leases end';
    return result(a, `Revoked; ${after}.\n${assignmentDetails(a)}`);
  },
};

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
  getCommand(ASSIGNMENT, 'Show a credential assignment, its terms and how much of them is in use', assignmentDetails),
  approve<AssignmentView>(
    ASSIGNMENT,
    'Approve a requested assignment, with its terms (only the credential owner may; never your own request)',
    assignmentDetails,
  ),
  reject(ASSIGNMENT, 'Reject a requested assignment', assignmentDetails),
  narrow,
  revoke,
  approvalList,
  getCommand(APPROVAL, 'Show an approval', approvalDetails),
  approve<ApprovalView>(APPROVAL, 'Approve a pending approval, with its terms', approvalDetails),
  reject(APPROVAL, 'Reject a pending approval', approvalDetails),
];
