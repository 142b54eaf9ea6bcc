// Projects: the project owner's containers for Resources.
import type { projectView } from '../../functions/core/tenancy.ts';
import { type Command, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { detailsOf } from './fields.ts';
import { byId, checkBody, deleteCommand, getCommand, idArg, listCommand, noun, result } from './shared.ts';

type ProjectView = ReturnType<typeof projectView>;

const PROJECT = noun(['project'], 'Project', '/v1/projects/{id}');

const projectDetails = detailsOf<ProjectView>(['id', 'slug', 'name', 'description', 'domain_id', 'owner_id', 'created_at', 'updated_at']);

const create: Command = {
  path: ['project', 'create'],
  summary: 'Create a Project in a Domain (you become its owner)',
  flags: {
    domain: { type: 'string', placeholder: 'domain-id', description: "the Domain (default: the profile's)" },
    slug: { type: 'string', placeholder: 'slug', required: true, description: 'lowercase letters, digits and dashes; unique in the Domain' },
    'display-name': { type: 'string', placeholder: 'name', required: true, description: 'the name people see' },
    description: { type: 'string', placeholder: 'text', description: 'what the Project is for' },
  },
  examples: ['PROJECT_ID=$(plexctl project create --domain "$DOMAIN_ID" --slug provision-demo --display-name "Provision demo" --output json | jq -r \'.id\')'],
  async run(ctx, args) {
    const domainId = stringFlag(args, 'domain') ?? ctx.profile()?.domain_id;
    if (!domainId) throw new UsageError('project create needs --domain <domain-id>', 'project create');
    const description = stringFlag(args, 'description');
    const { CreateProjectBodySchema } = await import('../../functions/core/tenancy.ts');
    const body = checkBody(
      CreateProjectBodySchema,
      { domain_id: domainId, name: stringFlag(args, 'display-name'), slug: stringFlag(args, 'slug'), ...(description !== undefined && { description }) },
      { domain_id: '--domain', name: '--display-name', slug: '--slug', description: '--description' },
      'project create',
    );
    const project = (await ctx.api().POST('/v1/projects', { body })).body;
    return result(project, `Created project ${project.slug}.\n${projectDetails(project)}`);
  },
};

const get = getCommand(PROJECT, 'Show a Project', projectDetails);

const list = listCommand({
  path: ['project', 'list'],
  summary: 'List the Projects of a Domain you can read',
  flags: { domain: { type: 'string', placeholder: 'domain-id', description: "the Domain (default: the profile's)" } },
  endpoint: '/v1/projects',
  params: (args) => ({ query: { domain_id: stringFlag(args, 'domain') } }),
  columns: ['id', 'slug', 'name', 'owner_id', 'created_at'],
  empty: 'No projects.',
});

const remove = deleteCommand(PROJECT, 'Delete an empty Project (needs --yes)');

const transfer: Command = {
  path: ['project', 'transfer'],
  summary: 'Hand a Project to another owner (its owner or a Domain admin)',
  description:
    "The new owner must hold the admin or member role in the Project's Domain. An owner keeps owner rights only while holding such a role there.",
  positionals: idArg(PROJECT),
  flags: { to: { type: 'string', placeholder: 'user-id', required: true, description: 'the new owner' } },
  examples: ['plexctl project transfer "$PROJECT_ID" --to "$USER_ID"'],
  async run(ctx, args) {
    const { TransferOwnerBodySchema } = await import('../../functions/core/tenancy.ts');
    const body = checkBody(TransferOwnerBodySchema, { user_id: stringFlag(args, 'to') }, { user_id: '--to' }, 'project transfer');
    const project = (await ctx.api().POST('/v1/projects/{id}/owner', { ...byId(args.positionals[0] ?? ''), body })).body;
    return result(project, `Project ${project.slug} now belongs to ${project.owner_id}.\n${projectDetails(project)}`);
  },
};

export const PROJECT_COMMANDS: readonly Command[] = [create, get, list, remove, transfer];
