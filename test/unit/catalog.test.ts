import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCatalogStore } from '../../functions/adapters/catalog-store.ts';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import type { Authorizer, AuthzSubject } from '../../functions/core/authz/model.ts';
import { type Blueprint, type BlueprintVersion, createBlueprint, getBlueprint, publishVersion } from '../../functions/core/catalog/blueprints.ts';
import { type Cloud, createCloud, deleteCloud, getCloud, patchCloud } from '../../functions/core/catalog/clouds.ts';
import {
  type CloudCredential,
  credentialStatus,
  credentialView,
  issueCredential,
  listCredentials,
  revokeCredential,
} from '../../functions/core/catalog/credentials.ts';
import { awsEndpointOf, awsKeysFromSecret } from '../../functions/adapters/aws/substrate-resolver.ts';
import type { CatalogPorts, CatalogStore } from '../../functions/core/catalog/store.ts';
import { BrokerError, ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import { UUID_PATTERN } from '../../functions/core/ids.ts';
import type { Page, PageRequest } from '../../functions/core/pagination.ts';
import type { Vault, VaultedSecret } from '../../functions/core/vault.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// Core use cases against in-memory fakes of their ports. The fake store keeps the store port's
// promises (slug uniqueness, the delete guard, one revoke, immutable versions) so that the use
// cases can be read against them; the DynamoDB adapter is checked at the end against dynalite.

const OPERATOR: AuthzSubject = { userId: '019100a0-0c00-7000-8000-000000000001', domainId: 'd', platformOperator: true, adminOf: [], auditorOf: ['d'] };
const ADMIN: AuthzSubject = { userId: '019100a0-0c00-7000-8000-000000000002', domainId: 'd', platformOperator: false, adminOf: ['d'], auditorOf: [] };
const PREFIX = 'plexsphere/test/credentials/';
const AWS_KEYS = { access_key_id: 'AKIATESTTEST', secret_access_key: 'unit-test-secret-value' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Allows the platform operator everything on the catalog, as the seeded policy does. */
const operatorOnly: Authorizer = {
  decide: async (subject) => (subject.platformOperator ? { allowed: true } : { allowed: false, reason: 'insufficient_relation' }),
};

class MemoryCatalog implements CatalogStore {
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

class MemoryVault implements Vault {
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

let store: MemoryCatalog;
let vault: MemoryVault;
let now: Date;
let ports: CatalogPorts;

beforeEach(() => {
  store = new MemoryCatalog();
  vault = new MemoryVault(store.log);
  now = new Date('2026-06-01T00:00:00.000Z');
  ports = { catalog: store, vault, authorizer: operatorOnly, clock: { now: () => now }, config: { credentialSecretPrefix: PREFIX } };
});

/** The error a promise rejects with, for asserting its class, code and field paths. */
async function failure(p: Promise<unknown>): Promise<BrokerError & { name: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BrokerError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

const cloudBody = (over: Record<string, unknown> = {}) => ({
  display_name: 'Acme AWS',
  slug: 'acme-aws',
  provider: 'aws',
  endpoint: { region: 'eu-west-1', url: 'http://127.0.0.1:4566' },
  region_defaults: { region: 'eu-west-1' },
  external_id: '123456789012',
  ...over,
});

async function aCloud(over: Record<string, unknown> = {}): Promise<Cloud> {
  return createCloud(ports, OPERATOR, () => cloudBody(over) as never);
}

describe('clouds', () => {
  it('creates a cloud for the platform operator with a UUIDv7 id and the clock’s timestamps', async () => {
    const cloud = await aCloud();
    expect(cloud.id).toMatch(UUID_PATTERN);
    expect(cloud.id[14]).toBe('7');
    expect(cloud).toMatchObject({ slug: 'acme-aws', provider: 'aws', created_at: now.toISOString(), updated_at: now.toISOString() });
    expect(await getCloud(ports, OPERATOR, cloud.id)).toEqual(cloud);
  });

  it('refuses a non-operator before looking at the body, with the deny reason', async () => {
    let parsed = false;
    const err = await failure(
      createCloud(ports, ADMIN, () => {
        parsed = true;
        return cloudBody() as never;
      }),
    );
    expect(err.name).toBe('ForbiddenError');
    expect(err.code).toBe('permission_denied');
    expect(err.extra.reason).toBe('insufficient_relation');
    expect(parsed).toBe(false);
    expect(store.clouds.size).toBe(0);
  });

  it.each([
    [{ slug: 'Bad Slug' }, 'invalid_cloud', 'slug'],
    [{ slug: 'double--dash' }, 'invalid_cloud', 'slug'],
    [{ display_name: '   ' }, 'invalid_cloud', 'display_name'],
    [{ external_id: '' }, 'invalid_cloud', 'external_id'],
    [{ provider: 'gcp' }, 'unknown_provider', 'provider'],
    [{ endpoint: { url: 'http://127.0.0.1:4566' } }, 'invalid_cloud_endpoint', 'endpoint.region'],
    [{ endpoint: { region: 'eu-west-1', url: 'ftp://example.com' } }, 'invalid_cloud_endpoint', 'endpoint.url'],
    [{ region_defaults: { region: 'Mars' } }, 'invalid_cloud_region_defaults', 'region_defaults.region'],
  ])('rejects %j with %s naming %s, and stores nothing', async (over, code, path) => {
    const err = await failure(aCloud(over));
    expect(err.name).toBe('InvalidInputError');
    expect(err.code).toBe(code);
    expect((err.extra.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(store.clouds.size).toBe(0);
  });

  it('keeps what the provider does not define in the endpoint, and gives the substrate its region and url', async () => {
    const cloud = await aCloud({ endpoint: { region: 'us-east-1', role_arn: 'arn:aws:iam::1:role/x' } });
    expect(cloud.endpoint).toEqual({ region: 'us-east-1', role_arn: 'arn:aws:iam::1:role/x' });
    expect(awsEndpointOf(cloud)).toEqual({ region: 'us-east-1' });
    expect(awsEndpointOf(await aCloud({ slug: 'with-url' }))).toEqual({ region: 'eu-west-1', url: 'http://127.0.0.1:4566' });
    const azure = await aCloud({ slug: 'az', provider: 'azure', endpoint: {} });
    expect(() => awsEndpointOf(azure)).toThrow(/not an aws cloud/);
  });

  it('patches display name and endpoint, refuses slug, provider and empty patches', async () => {
    const cloud = await aCloud();
    now = new Date('2026-06-02T00:00:00.000Z');
    const patched = await patchCloud(ports, OPERATOR, cloud.id, () => ({ display_name: 'Renamed', endpoint: { region: 'us-east-2' } }));
    expect(patched).toMatchObject({ display_name: 'Renamed', endpoint: { region: 'us-east-2' }, updated_at: now.toISOString(), slug: 'acme-aws' });
    for (const [body, code] of [
      [{ slug: 'acme-aws' }, 'slug_immutable'],
      [{ provider: 'aws', display_name: 'x' }, 'provider_immutable'],
      [{}, 'empty_patch'],
      [{ endpoint: { url: 'http://x' } }, 'invalid_cloud_endpoint'],
    ] as const) {
      expect((await failure(patchCloud(ports, OPERATOR, cloud.id, () => body))).code).toBe(code);
    }
    expect((await getCloud(ports, OPERATOR, cloud.id)).display_name).toBe('Renamed');
    expect((await failure(patchCloud(ports, OPERATOR, '019100c0-0d00-7000-8000-0000000000ff', () => ({ display_name: 'x' })))).code).toBe('cloud_not_found');
  });

  it('deletes an empty cloud and refuses one with credentials', async () => {
    const empty = await aCloud({ slug: 'empty' });
    await deleteCloud(ports, OPERATOR, empty.id);
    expect(store.clouds.has(empty.id)).toBe(false);
    const used = await aCloud({ slug: 'used' });
    await issueCredential(ports, OPERATOR, used.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) }));
    expect((await failure(deleteCloud(ports, OPERATOR, used.id))).code).toBe('cloud_not_empty');
    expect((await failure(deleteCloud(ports, OPERATOR, empty.id))).code).toBe('cloud_not_found');
  });
});

describe('cloud credentials', () => {
  it('takes the material back out of the vault when the metadata cannot be written', async () => {
    const cloud = await aCloud();
    // The cloud goes away between the check and the write (a concurrent delete).
    const write = store.createCredential.bind(store);
    store.createCredential = async (credential) => {
      store.clouds.delete(cloud.id);
      return write(credential);
    };
    const err = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) })));
    expect(err.code).toBe('cloud_not_found');
    expect([...vault.secrets.keys()]).toEqual([]);
    expect(store.log.at(-1)).toMatch(/^vault-remove:arn:aws:secretsmanager:/);
  });

  it('writes the material to the vault before the metadata, and keeps it out of the view', async () => {
    const cloud = await aCloud();
    const payload = b64(JSON.stringify(AWS_KEYS));
    const credential = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: ' ops key ', payload, key_values: { role: 'x' } }));
    const name = `${PREFIX}${credential.id}`;
    expect(store.log).toEqual([`vault:${name}`, `store:${credential.id}`]);
    expect(credential).toMatchObject({ cloud_id: cloud.id, display_name: 'ops key', version: 1, owner_id: OPERATOR.userId, secret_version_id: 'v1' });
    expect(credential.secret_arn).toContain(name);
    // The vault holds an envelope the substrate can read the keys back from.
    expect(awsKeysFromSecret(vault.secrets.get(name) as string)).toEqual(AWS_KEYS);
    expect(JSON.parse(vault.secrets.get(name) as string).key_values).toEqual({ role: 'x' });
    const view = credentialView(credential, now);
    expect(Object.keys(view).sort()).toEqual(['cloud_id', 'created_at', 'display_name', 'expires_at', 'id', 'owner_id', 'status', 'updated_at', 'version']);
    expect(JSON.stringify(view)).not.toContain(AWS_KEYS.secret_access_key);
    expect(JSON.stringify(view)).not.toContain('arn:');
    expect(view.status).toBe('active');
  });

  it.each([
    ['not base64 at all!', 400, 'invalid_payload'],
    ['', 400, 'invalid_payload'],
    ['YWJj', 422, 'invalid_credential_payload'], // "abc": not JSON
    [b64(JSON.stringify({ access_key_id: 'A' })), 422, 'invalid_credential_payload'],
    [b64(JSON.stringify({ ...AWS_KEYS, extra: 1 })), 422, 'invalid_credential_payload'],
    [b64('{"access_key_id":"A","secret_access_key":"B"}').slice(0, -1), 400, 'invalid_payload'], // broken padding
  ])('rejects payload %j with %i %s and writes nothing anywhere', async (payload, status, code) => {
    const cloud = await aCloud();
    const err = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload })));
    expect(err.name).toBe(status === 400 ? 'InvalidInputError' : 'UnprocessableError');
    expect(err.code).toBe(code);
    // Field errors name keys, never the material.
    expect(JSON.stringify(err.extra)).not.toContain('secret_access_key":"');
    expect(vault.secrets.size).toBe(0);
    expect(store.credentials.size).toBe(0);
  });

  it('accepts any decodable payload for an azure cloud', async () => {
    const cloud = await aCloud({ provider: 'azure', endpoint: {}, slug: 'az' });
    const c = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64('opaque bytes') }));
    expect(c.cloud_id).toBe(cloud.id);
  });

  it('refuses an unknown cloud, a blank name and a past expiry without touching the vault', async () => {
    const payload = b64(JSON.stringify(AWS_KEYS));
    expect((await failure(issueCredential(ports, OPERATOR, '019100c0-0d00-7000-8000-0000000000ff', () => ({ display_name: 'k', payload })))).code).toBe(
      'cloud_not_found',
    );
    const cloud = await aCloud();
    expect((await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: ' ', payload })))).code).toBe('invalid_display_name');
    const past = await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload, expires_at: '2026-05-01T00:00:00Z' })));
    expect([past.name, past.code]).toEqual(['UnprocessableError', 'invalid_expires_at']);
    expect((await failure(issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload, expires_at: 'tomorrow' })))).code).toBe(
      'invalid_expires_at',
    );
    expect(vault.secrets.size).toBe(0);
  });

  it('derives the status from the clock: active, then expired; revoked wins', async () => {
    const cloud = await aCloud();
    // 01:00+01:00 is 00:00Z, the clock's now: not in the future.
    const due = await failure(
      issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)), expires_at: '2026-06-01T01:00:00+01:00' })),
    );
    expect(due.code).toBe('invalid_expires_at');
    const live = await issueCredential(ports, OPERATOR, cloud.id, () => ({
      display_name: 'k',
      payload: b64(JSON.stringify(AWS_KEYS)),
      expires_at: '2026-06-01T03:00:00+02:00',
    }));
    expect(live.expires_at).toBe('2026-06-01T01:00:00.000Z');
    expect(credentialStatus(live, now)).toBe('active');
    expect(credentialStatus(live, new Date('2026-06-01T01:00:00.000Z'))).toBe('expired');
    expect(credentialStatus({ ...live, revoked_at: now.toISOString() }, now)).toBe('revoked');
    const defaulted = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) }));
    expect(defaulted.expires_at).toBe('2027-06-01T00:00:00.000Z');
  });

  it('revokes once; a second revoke answers the unchanged credential', async () => {
    const cloud = await aCloud();
    const c = await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'k', payload: b64(JSON.stringify(AWS_KEYS)) }));
    now = new Date('2026-06-03T00:00:00.000Z');
    const revoked = await revokeCredential(ports, OPERATOR, c.id, () => ({ reason: 'rotated' }));
    expect(revoked.revoked_at).toBe(now.toISOString());
    now = new Date('2026-06-04T00:00:00.000Z');
    const again = await revokeCredential(ports, OPERATOR, c.id, () => ({ reason: 'again' }));
    expect(again).toEqual(revoked);
    expect(again.revoke_reason).toBe('rotated');
    expect((await failure(revokeCredential(ports, OPERATOR, c.id, () => ({ reason: '  ' })))).code).toBe('invalid_revoke_reason');
    expect((await failure(revokeCredential(ports, ADMIN, c.id, () => ({ reason: 'x' })))).code).toBe('permission_denied');
    // The material stays: teardown of machines provisioned with it still needs it.
    expect(vault.secrets.size).toBe(1);
  });

  it('lists a cloud’s credentials and 404s for an unknown cloud', async () => {
    const cloud = await aCloud();
    await issueCredential(ports, OPERATOR, cloud.id, () => ({ display_name: 'a', payload: b64(JSON.stringify(AWS_KEYS)) }));
    expect((await listCredentials(ports, OPERATOR, cloud.id, { limit: 10 })).items).toHaveLength(1);
    expect((await failure(listCredentials(ports, OPERATOR, '019100c0-0d00-7000-8000-0000000000ff', { limit: 10 }))).code).toBe('cloud_not_found');
    expect((await failure(listCredentials(ports, ADMIN, cloud.id, { limit: 10 }))).code).toBe('permission_denied');
  });
});

describe('blueprints', () => {
  const versionBody = (over: Record<string, unknown> = {}) => ({
    version: '1.0.0',
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: { parameters: [] },
    ...over,
  });

  async function aBlueprint(): Promise<Blueprint> {
    return createBlueprint(ports, OPERATOR, () => ({ slug: 'node', display_name: 'Node' }));
  }

  it('creates an active blueprint and publishes versions, newest first', async () => {
    const bp = await aBlueprint();
    expect(bp.status).toBe('active');
    const v1 = await publishVersion(ports, OPERATOR, bp.id, () =>
      versionBody({
        parameter_schema: {
          parameters: [
            { name: 'size', type: 'integer', required: false, default: 3 },
            { name: 'name', type: 'string', required: true },
          ],
        },
      }),
    );
    now = new Date('2026-06-01T00:00:01.000Z');
    const v2 = await publishVersion(ports, OPERATOR, bp.id, () => versionBody({ version: '1.1.0', parameter_schema: [] }));
    const { versions } = await getBlueprint(ports, OPERATOR, bp.id);
    expect(versions.map((v) => v.id)).toEqual([v2.id, v1.id]);
    expect(v1.parameter_schema).toEqual([
      { name: 'size', type: 'integer', required: false, default: 3 },
      { name: 'name', type: 'string', required: true },
    ]);
    expect((await failure(publishVersion(ports, OPERATOR, bp.id, () => versionBody()))).code).toBe('blueprint_version_exists');
    expect(store.versions.size).toBe(2);
  });

  it('names every offending parameter path', async () => {
    const bp = await aBlueprint();
    const err = await failure(
      publishVersion(ports, OPERATOR, bp.id, () =>
        versionBody({
          parameter_schema: {
            parameters: [
              { name: 'size', type: 'integer', required: false, default: 'big' },
              { name: 'size', type: 'string', required: false },
              { name: 'flag', type: 'boolean', required: true, default: true },
              { name: 'ratio', type: 'integer', required: false, default: 1.5 },
              { name: 'x', type: 'object', required: false },
            ],
          },
        }),
      ),
    );
    expect(err.code).toBe('invalid_parameter_schema');
    expect((err.extra.errors as { path: string }[]).map((e) => e.path)).toEqual([
      'parameter_schema.parameters.0.default',
      'parameter_schema.parameters.1.name',
      'parameter_schema.parameters.2.default',
      'parameter_schema.parameters.3.default',
      'parameter_schema.parameters.4.type',
    ]);
    expect(store.versions.size).toBe(0);
  });

  it.each([
    [{ version: '' }, 'invalid_blueprint'],
    [{ version: 'has space' }, 'invalid_blueprint'],
    [{ provider_kinds: [] }, 'invalid_provider_kind'],
    [{ provider_kinds: ['aws', 'aws'] }, 'invalid_provider_kind'],
    [{ provider_kinds: ['azure'] }, 'invalid_provider_kind'],
    [{ injection_strategy: 'magic' }, 'invalid_injection_strategy'],
    [{ parameter_schema: 'none' }, 'invalid_parameter_schema'],
    [{ parameter_schema: { params: [] } }, 'invalid_parameter_schema'],
    [{ xrd: { kind: 'CompositeResourceDefinition', spec: { names: { kind: 'X' } } } }, 'invalid_manifest'],
    [
      {
        xrd: { kind: 'CompositeResourceDefinition', spec: { names: { kind: 'X' } } },
        composition: { kind: 'Composition', spec: { compositeTypeRef: { kind: 'Y' } } },
      },
      'invalid_manifest',
    ],
  ])('rejects %j with %s', async (over, code) => {
    const bp = await aBlueprint();
    expect((await failure(publishVersion(ports, OPERATOR, bp.id, () => versionBody(over)))).code).toBe(code);
    expect(store.versions.size).toBe(0);
  });

  it('404s a version for an unknown blueprint, and refuses a taken slug', async () => {
    expect((await failure(publishVersion(ports, OPERATOR, '01910051-0051-7000-8051-0000000000ff', () => versionBody()))).code).toBe('blueprint_not_found');
    await aBlueprint();
    expect((await failure(aBlueprint())).code).toBe('blueprint_slug_conflict');
  });
});

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
