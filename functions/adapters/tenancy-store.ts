import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import type { TenancyStore } from '../core/ports.ts';
import { type Domain, DomainSchema, IdpBindingSchema, type Project, ProjectSchema, UserSchema } from '../core/tenancy.ts';
import { keys, listSortKey } from './dynamo/keys.ts';
import { setFields, type Table } from './dynamo/table.ts';
import { createNamed, holderOutcome, releaseNameAction } from './dynamo/unique-names.ts';
import type { EventDraft } from '../core/events/event.ts';
import { transactWithEvents } from './event-log.ts';
import * as z from 'zod';

const PointerSchema = z.object({ id: z.string() });

export class DynamoTenancyStore implements TenancyStore {
  constructor(private readonly table: Table) {}

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

  createProject(project: Project): Promise<void> {
    const item = { ...keys.project(project.id), ...keys.projectList(project.domain_id), ...listSortKey(project.id) };
    return createNamed(
      this.table,
      'project',
      project,
      { slug: keys.projectSlug(project.domain_id, project.slug), item },
      ' in this domain',
    );
  }

  getProject(id: string) {
    return this.table.get(keys.project(id), ProjectSchema);
  }

  listProjects(domainId: string, page: PageRequest, visible: (p: Project) => boolean): Promise<Page<Project>> {
    return this.table.listPage(keys.projectList(domainId).GSI1PK, ProjectSchema, { ...page, filter: visible });
  }

  async patchProject(id: string, patch: { name?: string; description?: string }, updatedAt: string): Promise<Project> {
    const updated = await this.table.update({
      Key: keys.project(id),
      ConditionExpression: 'attribute_exists(PK)',
      ...setFields({ ...patch, updated_at: updatedAt }),
    });
    if (!updated) throw new NotFoundError('project_not_found', 'The project does not exist.');
    return (await this.getProject(id)) as Project;
  }

  async deleteProject(project: Project): Promise<void> {
    // The resource counter lives on the project item, so its condition is the guard; the slug goes
    // in the same transaction, so a deleted project never keeps its slug taken.
    const cancelled = await this.table.transact([
      {
        Delete: {
          Key: keys.project(project.id),
          ConditionExpression: 'attribute_exists(PK) AND resource_count = :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        },
      },
      releaseNameAction(keys.projectSlug(project.domain_id, project.slug), project.id),
    ]);
    if (!cancelled) return;
    if (!holderOutcome(cancelled, `project ${project.id}`).item)
      throw new NotFoundError('project_not_found', 'The project does not exist.');
    throw new ConflictError('project_not_empty', 'The project still has resources; delete them first.');
  }

  async transferProject(project: Project, newOwnerId: string, updatedAt: string, event: EventDraft): Promise<Project> {
    // Conditioned on the owner the caller was authorized against: of two racing transfers, one wins.
    const { cancelled } = await transactWithEvents(
      this.table,
      [
        {
          Update: {
            Key: keys.project(project.id),
            UpdateExpression: 'SET owner_id = :to, updated_at = :at',
            ConditionExpression: 'attribute_exists(PK) AND owner_id = :from',
            ExpressionAttributeValues: { ':to': newOwnerId, ':from': project.owner_id, ':at': updatedAt },
          },
        },
      ],
      [event],
    );
    if (cancelled) {
      if (!cancelled[0]?.item) throw new NotFoundError('project_not_found', 'The project does not exist.');
      throw new ConflictError('project_owner_changed', "The project's owner changed meanwhile; read it again and retry.");
    }
    return (await this.getProject(project.id)) as Project;
  }
}
