import type { Authorizer, AuthzSubject } from '../../functions/core/authz/model.ts';
import type { Blueprint, BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import { type Cloud, createCloud } from '../../functions/core/catalog/clouds.ts';
import type { CloudCredential } from '../../functions/core/catalog/credentials.ts';
import type { CatalogPorts, CatalogStore } from '../../functions/core/catalog/store.ts';
import { BrokerError, ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import type { Page, PageRequest } from '../../functions/core/pagination.ts';
import type { Vault, VaultedSecret } from '../../functions/core/vault.ts';

// In-memory fakes of the catalog use cases' ports, for test/unit/catalog-*.test.ts. The fake store
// keeps the store port's promises (slug uniqueness, the delete guard, one revoke, immutable
// versions) so that the use cases can be read against them; catalog-store.test.ts checks the
// DynamoDB adapter against dynalite.

export const OPERATOR: AuthzSubject = { userId: '019100a0-0c00-7000-8000-000000000001', domainId: 'd', platformOperator: true, adminOf: [], auditorOf: ['d'], mayOwnIn: [] };
export const ADMIN: AuthzSubject = { userId: '019100a0-0c00-7000-8000-000000000002', domainId: 'd', platformOperator: false, adminOf: ['d'], auditorOf: [], mayOwnIn: ['d'] };
export const PREFIX = 'plexsphere/test/credentials/';
export const AWS_KEYS = { access_key_id: 'AKIATESTTEST', secret_access_key: 'unit-test-secret-value' };
export const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Allows the platform operator everything on the catalog, as the seeded policy does. */
const operatorOnly: Authorizer = {
  decide: async (subject) => (subject.platformOperator ? { allowed: true } : { allowed: false, reason: 'insufficient_relation' }),
};

export class MemoryCatalog implements CatalogStore {
  clouds = new Map<string, Cloud & { credential_ids: Set<string> }>();
  credentials = new Map<string, CloudCredential>();
  blueprints = new Map<string, Blueprint>();
  versions = new Map<string, BlueprintVersion>();
  log: string[] = [];

  private page<T extends { id: string }>(items: T[], page: PageRequest): Page<T> {
    const after = items.filter((i) => !page.afterId || i.id > page.afterId).sort((a, b) => a.id.localeCompare(b.id));
    const slice = after.slice(0, page.limit);
    return after.length > page.limit ? { items: slice, lastId: slice[slice.length - 1]?.id as string } : { items: slice };
  }
  async createCloud(cloud: Cloud) {
    if ([...this.clouds.values()].some((c) => c.slug === cloud.slug)) throw new ConflictError('cloud_slug_conflict', 'taken');
    this.clouds.set(cloud.id, { ...cloud, credential_ids: new Set() });
  }
  async getCloud(id: string) {
    const c = this.clouds.get(id);
    if (!c) return undefined;
    const { credential_ids: _, ...cloud } = c;
    return cloud;
  }
  async listClouds(page: PageRequest) {
    return this.page([...this.clouds.values()], page);
  }
  async patchCloud(id: string, patch: Partial<Cloud>, updatedAt: string) {
    const c = this.clouds.get(id);
    if (!c) throw new NotFoundError('cloud_not_found', 'gone');
    Object.assign(c, patch, { updated_at: updatedAt });
    return (await this.getCloud(id)) as Cloud;
  }
  async deleteCloud(cloud: Cloud) {
    const c = this.clouds.get(cloud.id);
    if (!c) throw new NotFoundError('cloud_not_found', 'gone');
    if (c.credential_ids.size > 0) throw new ConflictError('cloud_not_empty', 'has credentials');
    this.clouds.delete(cloud.id);
  }
  async createCredential(credential: CloudCredential) {
    const c = this.clouds.get(credential.cloud_id);
    if (!c) throw new NotFoundError('cloud_not_found', 'gone');
    c.credential_ids.add(credential.id);
    this.credentials.set(credential.id, credential);
    this.log.push(`store:${credential.id}`);
  }
  async getCredential(id: string) {
    return this.credentials.get(id);
  }
  async listCredentials(cloudId: string, page: PageRequest) {
    return this.page([...this.credentials.values()].filter((c) => c.cloud_id === cloudId), page);
  }
  async revokeCredential(id: string, revokedAt: string, reason: string) {
    const c = this.credentials.get(id);
    if (!c) throw new NotFoundError('cloud_credential_not_found', 'gone');
    if (c.revoked_at) return { credential: c, changed: false };
    const next = { ...c, revoked_at: revokedAt, updated_at: revokedAt, revoke_reason: reason };
    this.credentials.set(id, next);
    return { credential: next, changed: true };
  }
  async createBlueprint(b: Blueprint) {
    if ([...this.blueprints.values()].some((x) => x.slug === b.slug)) throw new ConflictError('blueprint_slug_conflict', 'taken');
    this.blueprints.set(b.id, b);
  }
  async getBlueprint(id: string) {
    return this.blueprints.get(id);
  }
  async listBlueprints(page: PageRequest) {
    return this.page([...this.blueprints.values()], page);
  }
  async listVersions(blueprintId: string) {
    return [...this.versions.values()].filter((v) => v.blueprint_id === blueprintId).sort((a, b) => b.id.localeCompare(a.id));
  }
  async publishVersion(v: BlueprintVersion) {
    if ([...this.versions.values()].some((x) => x.blueprint_id === v.blueprint_id && x.version === v.version)) {
      throw new ConflictError('blueprint_version_exists', 'exists');
    }
    this.versions.set(v.id, v);
  }
  async getVersionById(id: string) {
    return this.versions.get(id);
  }
}

export class MemoryVault implements Vault {
  secrets = new Map<string, string>();
  constructor(private readonly log: string[]) {}
  async create(name: string, value: string): Promise<VaultedSecret> {
    if (this.secrets.has(name)) throw new ConflictError('secret_exists', name);
    this.secrets.set(name, value);
    this.log.push(`vault:${name}`);
    return { arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}-abcdef`, versionId: 'v1' };
  }
  async read(name: string) {
    const value = this.secrets.get(name);
    if (value === undefined) throw new NotFoundError('secret_not_found', name);
    return { value, versionId: 'v1' };
  }
  async put(): Promise<VaultedSecret> {
    throw new Error('not used');
  }
  async describe(name: string) {
    return { arn: name, currentVersionId: 'v1' };
  }
  async remove(arn: string) {
    for (const name of this.secrets.keys()) if (arn.includes(`:secret:${name}-`)) this.secrets.delete(name);
    this.log.push(`vault-remove:${arn}`);
  }
}

/** A fresh in-memory catalog and vault, and the use cases' ports over them, reading the time from `now`. */
export function memoryCatalog(now: () => Date): { store: MemoryCatalog; vault: MemoryVault; ports: CatalogPorts } {
  const store = new MemoryCatalog();
  const vault = new MemoryVault(store.log);
  return { store, vault, ports: { catalog: store, vault, authorizer: operatorOnly, clock: { now }, config: { credentialSecretPrefix: PREFIX } } };
}

/** The error a promise rejects with, for asserting its class, code and field paths. */
export async function failure(p: Promise<unknown>): Promise<BrokerError & { name: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BrokerError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

export const cloudBody = (over: Record<string, unknown> = {}) => ({
  display_name: 'Acme AWS',
  slug: 'acme-aws',
  provider: 'aws',
  endpoint: { region: 'eu-west-1', url: 'https://127.0.0.1:4566' },
  region_defaults: { region: 'eu-west-1' },
  external_id: '123456789012',
  ...over,
});

/** Creates a cloud from cloudBody(over), as the platform operator. */
export async function createCloudAs(ports: CatalogPorts, over: Record<string, unknown> = {}): Promise<Cloud> {
  return createCloud(ports, OPERATOR, () => cloudBody(over) as never);
}
