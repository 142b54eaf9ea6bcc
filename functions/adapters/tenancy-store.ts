import { type Clock, systemClock } from '../core/clock.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import type { TenancyStore } from '../core/ports.ts';
import { type Domain, DomainSchema, IdpBindingSchema, type Project, ProjectSchema, UserSchema } from '../core/tenancy.ts';
import { createClaimed } from './dynamo/claims.ts';
import { keys, listSortKey } from './dynamo/keys.ts';
import type { Table } from './dynamo/table.ts';
import { z } from 'zod';

const PointerSchema = z.object({ id: z.string() });

export class DynamoTenancyStore implements TenancyStore {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  getDomain(id: string) {
    return this.table.get(keys.domain(id), DomainSchema);
  }

  listDomains(page: PageRequest, visible: (d: Domain) => boolean): Promise<Page<Domain>> {
    return this.table.listPage(keys.domainList().GSI1PK, DomainSchema, { ...page, filter: visible });
  }

  async listIdpBindings(domainId: string) {
    return this.table.queryPartition(keys.domain(domainId).PK, keys.idpBindingPrefix, IdpBindingSchema);
  }

  getIdpBinding(domainId: string, bindingId: string) {
    return this.table.get(keys.idpBinding(domainId, bindingId), IdpBindingSchema);
  }

  getUser(id: string) {
    return this.table.get(keys.user(id), UserSchema);
  }

  async findUserByEmail(domainId: string, email: string) {
    const pointer = await this.table.get(keys.userEmail(domainId, email), PointerSchema);
    return pointer ? this.getUser(pointer.id) : undefined;
  }

  async createProject(project: Project): Promise<void> {
    // The slug claim comes first: a crash after it leaves no visible project, and a retry with
    // the same id finds its own claim and finishes the write. A claim whose project is not written
    // yet is held until stale (./dynamo/claims.ts), so two creates of one slug cannot both land.
    await createClaimed({
      table: this.table,
      key: keys.projectSlug(project.domain_id, project.slug),
      id: project.id,
      now: this.clock.now().getTime(),
      standing: async (id) => ((await this.getProject(id)) ? 'holds' : 'missing'),
      conflict: () => new ConflictError('project_slug_conflict', `A project with slug "${project.slug}" already exists in this domain.`),
      write: async () => {
        const written = await this.table.putNew({
          ...keys.project(project.id),
          ...keys.projectList(project.domain_id),
          ...listSortKey(project.id),
          ...project,
        });
        if (!written) throw new ConflictError('project_exists', 'A project with this id already exists.');
      },
      // Our claim was taken over while we wrote: the project was never acknowledged, remove it.
      undo: async () => {
        await this.table.delete(keys.project(project.id));
      },
    });
  }

  getProject(id: string) {
    return this.table.get(keys.project(id), ProjectSchema);
  }

  listProjects(domainId: string, page: PageRequest, visible: (p: Project) => boolean): Promise<Page<Project>> {
    return this.table.listPage(keys.projectList(domainId).GSI1PK, ProjectSchema, { ...page, filter: visible });
  }

  async patchProject(id: string, patch: { name?: string; description?: string }, updatedAt: string): Promise<Project> {
    const fields = { ...patch, updated_at: updatedAt };
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    const updated = await this.table.update({
      Key: keys.project(id),
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
    });
    if (!updated) throw new NotFoundError('project_not_found', 'The project does not exist.');
    return (await this.getProject(id)) as Project;
  }

  async deleteProject(project: Project): Promise<void> {
    // The resource counter lives on the project item, so this one conditional delete is the guard.
    const deleted = await this.table.delete(keys.project(project.id), {
      expression: 'attribute_exists(PK) AND resource_count = :zero',
      values: { ':zero': 0 },
    });
    if (!deleted) {
      const current = await this.getProject(project.id);
      if (!current) throw new NotFoundError('project_not_found', 'The project does not exist.');
      throw new ConflictError('project_not_empty', 'The project still has resources; delete them first.');
    }
    // Release the slug only after the project is gone; a crash here leaves a claim without its
    // project, which the next create of that slug takes over once it is stale.
    await this.table.delete(keys.projectSlug(project.domain_id, project.slug), {
      expression: 'id = :id',
      values: { ':id': project.id },
    });
  }
}
