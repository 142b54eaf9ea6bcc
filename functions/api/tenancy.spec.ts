import {
  CreateProjectBodySchema,
  DomainViewSchema,
  PatchProjectBodySchema,
  ProjectViewSchema,
  TransferOwnerBodySchema,
} from '../core/tenancy.ts';
import { can, creates, domainFilter, type GroupSpec, lists, NO_CONTENT, named, reads, withBody } from './spec.ts';

const DOMAIN = named('DomainView', DomainViewSchema);
const PROJECT = named('ProjectView', ProjectViewSchema);

export const tenancySpec = {
  // Lists keep the rows the caller may read rather than refusing.
  listDomains: lists('List domains', can('read', 'Domain'), DOMAIN),
  getDomain: reads('Get a domain', can('read', 'Domain'), DOMAIN),
  createProject: creates('Create a project', can('manage', 'Domain'), named('CreateProjectBody', CreateProjectBodySchema), PROJECT),
  // A caller from outside the domain also needs read on the domain itself.
  listProjects: lists("List a domain's projects", can('read', 'Project'), PROJECT, {
    domain_id: domainFilter("The domain (default: the caller's)."),
  }),
  getProject: reads('Get a project', can('read', 'Project'), PROJECT),
  patchProject: withBody(
    'Rename or describe a project',
    can('manage', 'Project'),
    named('PatchProjectBody', PatchProjectBodySchema),
    PROJECT,
  ),
  deleteProject: { summary: 'Delete an empty project', authorization: can('delete', 'Project'), answers: NO_CONTENT },
  // The current owner (while it may own projects in the domain) or a domain admin; 422 owner_not_eligible, 409 project_owner_changed.
  transferProject: withBody(
    'Hand a project to another owner',
    can('transfer', 'Project'),
    named('TransferOwnerBody', TransferOwnerBodySchema),
    PROJECT,
  ),
} satisfies GroupSpec;
