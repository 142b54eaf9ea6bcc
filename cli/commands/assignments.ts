// Two-party credential assignments with the terms they grant, and the same decisions through the
// approvals queue.
import type { approvalView } from '../../functions/core/assignments/approvals.ts';
import type { assignmentView } from '../../functions/core/assignments/assignment.ts';
import { type Args, boolFlag, type Command, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { detailsOf, type Field } from './fields.ts';
import type { DataOf, PathsWith, QueryOf } from '../../client/broker.ts';
import { byId, checkBody, getCommand, idArg, listCommand, type Noun, noun, result } from './shared.ts';
import { liveUsage, overlay, TERMS_FLAGS, termsFields, termsFromFlags } from './terms.ts';

type AssignmentView = ReturnType<typeof assignmentView>;
type ApprovalView = ReturnType<typeof approvalView>;

const ASSIGNMENT = noun(['credential', 'assignment'], 'assignment', '/v1/credential-assignments/{id}');
const APPROVAL = noun(['approval'], 'approval', '/v1/approvals/{id}');

/** What approve and reject decide (a requested assignment, or the same request in the approvals queue), and where. */
const DECISIONS = {
  '/v1/credential-assignments/{id}': { approve: '/v1/credential-assignments/{id}/approve', reject: '/v1/credential-assignments/{id}/reject' },
  '/v1/approvals/{id}': { approve: '/v1/approvals/{id}/approve', reject: '/v1/approvals/{id}/reject' },
} as const satisfies Record<typeof ASSIGNMENT.path | typeof APPROVAL.path, Record<'approve' | 'reject', PathsWith<'post'>>>;
type Decided = keyof typeof DECISIONS;
type Decision<P extends Decided, D extends 'approve' | 'reject'> = (typeof DECISIONS)[P][D];

/** The states the approvals queue filters on: every one the document lists, and no other. */
type ApprovalStatus = NonNullable<QueryOf<'/v1/approvals', 'get'>['status']>;
const APPROVAL_STATUSES = Object.keys({
  proposed: 0,
  'pending-approval': 0,
  approved: 0,
  rejected: 0,
  expired: 0,
} satisfies Record<ApprovalStatus, 0>) as ApprovalStatus[];

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
    const a = (await ctx.api().POST('/v1/projects/{id}/credential-assignments', { ...byId(projectId), body })).body;
    return result(a, `Requested; the credential's owner approves it.\n${assignmentDetails(a)}`);
  },
};

const list = listCommand({
  path: ['credential', 'assignment', 'list'],
  summary: "List a Project's credential assignments",
  flags: { 'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' } },
  endpoint: '/v1/projects/{id}/credential-assignments',
  params: (args) => byId(stringFlag(args, 'project-id') ?? '').params,
  columns: ['id', 'state', 'materialised', 'cloud_credential_id', ['Live resources', liveUsage], 'updated_at'],
  empty: 'No credential assignments.',
});

/** `<noun> reject <id> --reason R`. */
function reject<P extends Decided>(noun: Noun<P>, summary: string, render: (item: DataOf<Decision<P, 'reject'>, 'post'>) => string): Command {
  const name = [...noun.words, 'reject'].join(' ');
  return {
    path: [...noun.words, 'reject'],
    summary,
    positionals: idArg(noun),
    flags: REASON,
    async run(ctx, args) {
      const body = await reasonBody(args, name);
      // P is generic here, so the call is checked against both reject paths; the answer is P's.
      const answer = await ctx.api().POST<Decision<Decided, 'reject'>>(DECISIONS[noun.path].reject, { ...byId(args.positionals[0] ?? ''), body });
      const item = answer.body as DataOf<Decision<P, 'reject'>, 'post'>;
      return result(item, render(item));
    },
  };
}

/**
 * `<noun> approve <id> [terms flags] [--reason R]`: with no terms flags the proposed terms are
 * granted; with some, the proposed terms are read and the flags overlay them.
 */
function approve<P extends Decided>(noun: Noun<P>, summary: string, render: (item: DataOf<Decision<P, 'approve'>, 'post'>) => string): Command {
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
      const id = byId(args.positionals[0] ?? '');
      const api = ctx.api();
      const terms = given && overlay((await api.GET<Decided>(noun.path, id)).body.proposed_terms, given);
      const body = { ...(terms && { terms }), ...(reason !== undefined && { reason }) };
      // No flags, no body: the broker grants what was proposed. P is generic here, so the call is
      // checked against both approve paths; the answer is P's.
      const answer = await api.POST<Decision<Decided, 'approve'>>(DECISIONS[noun.path].approve, Object.keys(body).length ? { ...id, body } : id);
      const item = answer.body as DataOf<Decision<P, 'approve'>, 'post'>;
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
    const id = byId(args.positionals[0] ?? '');
    const api = ctx.api();
    const terms = overlay((await api.GET('/v1/credential-assignments/{id}', id)).body.terms, given);
    const a = (await api.PATCH('/v1/credential-assignments/{id}', { ...id, body: { terms } })).body;
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
    const a = (await ctx.api().POST('/v1/credential-assignments/{id}/revoke', { ...byId(args.positionals[0] ?? ''), body })).body;
    const after = teardown
      ? `its running Resources are being torn down (plexctl resource list --project-id ${a.project_id})`
      : 'its running Resources keep running until their leases end';
    return result(a, `Revoked; ${after}.\n${assignmentDetails(a)}`);
  },
};

/** --status, one of the states the queue filters on (checked before anything is sent). */
function approvalStatus(args: Args): ApprovalStatus | undefined {
  const status = stringFlag(args, 'status');
  if (status === undefined || status === '') return undefined;
  const known = APPROVAL_STATUSES.find((s) => s === status);
  if (!known) throw new UsageError(`--status takes one of ${APPROVAL_STATUSES.join(', ')}, not "${status}"`, 'approval list');
  return known;
}

const approvalList = listCommand({
  path: ['approval', 'list'],
  summary: 'List the approvals queue (credential assignment requests you can see)',
  flags: {
    status: { type: 'string', placeholder: 'status', description: 'proposed, pending-approval, approved, rejected or expired' },
    kind: { type: 'string', placeholder: 'kind', description: 'e.g. credential_assignment' },
    'domain-id': { type: 'string', placeholder: 'id', description: 'only this Domain' },
  },
  endpoint: '/v1/approvals',
  params: (args) => ({ query: { status: approvalStatus(args), kind: stringFlag(args, 'kind'), domain_id: stringFlag(args, 'domain-id') } }),
  columns: ['id', 'state', 'action_kind', ...approvalPayload, 'created_at'],
  empty: 'Nothing in the approvals queue.',
});

export const ASSIGNMENT_COMMANDS: readonly Command[] = [
  request,
  list,
  getCommand(ASSIGNMENT, 'Show a credential assignment, its terms and how much of them is in use', assignmentDetails),
  approve(
    ASSIGNMENT,
    'Approve a requested assignment, with its terms (only the credential owner may; never your own request)',
    assignmentDetails,
  ),
  reject(ASSIGNMENT, 'Reject a requested assignment', assignmentDetails),
  narrow,
  revoke,
  approvalList,
  getCommand(APPROVAL, 'Show an approval', approvalDetails),
  approve(APPROVAL, 'Approve a pending approval, with its terms', approvalDetails),
  reject(APPROVAL, 'Reject a pending approval', approvalDetails),
];
