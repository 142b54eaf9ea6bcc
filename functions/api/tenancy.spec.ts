import { CreateProjectBodySchema, DomainViewSchema, PatchProjectBodySchema, ProjectViewSchema } from '../core/tenancy.ts';
import { CREATED, can, domainFilter, type GroupSpec, NO_CONTENT, named, OK, PAGE } from './spec.ts';

const DOMAIN = named('DomainView', DomainViewSchema);
const PROJECT = named('ProjectView', ProjectViewSchema);

export const tenancySpec = {
  // Lists keep the rows the caller may read rather than refusing.
  listDomains: { summary: 'List domains', authorization: can('read', 'Domain'), answers: PAGE(DOMAIN), list: {} },
  getDomain: { summary: 'Get a domain', authorization: can('read', 'Domain'), answers: OK(DOMAIN) },
  createProject: {
    summary: 'Create a project',
    authorization: can('manage', 'Domain'),
    body: named('CreateProjectBody', CreateProjectBodySchema),
    answers: CREATED(PROJECT),
    location: true,
  },
  // A caller from outside the domain also needs read on the domain itself.
  listProjects: {
    summary: "List a domain's projects",
    authorization: can('read', 'Project'),
    answers: PAGE(PROJECT),
    list: { domain_id: domainFilter("The domain (default: the caller's).") },
  },
  getProject: { summary: 'Get a project', authorization: can('read', 'Project'), answers: OK(PROJECT) },
  patchProject: {
    summary: 'Rename or describe a project',
    authorization: can('manage', 'Project'),
    body: named('PatchProjectBody', PatchProjectBodySchema),
    answers: OK(PROJECT),
  },
  deleteProject: { summary: 'Delete an empty project', authorization: can('delete', 'Project'), answers: NO_CONTENT },
} satisfies GroupSpec;
