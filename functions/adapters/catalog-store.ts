import { z } from 'zod';
import {
  type Blueprint,
  BlueprintSchema,
  type BlueprintVersion,
  BlueprintVersionSchema,
  type CatalogStore,
  type Cloud,
  type CloudCredential,
  CloudCredentialSchema,
  CloudSchema,
} from '../core/catalog.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { createClaimed } from './dynamo/claims.ts';
import { keys, listSortKey } from './dynamo/keys.ts';
import type { Table } from './dynamo/table.ts';

const VersionPointerSchema = z.object({ id: z.string(), blueprint_id: z.string(), version: z.string() });
/** The cloud item also lists its credentials' ids: the guard on deleting the cloud. */
const CloudItemSchema = CloudSchema.extend({ credential_ids: z.set(z.string()).optional() });

/** Slug claims follow the shared protocol of ./dynamo/claims.ts. */
export { STALE_CLAIM_MS } from './dynamo/claims.ts';

export class DynamoCatalogStore implements CatalogStore {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  // --- clouds ----------------------------------------------------------------------------------

  async createCloud(cloud: Cloud): Promise<void> {
    // The slug claim comes first: a crash after it leaves no visible cloud.
    await createClaimed({
      table: this.table,
      key: keys.cloudSlug(cloud.slug),
      id: cloud.id,
      now: this.clock.now().getTime(),
      standing: async (id) => ((await this.getCloud(id)) ? 'holds' : 'missing'),
      conflict: () => new ConflictError('cloud_slug_conflict', `A cloud with slug "${cloud.slug}" already exists.`),
      write: async () => {
        const written = await this.table.putNew({ ...keys.cloud(cloud.id), ...keys.cloudList(), ...listSortKey(cloud.id), ...cloud });
        if (!written) throw new ConflictError('cloud_exists', 'A cloud with this id already exists.');
      },
      undo: async () => {
        await this.table.delete(keys.cloud(cloud.id));
      },
    });
  }

  getCloud(id: string): Promise<Cloud | undefined> {
    return this.table.get(keys.cloud(id), CloudSchema);
  }

  listClouds(page: PageRequest): Promise<Page<Cloud>> {
    return this.table.listPage(keys.cloudList().GSI1PK, CloudSchema, page);
  }

  async patchCloud(
    id: string,
    patch: Partial<Pick<Cloud, 'display_name' | 'endpoint' | 'region_defaults'>>,
    updatedAt: string,
  ): Promise<Cloud> {
    const entries = Object.entries({ ...patch, updated_at: updatedAt }).filter(([, v]) => v !== undefined);
    const updated = await this.table.update({
      Key: keys.cloud(id),
      UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
    });
    if (!updated) throw new NotFoundError('cloud_not_found', `No cloud with id ${id}.`);
    return CloudSchema.parse(updated);
  }

  async deleteCloud(cloud: Cloud): Promise<void> {
    // One conditional delete is the guard: a credential registers on the cloud item before it is
    // written, so the two cannot both succeed.
    const deleted = await this.table.delete(keys.cloud(cloud.id), { expression: 'attribute_exists(PK) AND attribute_not_exists(credential_ids)' });
    if (!deleted) {
      const current = await this.table.get(keys.cloud(cloud.id), CloudItemSchema);
      if (!current) throw new NotFoundError('cloud_not_found', `No cloud with id ${cloud.id}.`);
      const count = current.credential_ids?.size ?? 0;
      // Credentials are homed on one cloud and never attached to another, so no usage edges.
      throw new ConflictError('cloud_not_empty', `The cloud still has ${count} credential(s).`, {
        cloud_child_counts: { cloud_credentials: count, cloud_credential_usages: 0 },
      });
    }
    // Release the slug after the cloud is gone; a crash here leaves a claim that a later create
    // of the slug finds without its cloud and takes over.
    await this.table.delete(keys.cloudSlug(cloud.slug), { expression: '#id = :id', names: { '#id': 'id' }, values: { ':id': cloud.id } });
  }

  // --- credentials -----------------------------------------------------------------------------

  async createCredential(credential: CloudCredential): Promise<void> {
    // ADD to a set is idempotent, so a retry of the same credential (the seed) registers it once.
    const registered = await this.table.update({
      Key: keys.cloud(credential.cloud_id),
      UpdateExpression: 'ADD credential_ids :ids',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':ids': new Set([credential.id]) },
    });
    if (!registered) throw new NotFoundError('cloud_not_found', `No cloud with id ${credential.cloud_id}.`);
    const written = await this.table.putNew({
      ...keys.credential(credential.id),
      ...keys.credentialList(credential.cloud_id),
      ...listSortKey(credential.id),
      ...credential,
    });
    if (!written) throw new ConflictError('cloud_credential_exists', 'A cloud credential with this id already exists.');
  }

  getCredential(id: string): Promise<CloudCredential | undefined> {
    return this.table.get(keys.credential(id), CloudCredentialSchema);
  }

  listCredentials(cloudId: string, page: PageRequest): Promise<Page<CloudCredential>> {
    return this.table.listPage(keys.credentialList(cloudId).GSI1PK, CloudCredentialSchema, page);
  }

  async revokeCredential(id: string, revokedAt: string, reason: string): Promise<{ credential: CloudCredential; changed: boolean }> {
    const updated = await this.table.update({
      Key: keys.credential(id),
      UpdateExpression: 'SET revoked_at = :at, updated_at = :at, revoke_reason = :reason',
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revoked_at)',
      ExpressionAttributeValues: { ':at': revokedAt, ':reason': reason },
    });
    if (updated) return { credential: CloudCredentialSchema.parse(updated), changed: true };
    const current = await this.getCredential(id);
    if (!current) throw new NotFoundError('cloud_credential_not_found', `No cloud credential with id ${id}.`);
    return { credential: current, changed: false };
  }

  // --- blueprints ------------------------------------------------------------------------------

  async createBlueprint(blueprint: Blueprint): Promise<void> {
    await createClaimed({
      table: this.table,
      key: keys.blueprintSlug(blueprint.slug),
      id: blueprint.id,
      now: this.clock.now().getTime(),
      standing: async (id) => ((await this.getBlueprint(id)) ? 'holds' : 'missing'),
      conflict: () => new ConflictError('blueprint_slug_conflict', `A blueprint with slug "${blueprint.slug}" already exists.`),
      write: async () => {
        const written = await this.table.putNew({
          ...keys.blueprint(blueprint.id),
          ...keys.blueprintList(),
          ...listSortKey(blueprint.id),
          ...blueprint,
        });
        if (!written) throw new ConflictError('blueprint_exists', 'A blueprint with this id already exists.');
      },
      undo: async () => {
        await this.table.delete(keys.blueprint(blueprint.id));
      },
    });
  }

  getBlueprint(id: string): Promise<Blueprint | undefined> {
    return this.table.get(keys.blueprint(id), BlueprintSchema);
  }

  listBlueprints(page: PageRequest): Promise<Page<Blueprint>> {
    return this.table.listPage(keys.blueprintList().GSI1PK, BlueprintSchema, page);
  }

  async listVersions(blueprintId: string): Promise<BlueprintVersion[]> {
    const versions = await this.table.queryPartition(keys.blueprint(blueprintId).PK, keys.blueprintVersionPrefix, BlueprintVersionSchema);
    // Ids are UUIDv7: id order is publication order. Newest first.
    return versions.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  }

  async publishVersion(version: BlueprintVersion): Promise<void> {
    // The by-id pointer first: a crash after it leaves a pointer to an empty (or someone else's)
    // slot, which getVersionById refuses because the ids differ. The version item is the one
    // conditional write that decides who owns the version string. A retry of the same version
    // (same id, blueprint and string) finds its own items and completes.
    const pointer = keys.blueprintVersionById(version.id);
    const pointed = await this.table.putNew({ ...pointer, id: version.id, blueprint_id: version.blueprint_id, version: version.version });
    if (!pointed) {
      const existing = await this.table.get(pointer, VersionPointerSchema);
      if (existing?.blueprint_id !== version.blueprint_id || existing.version !== version.version) {
        throw new ConflictError('blueprint_version_id_exists', 'A blueprint version with this id already exists.');
      }
    }
    const slot = keys.blueprintVersion(version.blueprint_id, version.version);
    if (await this.table.putNew({ ...slot, ...version })) return;
    const holder = await this.table.get(slot, BlueprintVersionSchema);
    if (holder?.id === version.id) return;
    // Lost: release the pointer so that nothing names a version that is not ours.
    await this.table.delete(pointer);
    throw new ConflictError('blueprint_version_exists', `Version ${version.version} of this blueprint is already published.`);
  }

  async getVersionById(versionId: string): Promise<BlueprintVersion | undefined> {
    const pointer = await this.table.get(keys.blueprintVersionById(versionId), VersionPointerSchema);
    if (!pointer) return undefined;
    const version = await this.table.get(keys.blueprintVersion(pointer.blueprint_id, pointer.version), BlueprintVersionSchema);
    return version?.id === versionId ? version : undefined;
  }
}
