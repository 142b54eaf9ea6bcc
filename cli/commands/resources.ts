// Resources: declare a provisioned Resource, read it, list them, tear it down.
import type { resourceView } from '../../functions/core/resources.ts';
import { type Command, boolFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { cell, details, duration, table, titleCase } from '../render.ts';
import { checkBody, getCommand, idArg, listCommand, type Noun, result, seg } from './shared.ts';

export type ResourceView = ReturnType<typeof resourceView>;

const RESOURCE: Noun = { words: ['resource'], label: 'Resource', endpoint: '/v1/resources' };

export function resourceDetails(r: ResourceView): string {
  const p = r.provisioning;
  const head = details([
    ['ID', r.id],
    ['Kind', r.kind],
    ['Origin', titleCase(r.origin)],
    ['Phase', p?.phase],
    ['Reason', p?.reason],
    ['Waiting on', p?.waiting_on],
    ['Last error', p?.last_error ? `${p.last_error.code}: ${p.last_error.message}` : undefined],
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

const create: Command = {
  path: ['resource', 'create'],
  summary: 'Declare a provisioned Resource; the broker drives it to Ready (202, asynchronous)',
  flags: {
    'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project (you need deploy on it)' },
    kind: { type: 'string', placeholder: 'kind', required: true, description: 'what it is, e.g. node' },
    'blueprint-version-id': { type: 'string', placeholder: 'id', required: true, description: 'the BlueprintVersion (plexctl blueprint get shows the ids)' },
    'cloud-credential-id': { type: 'string', placeholder: 'id', required: true, description: 'a credential with an approved assignment to the Project' },
    parameters: { type: 'string', placeholder: 'json', description: "a JSON object checked against the version's parameter schema (default {})" },
    'idempotency-key': { type: 'string', placeholder: 'key', description: 'the same key and flags give back the same Resource' },
  },
  examples: [
    'RESOURCE_ID=$(plexctl resource create --project-id "$PROJECT_ID" --kind node \\',
    '  --blueprint-version-id "$VERSION_ID" --cloud-credential-id "$CREDENTIAL_ID" \\',
    "  --parameters '{}' --output json | jq -r '.id')",
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
    const { CreateResourceBodySchema } = await import('../../functions/core/resources.ts');
    const body = checkBody(
      CreateResourceBodySchema,
      {
        origin: 'provisioned',
        kind: stringFlag(args, 'kind'),
        blueprint_version_id: stringFlag(args, 'blueprint-version-id'),
        cloud_credential_id: stringFlag(args, 'cloud-credential-id'),
        parameters,
      },
      { kind: '--kind', blueprint_version_id: '--blueprint-version-id', cloud_credential_id: '--cloud-credential-id', parameters: '--parameters' },
      name,
    );
    const key = stringFlag(args, 'idempotency-key');
    const projectId = stringFlag(args, 'project-id') ?? '';
    const res = await ctx.api().post<ResourceView>(`/v1/projects/${seg(projectId)}/resources`, {
      body,
      ...(key !== undefined && { headers: { 'idempotency-key': key } }),
    });
    const r = res.body;
    const location = res.headers.get('location');
    return result(
      r,
      `Accepted (${res.status}${location ? `, Location ${location}` : ''}): the broker now provisions it.\n${resourceDetails(r)}` +
        `Follow it with: plexctl resource wait ${r.id} --until Ready\n`,
    );
  },
};

const get = getCommand(RESOURCE, 'Show a Resource: its phase, why it is there, and its recorded transitions', resourceDetails, [
  "plexctl resource get \"$RESOURCE_ID\" --output json | jq '{kind, origin, phase: .provisioning.phase}'",
]);

const list = listCommand<ResourceView>({
  path: ['resource', 'list'],
  summary: "List a Project's Resources",
  flags: { 'project-id': { type: 'string', placeholder: 'id', required: true, description: 'the Project' } },
  endpoint: (args) => `/v1/projects/${seg(stringFlag(args, 'project-id') ?? '')}/resources`,
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
    const res = await api.delete(`/v1/resources/${seg(id)}`);
    const after = (await api.get<ResourceView>(`/v1/resources/${seg(id)}`)).body;
    const phase = after.provisioning?.phase;
    return result(
      after,
      `Teardown accepted (${res.status})${phase ? `; the resource is ${phase}` : ''}.\nFollow it with: plexctl resource wait ${id} --until Deleted\n`,
    );
  },
};

export const RESOURCE_COMMANDS: readonly Command[] = [create, get, list, remove];
