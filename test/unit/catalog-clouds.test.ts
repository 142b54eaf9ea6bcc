import { beforeEach, describe, expect, it } from 'vitest';
import { awsEndpointOf } from '../../functions/adapters/aws/substrate-resolver.ts';
import { type Blueprint, createBlueprint, getBlueprint, publishVersion } from '../../functions/core/catalog/blueprints.ts';
import { createCloud, deleteCloud, getCloud, patchCloud } from '../../functions/core/catalog/clouds.ts';
import { issueCredential } from '../../functions/core/catalog/credentials.ts';
import type { CatalogPorts } from '../../functions/core/catalog/store.ts';
import { UUID_PATTERN } from '../../functions/core/ids.ts';
import { ADMIN, AWS_KEYS, b64, cloudBody, createCloudAs, failure, type MemoryCatalog, memoryCatalog, OPERATOR } from '../support/catalog-fakes.ts';

// The cloud and blueprint use cases against in-memory fakes of their ports.

let store: MemoryCatalog;
let now: Date;
let ports: CatalogPorts;

beforeEach(() => {
  now = new Date('2026-06-01T00:00:00.000Z');
  ({ store, ports } = memoryCatalog(() => now));
});

const aCloud = (over: Record<string, unknown> = {}) => createCloudAs(ports, over);

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
    expect(awsEndpointOf(await aCloud({ slug: 'with-url' }))).toEqual({ region: 'eu-west-1', url: 'https://127.0.0.1:4566' });
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

  it('takes only https endpoints by default, on create and on patch (400 insecure_endpoint), and stores nothing', async () => {
    for (const url of ['http://127.0.0.1:4566', 'http://ec2.eu-west-1.amazonaws.com']) {
      const err = await failure(aCloud({ slug: 'plain', endpoint: { region: 'eu-west-1', url } }));
      expect(err).toMatchObject({ name: 'InvalidInputError', code: 'insecure_endpoint' });
      const azure = await failure(aCloud({ slug: 'plain-az', provider: 'azure', endpoint: { url } }));
      expect(azure.code).toBe('insecure_endpoint');
    }
    expect(store.clouds.size).toBe(0);
    const cloud = await aCloud();
    const patch = await failure(patchCloud(ports, OPERATOR, cloud.id, () => ({ endpoint: { region: 'eu-west-1', url: 'http://127.0.0.1:4566' } })));
    expect(patch.code).toBe('insecure_endpoint');
    expect((await getCloud(ports, OPERATOR, cloud.id)).endpoint).toEqual({ region: 'eu-west-1', url: 'https://127.0.0.1:4566' });
  });

  it('takes http endpoints where the setting allows them (the embedded stack)', async () => {
    const embedded = { ...ports, config: { ...ports.config, allowHttpEndpoints: true } };
    const cloud = await createCloudAs(embedded, { endpoint: { region: 'eu-west-1', url: 'http://127.0.0.1:4566' } });
    expect(cloud.endpoint).toEqual({ region: 'eu-west-1', url: 'http://127.0.0.1:4566' });
    const patched = await patchCloud(embedded, OPERATOR, cloud.id, () => ({ endpoint: { region: 'eu-west-1', url: 'http://127.0.0.1:4567' } }));
    expect(patched.endpoint).toEqual({ region: 'eu-west-1', url: 'http://127.0.0.1:4567' });
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
