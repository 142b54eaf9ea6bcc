import { isAllowed, requireAllowed } from './access.ts';
import { type AuditActor, type AuditLog, record } from './assignments/audit.ts';
import type { Authorizer, AuthzResource, AuthzSubject } from './authz/model.ts';
import type { Clock } from './clock.ts';
import { found, UnprocessableError } from './errors.ts';
import { eventDraft, userActor } from './events/event.ts';
import { newId } from './ids.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { TenancyStore } from './ports.ts';
import { type Domain, ownerDomainsOf, type Project } from './tenancy.ts';

export interface TenancyPorts {
  tenancy: TenancyStore;
  authorizer: Authorizer;
  clock: Clock;
}

export const projectResource = (p: Project): AuthzResource => ({ type: 'Project', id: p.id, domainId: p.domain_id, ownerId: p.owner_id });
const domainResource = (d: Domain): AuthzResource => ({ type: 'Domain', id: d.id });

async function requireDomain(ports: TenancyPorts, domainId: string): Promise<Domain> {
  return found(ports.tenancy.getDomain(domainId), 'domain_not_found', 'The domain does not exist.');
}

export async function getDomain(ports: TenancyPorts, subject: AuthzSubject, domainId: string): Promise<Domain> {
  const domain = await requireDomain(ports, domainId);
  await requireAllowed(ports.authorizer, subject, 'read', domainResource(domain));
  return domain;
}

export async function listDomains(ports: TenancyPorts, subject: AuthzSubject, page: PageRequest): Promise<Page<Domain>> {
  const visible = new Map<string, boolean>();
  for (const id of new Set([...subject.adminOf, ...subject.auditorOf, subject.domainId])) {
    visible.set(id, await isAllowed(ports.authorizer, subject, 'read', { type: 'Domain', id }));
  }
  return ports.tenancy.listDomains(page, (d) => visible.get(d.id) === true);
}

/**
 * Creates a project. Primary course:
 * 1. the domain exists and the caller may manage it;
 * 2. the project is written together with its slug (one transaction), the caller as owner.
 * The owner relation is on the project item itself, so the grant is usable by the next request.
 */
export async function createProject(
  ports: TenancyPorts,
  subject: AuthzSubject,
  input: { domain_id: string; name: string; slug: string; description?: string | undefined; sub_range_cidr?: string | undefined },
): Promise<Project> {
  const domain = await requireDomain(ports, input.domain_id);
  await requireAllowed(ports.authorizer, subject, 'manage', domainResource(domain));
  const now = ports.clock.now();
  const project: Project = {
    id: newId(now.getTime()),
    domain_id: domain.id,
    name: input.name,
    slug: input.slug,
    ...(input.description !== undefined && { description: input.description }),
    ...(input.sub_range_cidr !== undefined && { sub_range_cidr: input.sub_range_cidr }),
    owner_id: subject.userId,
    resource_count: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await ports.tenancy.createProject(project);
  return project;
}

/** Loads a project the caller may act on; a missing project is 404 whoever asks. */
export async function authorizedProject(
  ports: Pick<TenancyPorts, 'tenancy' | 'authorizer'>,
  subject: AuthzSubject,
  projectId: string,
  action: 'read' | 'manage' | 'delete' | 'deploy' | 'transfer',
): Promise<Project> {
  const project = await found(ports.tenancy.getProject(projectId), 'project_not_found', 'The project does not exist.');
  await requireAllowed(ports.authorizer, subject, action, projectResource(project));
  return project;
}

export async function listProjects(
  ports: TenancyPorts,
  subject: AuthzSubject,
  domainId: string,
  page: PageRequest,
): Promise<Page<Project>> {
  const domain = await requireDomain(ports, domainId);
  // A caller with no footing in the domain is refused outright; others see the rows they may read.
  const inDomain = subject.domainId === domain.id || subject.adminOf.includes(domain.id) || subject.auditorOf.includes(domain.id);
  if (!inDomain) await requireAllowed(ports.authorizer, subject, 'read', domainResource(domain));
  const rows = await ports.tenancy.listProjects(domain.id, page, () => true);
  const items: Project[] = [];
  for (const p of rows.items) if (await isAllowed(ports.authorizer, subject, 'read', projectResource(p))) items.push(p);
  return rows.lastId ? { items, lastId: rows.lastId } : { items };
}

export async function patchProject(
  ports: TenancyPorts,
  subject: AuthzSubject,
  projectId: string,
  patch: { name?: string | undefined; description?: string | undefined },
): Promise<Project> {
  await authorizedProject(ports, subject, projectId, 'manage');
  const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  return ports.tenancy.patchProject(projectId, clean, ports.clock.now().toISOString());
}

export async function deleteProject(ports: TenancyPorts, subject: AuthzSubject, projectId: string): Promise<void> {
  const project = await authorizedProject(ports, subject, projectId, 'delete');
  await ports.tenancy.deleteProject(project);
}

/**
 * Hands a project to another owner. Primary course:
 * 1. the caller may transfer it (its owner, while holding a role that may own projects there, or
 *    an admin of its domain);
 * 2. the new owner holds such a role in the project's domain (else 422 owner_not_eligible; an
 *    unknown user answers the same, so the call tells nothing about users elsewhere);
 * 3. one write, conditioned on the owner read in 1, with its event; then the audit entry.
 */
export async function transferProject(
  ports: TenancyPorts & { audit: AuditLog },
  actor: AuditActor & { subject: AuthzSubject },
  projectId: string,
  newOwnerId: string,
): Promise<Project> {
  const project = await authorizedProject(ports, actor.subject, projectId, 'transfer');
  const user = await ports.tenancy.getUser(newOwnerId);
  if (!user || !ownerDomainsOf(user).includes(project.domain_id)) {
    throw new UnprocessableError(
      'owner_not_eligible',
      "The new owner must be a user with the admin or member role in the project's domain.",
    );
  }
  const at = ports.clock.now().toISOString();
  const place = { domain_id: project.domain_id, project_id: project.id, subject: { kind: 'project' as const, id: project.id } };
  const event = eventDraft(place, 'project.owner_changed', at, { from: project.owner_id, to: user.id }, userActor(actor.subject.userId));
  const moved = await ports.tenancy.transferProject(project, user.id, at, event);
  await record(ports, actor, { domainId: project.domain_id, action: 'project.transfer_owner', target: project.id, outcome: 'succeeded' });
  return moved;
}
