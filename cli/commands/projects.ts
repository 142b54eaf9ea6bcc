// Projects: the project owner's containers for Resources.
import type { projectView } from '../../functions/core/tenancy.ts';
import { type Command, boolFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { details, table } from '../render.ts';
import { checkBody, LIST_FLAGS, listItems, moreHint, result, seg } from './shared.ts';

type ProjectView = ReturnType<typeof projectView>;

function projectDetails(p: ProjectView): string {
  return details([
    ['ID', p.id],
    ['Slug', p.slug],
    ['Name', p.name],
    ['Description', p.description],
    ['Domain', p.domain_id],
    ['Owner', p.owner_id],
    ['Created', p.created_at],
    ['Updated', p.updated_at],
  ]);
}

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
    const project = (await ctx.api().post<ProjectView>('/v1/projects', { body })).body;
    return result(project, `Created project ${project.slug}.\n${projectDetails(project)}`);
  },
};

const get: Command = {
  path: ['project', 'get'],
  summary: 'Show a Project',
  positionals: [{ name: 'project-id', description: 'the Project' }],
  async run(ctx, args) {
    const project = (await ctx.api().get<ProjectView>(`/v1/projects/${seg(args.positionals[0] ?? '')}`)).body;
    return result(project, projectDetails(project));
  },
};

const list: Command = {
  path: ['project', 'list'],
  summary: 'List the Projects of a Domain you can read',
  flags: { domain: { type: 'string', placeholder: 'domain-id', description: "the Domain (default: the profile's)" }, ...LIST_FLAGS },
  async run(ctx, args) {
    const body = await listItems<ProjectView>(ctx.api(), '/v1/projects', args, { domain_id: stringFlag(args, 'domain') });
    const rows = table(
      body.items,
      [
        { header: 'ID', value: (p) => p.id },
        { header: 'SLUG', value: (p) => p.slug },
        { header: 'NAME', value: (p) => p.name },
        { header: 'OWNER', value: (p) => p.owner_id },
        { header: 'CREATED', value: (p) => p.created_at },
      ],
      'No projects.',
    );
    return result(body, rows + moreHint(body));
  },
};

const remove: Command = {
  path: ['project', 'delete'],
  summary: 'Delete an empty Project (needs --yes)',
  positionals: [{ name: 'project-id', description: 'the Project' }],
  flags: { yes: { type: 'boolean', description: 'confirm: the Project is deleted for good' } },
  async run(ctx, args) {
    const id = args.positionals[0] ?? '';
    if (!boolFlag(args, 'yes')) throw new UsageError(`project delete is permanent; add --yes to delete project ${id}`, 'project delete');
    await ctx.api().delete(`/v1/projects/${seg(id)}`);
    return result({ id, deleted: true }, `Deleted project ${id}.\n`);
  },
};

export const PROJECT_COMMANDS: readonly Command[] = [create, get, list, remove];
