import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCatalogStore } from '../../functions/adapters/catalog-store.ts';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import type { BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import type { Cloud } from '../../functions/core/catalog/clouds.ts';
import type { CloudCredential } from '../../functions/core/catalog/credentials.ts';
import type { ConflictError } from '../../functions/core/errors.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { failure, OPERATOR } from '../support/catalog-fakes.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// --- the DynamoDB adapter, against dynalite -------------------------------------------------------

/** A credential's metadata as the store keeps it, owned by the operator. */
function storedCredential(id: string, cloudId: string): CloudCredential {
  return {
    id,
    cloud_id: cloudId,
    display_name: 'k',
    version: 1,
    owner_id: OPERATOR.userId,
    expires_at: '2027-01-01T00:00:00.000Z',
    created_at: '2026-06-01T00:00:00.000Z',
    updated_at: '2026-06-01T00:00:00.000Z',
    secret_arn: 'arn',
    secret_version_id: 'v',
  };
}

describe('DynamoCatalogStore', () => {
  let dynamo: TestDynamo;
  let table: Table;
  let adapter: DynamoCatalogStore;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  afterAll(async () => {
    await dynamo?.close();
  });
  beforeEach(async () => {
    table = await dynamo.freshTable('catalog');
    adapter = new DynamoCatalogStore(table);
  });

  const cloud = (id: string, slug: string): Cloud => ({
    id,
    display_name: slug,
    slug,
    provider: 'aws',
    endpoint: { region: 'us-east-1' },
    region_defaults: {},
    external_id: 'x',
    created_at: '2026-06-01T00:00:00.000Z',
    updated_at: '2026-06-01T00:00:00.000Z',
  });
  const A = '019100c0-0d00-7000-8000-00000000000a';
  const B = '019100c0-0d00-7000-8000-00000000000b';

  it('writes a cloud and its slug together: a taken slug writes nothing, a retry of the same id is refused', async () => {
    await adapter.createCloud(cloud(A, 'taken'));
    const before = await tableSnapshot(dynamo.url, table.name);
    expect((await failure(adapter.createCloud(cloud(B, 'taken')))).code).toBe('cloud_slug_conflict');
    expect((await failure(adapter.createCloud(cloud(A, 'other')))).code).toBe('cloud_exists');
    expect(await tableSnapshot(dynamo.url, table.name)).toEqual(before);
    expect(await adapter.getCloud(B)).toBeUndefined();
  });

  it('guards delete with the credentials registered on the cloud, then frees the slug', async () => {
    await adapter.createCloud(cloud(A, 'guarded'));
    const credential = storedCredential('019100c0-0f00-7000-8000-000000000001', A);
    await adapter.createCredential(credential);
    const err = await failure(adapter.deleteCloud(cloud(A, 'guarded')));
    expect(err.code).toBe('cloud_not_empty');
    expect(err.extra.cloud_child_counts).toEqual({ cloud_credentials: 1, cloud_credential_usages: 0 });
    expect((await failure(adapter.createCredential({ ...credential, id: '019100c0-0f00-7000-8000-000000000002', cloud_id: B }))).code).toBe('cloud_not_found');
    await adapter.createCloud(cloud(B, 'free'));
    await adapter.deleteCloud(cloud(B, 'free'));
    expect(await table.getRaw(keys.cloudSlug('free'))).toBeUndefined();
    await adapter.createCloud(cloud('019100c0-0d00-7000-8000-00000000000c', 'free'));
  });

  it('revokes with one conditional write', async () => {
    await adapter.createCloud(cloud(A, 'r'));
    const id = '019100c0-0f00-7000-8000-000000000003';
    await adapter.createCredential(storedCredential(id, A));
    const results = await Promise.all([1, 2, 3, 4].map((i) => adapter.revokeCredential(id, `2026-06-0${i}T00:00:00.000Z`, `r${i}`)));
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.credential.revoked_at)).size).toBe(1);
  });

  it('publishes a version string once; the losers leave no pointer behind', async () => {
    const bp = '01910051-0051-7000-8051-00000000000a';
    const version = (id: string): BlueprintVersion => ({
      id,
      blueprint_id: bp,
      version: 'v1',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: [],
      created_at: '2026-06-01T00:00:00.000Z',
    });
    const ids = [1, 2, 3, 4, 5].map((i) => `01910051-0051-7000-8051-00000000010${i}`);
    const outcomes = await Promise.allSettled(ids.map((id) => adapter.publishVersion(version(id))));
    const winners = ids.filter((_, i) => outcomes[i]?.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const [i, o] of outcomes.entries()) if (o.status === 'rejected') expect((o.reason as ConflictError).code, ids[i]).toBe('blueprint_version_exists');
    for (const id of ids) {
      expect((await adapter.getVersionById(id))?.id).toBe(id === winners[0] ? id : undefined);
      expect(await table.getRaw(keys.blueprintVersionById(id)), id).toEqual(id === winners[0] ? expect.anything() : undefined);
    }
    // A retry of the winner (same id, blueprint and string) completes instead of conflicting.
    await adapter.publishVersion(version(winners[0] as string));
  });

  it('refuses a pointer left by a crash that names a slot someone else holds', async () => {
    const bp = '01910051-0051-7000-8051-00000000000b';
    const stale = '01910051-0051-7000-8051-000000000201';
    await table.putNew({ ...keys.blueprintVersionById(stale), id: stale, blueprint_id: bp, version: 'v1' });
    expect(await adapter.getVersionById(stale)).toBeUndefined();
    const other = '01910051-0051-7000-8051-000000000202';
    await adapter.publishVersion({
      id: other,
      blueprint_id: bp,
      version: 'v1',
      provider_kinds: ['aws'],
      injection_strategy: 'helm-values',
      parameter_schema: [],
      template: '#cloud-config',
      created_at: '2026-06-01T00:00:00.000Z',
    });
    expect(await adapter.getVersionById(stale)).toBeUndefined();
    expect(await adapter.getVersionById(other)).toMatchObject({ id: other, template: '#cloud-config' });
    expect((await adapter.listVersions(bp)).map((v) => v.id)).toEqual([other]);
  });
});
