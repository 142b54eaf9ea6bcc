import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalogStore } from '../../../functions/adapters/catalog-store.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import { DynamoResourceStore } from '../../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../../functions/adapters/tenancy-store.ts';
import { ConflictError, NotFoundError } from '../../../functions/core/errors.ts';
import { newId } from '../../../functions/core/ids.ts';
import { FIXTURES } from '../../../scripts/fixtures.ts';
import { seedTenancy } from '../../../scripts/seed.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { AT, allPages, blueprint, blueprintVersion, cloud, credential, LATER, project, rejectionOf, resource, sortedIds } from '../fixtures.ts';

export const tenancyStoreSuite: ConformanceSuite = (backend) => {
  describe('tenancy store', () => {
    let table: Table;
    let store: DynamoTenancyStore;
    const fresh = suiteTable(backend, 'tenancy');
    beforeAll(async () => {
      table = fresh();
      store = new DynamoTenancyStore(table);
      await seedTenancy(table, { created: [], kept: [] });
    });

    it('reads the seeded domain, its IdP binding and users (by id, and by email whatever its case)', async () => {
      const { domain, binding, operator } = FIXTURES;
      expect(await store.getDomain(domain.id)).toMatchObject({ id: domain.id, slug: domain.slug, mesh_cidr: domain.meshCidr });
      expect(await store.listDomains({ limit: 10 }, () => true)).toMatchObject({ items: [{ id: domain.id }] });
      expect(await store.listDomains({ limit: 10 }, () => false)).toEqual({ items: [] });
      expect(await store.listIdpBindings(domain.id)).toEqual([expect.objectContaining({ id: binding.id, kind: 'password', primary: true })]);
      expect(await store.getIdpBinding(domain.id, binding.id)).toMatchObject({ label: binding.label });
      expect(await store.getIdpBinding(domain.id, newId())).toBeUndefined();
      expect(await store.getUser(operator.id)).toMatchObject({ email: operator.email, platform_operator: true });
      expect(await store.findUserByEmail(domain.id, operator.email.toUpperCase())).toMatchObject({ id: operator.id });
      expect(await store.findUserByEmail(newId(), operator.email)).toBeUndefined();
    });

    it('creates a project once per (domain, slug), and reads it back', async () => {
      const domainId = newId();
      const p = project(domainId);
      await store.createProject(p);
      expect(await store.getProject(p.id)).toEqual(p);
      const twin = await rejectionOf(store.createProject(project(domainId, { slug: p.slug })));
      expect(twin).toBeInstanceOf(ConflictError);
      expect(twin).toMatchObject({ code: 'project_slug_conflict' });
      // The same slug in another domain is another name.
      await store.createProject(project(newId(), { slug: p.slug }));
    });

    it('lists a domain’s projects in pages, filtered by visibility', async () => {
      const domainId = newId();
      const created = Array.from({ length: 5 }, () => project(domainId));
      for (const p of created) await store.createProject(p);
      const pages = await allPages((page) => store.listProjects(domainId, page, () => true), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((p) => p.id)).toEqual(sortedIds(created));
      const hidden = new Set(sortedIds(created).slice(0, 2));
      const visible = await store.listProjects(domainId, { limit: 10 }, (p) => !hidden.has(p.id));
      expect(visible.items.map((p) => p.id)).toEqual(sortedIds(created).slice(2));
    });

    it('patches a project, and reports a missing one as not found', async () => {
      const p = project(newId());
      await store.createProject(p);
      const patched = await store.patchProject(p.id, { name: 'Renamed', description: 'now described' }, LATER);
      expect(patched).toEqual({ ...p, name: 'Renamed', description: 'now described', updated_at: LATER });
      const missing = await rejectionOf(store.patchProject(newId(), { name: 'x' }, LATER));
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(missing).toMatchObject({ code: 'project_not_found' });
    });

    it('deletes an empty project and frees its slug; refuses one that holds a Resource; a gone one is not found', async () => {
      const domainId = newId();
      const empty = project(domainId);
      await store.createProject(empty);
      await store.deleteProject(empty);
      expect(await store.getProject(empty.id)).toBeUndefined();
      await store.createProject(project(domainId, { slug: empty.slug }));

      const busy = project(domainId);
      await store.createProject(busy);
      await new DynamoResourceStore(table).create(resource(busy));
      expect(await store.getProject(busy.id)).toMatchObject({ resource_count: 1 });
      const refused = await rejectionOf(store.deleteProject(busy));
      expect(refused).toBeInstanceOf(ConflictError);
      expect(refused).toMatchObject({ code: 'project_not_empty' });
      expect(await store.getProject(busy.id)).toBeDefined();

      const gone = await rejectionOf(store.deleteProject(empty));
      expect(gone).toBeInstanceOf(NotFoundError);
      expect(gone).toMatchObject({ code: 'project_not_found' });
    });
  });
};

export const catalogStoreSuite: ConformanceSuite = (backend) => {
  describe('catalog store', () => {
    let table: Table;
    let store: DynamoCatalogStore;
    const fresh = suiteTable(backend, 'catalog');
    beforeAll(async () => {
      table = fresh();
      store = new DynamoCatalogStore(table);
    });

    it('creates a cloud once per slug, lists clouds in pages, patches one', async () => {
      const clouds = [cloud(), cloud(), cloud()];
      for (const c of clouds) await store.createCloud(c);
      expect(await store.getCloud(clouds[0]?.id ?? '')).toEqual(clouds[0]);
      const twin = await rejectionOf(store.createCloud(cloud({ slug: clouds[0]?.slug ?? '' })));
      expect(twin).toBeInstanceOf(ConflictError);
      expect(twin).toMatchObject({ code: 'cloud_slug_conflict' });
      const pages = await allPages((page) => store.listClouds(page), 2);
      expect(pages.flat().map((c) => c.id)).toEqual(sortedIds(clouds));

      const patched = await store.patchCloud(clouds[1]?.id ?? '', { display_name: 'Renamed', endpoint: { region: 'eu-west-1', url: 'http://x' } }, LATER);
      expect(patched).toEqual({ ...clouds[1], display_name: 'Renamed', endpoint: { region: 'eu-west-1', url: 'http://x' }, updated_at: LATER });
      const missing = await rejectionOf(store.patchCloud(newId(), { display_name: 'x' }, LATER));
      expect(missing).toMatchObject({ name: 'NotFoundError', code: 'cloud_not_found' });
    });

    it('issues credentials on a cloud, which then cannot be deleted; an empty cloud can, and its slug is free again', async () => {
      const c = cloud();
      await store.createCloud(c);
      const creds = [credential(c.id), credential(c.id)];
      for (const cred of creds) await store.createCredential(cred);
      expect(await store.getCredential(creds[0]?.id ?? '')).toEqual(creds[0]);
      expect((await store.listCredentials(c.id, { limit: 10 })).items.map((x) => x.id)).toEqual(sortedIds(creds));
      const orphan = await rejectionOf(store.createCredential(credential(newId())));
      expect(orphan).toMatchObject({ name: 'NotFoundError', code: 'cloud_not_found' });

      const busy = await rejectionOf(store.deleteCloud(c));
      expect(busy).toBeInstanceOf(ConflictError);
      expect(busy).toMatchObject({ code: 'cloud_not_empty', extra: { cloud_child_counts: { cloud_credentials: 2, cloud_credential_usages: 0 } } });

      const empty = cloud();
      await store.createCloud(empty);
      await store.deleteCloud(empty);
      expect(await store.getCloud(empty.id)).toBeUndefined();
      await store.createCloud(cloud({ slug: empty.slug }));
      const gone = await rejectionOf(store.deleteCloud(empty));
      expect(gone).toMatchObject({ name: 'NotFoundError', code: 'cloud_not_found' });
    });

    it('revokes a credential once; a second revoke changes nothing; a missing one is not found', async () => {
      const c = cloud();
      await store.createCloud(c);
      const cred = credential(c.id);
      await store.createCredential(cred);
      const first = await store.revokeCredential(cred.id, LATER, 'rotated');
      expect(first).toEqual({ credential: { ...cred, revoked_at: LATER, updated_at: LATER, revoke_reason: 'rotated' }, changed: true });
      const second = await store.revokeCredential(cred.id, '2026-07-01T00:00:00.000Z', 'again');
      expect(second).toEqual({ credential: first.credential, changed: false });
      const missing = await rejectionOf(store.revokeCredential(newId(), LATER, 'x'));
      expect(missing).toMatchObject({ name: 'NotFoundError', code: 'cloud_credential_not_found' });
    });

    it('creates blueprints once per slug and publishes immutable versions, newest first', async () => {
      const b = blueprint();
      await store.createBlueprint(b);
      expect(await store.getBlueprint(b.id)).toEqual(b);
      const twin = await rejectionOf(store.createBlueprint(blueprint({ slug: b.slug })));
      expect(twin).toMatchObject({ name: 'ConflictError', code: 'blueprint_slug_conflict' });
      expect((await store.listBlueprints({ limit: 50 })).items.map((x) => x.id)).toContain(b.id);

      const v1 = blueprintVersion(b.id, 'v1', { created_at: AT });
      const v2 = blueprintVersion(b.id, 'v2', { created_at: LATER, template: JSON.stringify({ instance_type: 't3.small' }) });
      await store.publishVersion(v1);
      await store.publishVersion(v2);
      // A retry of the same publication completes; another version under the same string is refused.
      await store.publishVersion(v1);
      const taken = await rejectionOf(store.publishVersion(blueprintVersion(b.id, 'v1')));
      expect(taken).toMatchObject({ name: 'ConflictError', code: 'blueprint_version_exists' });
      expect(await store.listVersions(b.id)).toEqual([v2, v1]);
      expect(await store.getVersionById(v2.id)).toEqual(v2);
      expect(await store.getVersionById(newId())).toBeUndefined();
    });
  });
};
