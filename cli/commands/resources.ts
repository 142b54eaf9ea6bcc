// Resources: declare a provisioned Resource (or only plan it), read it, list them, move its lease,
// tear it down.
import type { resourceView } from '../../functions/core/resources.ts';
import { type Command, boolFlag, stringFlag } from '../command.ts';
import { parseDuration, parseSeconds } from '../duration.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { cell, details, duration, json, table, titleCase } from '../render.ts';
import { type CreatePlanView, leaseEnd, leasePairs, planDetails } from './leases.ts';
import { byId, checkBody, getCommand, idArg, listCommand, noun, result } from './shared.ts';

export type ResourceView = ReturnType<typeof resourceView>;

const RESOURCE = noun(['resource'], 'Resource', '/v1/resources/{id}');

export function resourceDetails(r: ResourceView, now: Date = new Date()): string {
  const p = r.provisioning;
  const head = details([
    ['ID', r.id],
    ['Kind', r.kind],
    ['Origin', titleCase(r.origin)],
    ['Phase', p?.phase],
    ['Reason', p?.reason],
    ['Reason code', p?.reason_code],
    ['Waiting on', p?.waiting_on],
    ['Last error', p?.last_error ? `${p.last_error.code}: ${p.last_error.message}` : undefined],
    ...leasePairs(r.lease, now),
    ['Project', r.project_id],
    ['Domain', r.domain_id],
    ['Blueprint version', r.blueprint_version_id],
    ['Cloud credential', r.cloud_credential_id],
    ['External ref', r.external_ref],
    ['Instance', p?.substrate?.instance_id ? `${p.substrate.instance_id} (${cell(p.substrate.state)})` : undefined],
    ['Node', p?.node ? `${p.node.node_id} (mesh ${p.node.mesh_ip})` : undefined],
    ['Created', r.created_at],
    ['Updated', r.updated_at],
  ]);
  if (!p?.transitions.length) return head;
  const rows = p.transitions.map((t, i) => ({ ...t, next: p.transitions[i + 1]?.at }));
  const timeline = table(rows, [
    { header: 'PHASE', value: (t) => t.phase },
    { header: 'SINCE', value: (t) => t.at },
    { header: 'FOR', value: (t) => (t.next ? duration(Date.parse(t.next) - Date.parse(t.at)) : '(current)') },
  ]);
  return `${head}\nTransitions:\n${timeline}`;
}

/** A dry run's answer (200), not a Resource (201, 202). */
function isPlan(body: CreatePlanView | ResourceView): body is CreatePlanView {
  return 'allowed' in body;
}

const create: Command = {
  path: ['resource', 'create'],
  summary: 'Declare a provisioned Resource; the broker drives it to Ready (202, asynchronous)',
  description: [
    "--lease sets how long it lives before the broker tears it down (default: the assignment's longest lease,",
    "else the broker's default); plexctl resource extend moves the end later, up to the terms' ceiling.",
    '--dry-run asks the broker whether it would accept the create, and stores nothing: it prints the plan',
    `(allowed or not, every reason, the quota, the lease) and exits ${EXIT.ok} when allowed, ${EXIT.planRefused} when not.`,
  ].join('\n'),
  flags: {
    'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project (you need deploy on it)' },
    kind: { type: 'string', placeholder: 'kind', required: true, description: 'what it is, e.g. node' },
    'blueprint-version-id': { type: 'string', placeholder: 'id', required: true, description: 'the BlueprintVersion (plexctl blueprint get shows the ids)' },
    'cloud-credential-id': { type: 'string', placeholder: 'id', required: true, description: 'a credential with an approved assignment to the Project' },
    parameters: { type: 'string', placeholder: 'json', description: "a JSON object checked against the version's parameter schema (default {})" },
    lease: { type: 'string', placeholder: 'duration', description: 'how long it may live, e.g. 2h, 7d or 1h30m (at least 1m)' },
    'dry-run': { type: 'boolean', description: 'only ask whether the broker would accept it; nothing is created' },
    'idempotency-key': { type: 'string', placeholder: 'key', description: 'the same key and flags give back the same Resource' },
  },
  examples: [
    'RESOURCE_ID=$(plexctl resource create --project-id "$PROJECT_ID" --kind node \\',
    '  --blueprint-version-id "$VERSION_ID" --cloud-credential-id "$CREDENTIAL_ID" \\',
    "  --parameters '{}' --lease 8h --output json | jq -r '.id')",
    'plexctl resource create --project-id "$PROJECT_ID" --kind node --blueprint-version-id "$VERSION_ID" \\',
    '  --cloud-credential-id "$CREDENTIAL_ID" --lease 2h --dry-run',
  ],
  async run(ctx, args) {
    const name = 'resource create';
    const rawParameters = stringFlag(args, 'parameters') ?? '{}';
    let parameters: unknown;
    try {
      parameters = JSON.parse(rawParameters);
    } catch {
      throw new UsageError(`--parameters must be a JSON object such as '{}' or '{"size": 2}', not ${rawParameters}`, name);
    }
    if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) {
      throw new UsageError(`--parameters must be a JSON object such as '{}', not ${rawParameters}`, name);
    }
    const lease = stringFlag(args, 'lease');
    const { CreateResourceBodySchema } = await import('../../functions/core/resources.ts');
    const body = checkBody(
      CreateResourceBodySchema,
      {
        origin: 'provisioned',
        kind: stringFlag(args, 'kind'),
        blueprint_version_id: stringFlag(args, 'blueprint-version-id'),
        cloud_credential_id: stringFlag(args, 'cloud-credential-id'),
        parameters,
        ...(lease !== undefined && { lease_seconds: parseSeconds(lease, '--lease', name) }),
      },
      {
        kind: '--kind',
        blueprint_version_id: '--blueprint-version-id',
        cloud_credential_id: '--cloud-credential-id',
        parameters: '--parameters',
        lease_seconds: '--lease',
      },
      name,
    );
    const key = stringFlag(args, 'idempotency-key');
    const projectId = stringFlag(args, 'project-id') ?? '';
    const now = new Date(ctx.now());
    if (boolFlag(args, 'dry-run')) {
      const answer = await ctx.api().POST('/v1/projects/{id}/resources', { params: { path: { id: projectId }, query: { dry_run: true } }, body });
      const plan = answer.body;
      if (!isPlan(plan)) throw new CliError(`the broker answered a dry run with ${answer.status} and no plan`, EXIT.other, 'bad_answer');
      if (plan.allowed) return result(plan, planDetails(plan, now));
      // Refused: the plan is the answer scripts and people want, and the exit code says "no".
      ctx.out(ctx.output === 'json' ? json(plan) : planDetails(plan, now));
      const codes = plan.reasons.map((r) => r.code).join(', ');
      throw new CliError(`the broker would refuse this create (${codes}); nothing was stored`, EXIT.planRefused, 'create_refused');
    }
    const res = await ctx.api().POST('/v1/projects/{id}/resources', {
      params: { path: { id: projectId }, ...(key !== undefined && { header: { 'Idempotency-Key': key } }) },
      body,
    });
    const r = res.body;
    if (isPlan(r)) throw new CliError(`the broker answered a create with ${res.status} and a plan`, EXIT.other, 'bad_answer');
    const location = res.headers.get('location');
    return result(
      r,
      `Accepted (${res.status}${location ? `, Location ${location}` : ''}): the broker now provisions it.\n${resourceDetails(r, now)}` +
        `Follow it with: plexctl resource wait ${r.id} --until Ready\n`,
    );
  },
};

const get = getCommand(RESOURCE, 'Show a Resource: its phase, why it is there, its lease, and its recorded transitions', resourceDetails, [
  "plexctl resource get \"$RESOURCE_ID\" --output json | jq '{kind, origin, phase: .provisioning.phase}'",
]);

const list = listCommand({
  path: ['resource', 'list'],
  summary: "List a Project's Resources",
  flags: { 'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' } },
  endpoint: '/v1/projects/{id}/resources',
  params: (args) => ({ path: { id: stringFlag(args, 'project-id') ?? '' } }),
  columns: ['id', 'kind', ['Origin', (r) => titleCase(r.origin)], ['Phase', (r) => r.provisioning?.phase], 'updated_at'],
  empty: 'No resources in this project.',
});

const remove: Command = {
  path: ['resource', 'delete'],
  summary: 'Tear a Resource down: node out of the mesh, then the substrate (202, asynchronous; needs --yes)',
  positionals: idArg(RESOURCE),
  flags: { yes: { type: 'boolean', description: 'confirm: the node is drained and its machine deleted' } },
  examples: ['plexctl resource delete "$RESOURCE_ID" --yes', 'plexctl resource wait "$RESOURCE_ID" --until Deleted'],
  async run(ctx, args) {
    const id = args.positionals[0] ?? '';
    if (!boolFlag(args, 'yes')) {
      throw new UsageError(`resource delete tears down resource ${id} and deletes its machine; add --yes to confirm`, 'resource delete');
    }
    const api = ctx.api();
    const res = await api.DELETE('/v1/resources/{id}', byId(id));
    const after = (await api.GET('/v1/resources/{id}', byId(id))).body;
    const phase = after.provisioning?.phase;
    return result(
      after,
      `Teardown accepted (${res.status})${phase ? `; the resource is ${phase}` : ''}.\nFollow it with: plexctl resource wait ${id} --until Deleted\n`,
    );
  },
};

const extend: Command = {
  path: ['resource', 'extend'],
  summary: "Move a Resource's lease end: later by a duration (--by), or to a time (--to)",
  description: [
    '--by adds to the lease end as it stands (read first); --to sets the end outright, earlier or later.',
    "The end can be no sooner than a minute from now and no later than the lease's ceiling, which the",
    "assignment's terms fixed (plexctl resource get shows both); past it the broker refuses with lease_beyond_terms.",
  ].join('\n'),
  positionals: idArg(RESOURCE),
  flags: {
    by: { type: 'string', placeholder: 'duration', description: 'add this to the current lease end, e.g. 1h, 30m or 2d' },
    to: { type: 'string', placeholder: 'time', description: 'the new lease end, an ISO 8601 time such as 2030-01-31T18:00:00Z' },
  },
  examples: ['plexctl resource extend "$RESOURCE_ID" --by 1h', 'plexctl resource extend "$RESOURCE_ID" --to 2030-01-31T18:00:00Z'],
  async run(ctx, args) {
    const name = 'resource extend';
    const [by, to] = [stringFlag(args, 'by'), stringFlag(args, 'to')];
    if ((by === undefined) === (to === undefined)) throw new UsageError(`${name} needs one of --by <duration> or --to <time>`, name);
    // Both flags are checked before anything is sent.
    const byMs = by === undefined ? 0 : parseDuration(by, '--by', name);
    const { LeaseBodySchema } = await import('../../functions/core/leases.ts');
    const given = to === undefined ? undefined : checkBody(LeaseBodySchema, { expires_at: to }, { expires_at: '--to' }, name);
    const id = args.positionals[0] ?? '';
    const api = ctx.api();
    let body = given;
    if (!body) {
      const lease = (await api.GET('/v1/resources/{id}', byId(id))).body.lease;
      if (!lease) {
        throw new CliError(`resource ${id} has no lease to extend (only a provisioned Resource has one)`, EXIT.conflict, 'resource_not_leasable');
      }
      body = { expires_at: new Date(Date.parse(lease.expires_at) + byMs).toISOString() };
    }
    const r = (await api.POST('/v1/resources/{id}/lease', { ...byId(id), body })).body;
    const now = new Date(ctx.now());
    return result(r, `Lease moved: ${r.lease ? leaseEnd(r.lease, now) : body.expires_at}.\n${resourceDetails(r, now)}`);
  },
};

export const RESOURCE_COMMANDS: readonly Command[] = [create, get, list, extend, remove];
