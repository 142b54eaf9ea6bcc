import * as z from 'zod';
import { type Blueprint, BlueprintSchema, type BlueprintVersion, BlueprintVersionSchema } from '../core/catalog/blueprints.ts';
import { type Cloud, CloudSchema } from '../core/catalog/clouds.ts';
import { type CloudCredential, CloudCredentialSchema } from '../core/catalog/credentials.ts';
import type { CatalogStore } from '../core/catalog/store.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { keys, listSortKey } from './dynamo/keys.ts';
import { entityOf, putNewAction, setFields, type Table } from './dynamo/table.ts';
import { createNamed, holderOutcome, releaseNameAction } from './dynamo/unique-names.ts';

const VersionPointerSchema = z.object({ id: z.string(), blueprint_id: z.string(), version: z.string() });
/** The cloud item also lists its credentials' ids: the guard on deleting the cloud. */
const CloudItemSchema = CloudSchema.extend({ credential_ids: z.set(z.string()).optional() });

export class DynamoCatalogStore implements CatalogStore {
  constructor(private readonly table: Table) {}

  // --- clouds ----------------------------------------------------------------------------------

  createCloud(cloud: Cloud): Promise<void> {
    const item = { ...keys.cloud(cloud.id), ...keys.cloudList(), ...listSortKey(cloud.id) };
    return createNamed(this.table, 'cloud', cloud, { slug: keys.cloudSlug(cloud.slug), item });
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
    const updated = await this.table.update({
      Key: keys.cloud(id),
      ConditionExpression: 'attribute_exists(PK)',
      ...setFields({ ...patch, updated_at: updatedAt }),
    });
    if (!updated) throw new NotFoundError('cloud_not_found', `No cloud with id ${id}.`);
    return CloudSchema.parse(updated);
  }

  async deleteCloud(cloud: Cloud): Promise<void> {
    // The cloud item lists its credentials' ids, so its condition is the guard against a credential
    // written meanwhile; the slug is released in the same transaction.
    const cancelled = await this.table.transact([
      { Delete: { Key: keys.cloud(cloud.id), ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(credential_ids)' } },
      releaseNameAction(keys.cloudSlug(cloud.slug), cloud.id),
    ]);
    if (!cancelled) return;
    const seen = holderOutcome(cancelled, `cloud ${cloud.id}`);
    if (!seen.item) throw new NotFoundError('cloud_not_found', `No cloud with id ${cloud.id}.`);
    const count = CloudItemSchema.parse(entityOf(seen.item)).credential_ids?.size ?? 0;
    // Credentials are homed on one cloud and never attached to another, so no usage edges.
    throw new ConflictError('cloud_not_empty', `The cloud still has ${count} credential(s).`, {
      cloud_child_counts: { cloud_credentials: count, cloud_credential_usages: 0 },
    });
  }

  // --- credentials -----------------------------------------------------------------------------

  async createCredential(credential: CloudCredential): Promise<void> {
    // The cloud's list of credential ids (its delete guard) and the credential land together.
    const cancelled = await this.table.transact([
      {
        Update: {
          Key: keys.cloud(credential.cloud_id),
          UpdateExpression: 'ADD credential_ids :ids',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: { ':ids': new Set([credential.id]) },
        },
      },
      putNewAction({
        ...keys.credential(credential.id),
        ...keys.credentialList(credential.cloud_id),
        ...listSortKey(credential.id),
        ...credential,
      }),
    ]);
    if (!cancelled) return;
    if (cancelled[0]?.failed) throw new NotFoundError('cloud_not_found', `No cloud with id ${credential.cloud_id}.`);
    throw new ConflictError('cloud_credential_exists', 'A cloud credential with this id already exists.');
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

  createBlueprint(blueprint: Blueprint): Promise<void> {
    const item = { ...keys.blueprint(blueprint.id), ...keys.blueprintList(), ...listSortKey(blueprint.id) };
    return createNamed(this.table, 'blueprint', blueprint, { slug: keys.blueprintSlug(blueprint.slug), item });
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
    // The version string's slot under its blueprint (which makes versions immutable) and the
    // pointer from the version id land together. A retry of the same version finds both its own.
    const pointer = keys.blueprintVersionById(version.id);
    const slot = keys.blueprintVersion(version.blueprint_id, version.version);
    const cancelled = await this.table.transact([
      putNewAction({ ...slot, ...version }),
      putNewAction({ ...pointer, id: version.id, blueprint_id: version.blueprint_id, version: version.version }),
    ]);
    if (!cancelled) return;
    const [slotSeen, pointerSeen] = cancelled;
    const ours = (seen: { failed: boolean; item?: Record<string, unknown> | undefined } | undefined) =>
      !seen?.failed || seen.item?.id === version.id;
    if (slotSeen?.failed && pointerSeen?.failed && ours(slotSeen) && ours(pointerSeen)) return;
    if (slotSeen?.failed)
      throw new ConflictError('blueprint_version_exists', `Version ${version.version} of this blueprint is already published.`);
    throw new ConflictError('blueprint_version_id_exists', 'A blueprint version with this id already exists.');
  }

  async getVersionById(versionId: string): Promise<BlueprintVersion | undefined> {
    const pointer = await this.table.get(keys.blueprintVersionById(versionId), VersionPointerSchema);
    if (!pointer) return undefined;
    const version = await this.table.get(keys.blueprintVersion(pointer.blueprint_id, pointer.version), BlueprintVersionSchema);
    return version?.id === versionId ? version : undefined;
  }
}
