import { describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { awsKeysFromSecret } from '../../functions/adapters/aws/substrate-resolver.ts';
import { deps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedFixtures } from '../../scripts/seed.ts';
import { DEMO_CREDENTIAL_KEYS } from '../../scripts/seed-catalog.ts';
import { api, expectNoMaterialSeen, material, snapshot, stack, useCatalogStack } from '../support/catalog-e2e.ts';
import { awsPayload, b64, BLUEPRINT, CLOUD, demoCredentialId, freshSlug, newBlueprint, newCloud } from '../support/catalog-e2e.ts';

// Blueprints and their versions, bad input to every catalog route, JSON that DynamoDB cannot
// store, and the seed run again over a seeded table.

const UNKNOWN_CLOUD = '019100c0-0d00-7000-8000-0000000000ff';

useCatalogStack();

describe('blueprints', () => {
  it('registers a blueprint, publishes versions and reads them newest first', async () => {
    const bp = await newBlueprint();
    expect(bp).toMatchObject({ status: 'active', versions: [] });
    const v1 = await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, {
      version: '1.0.0',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: {
        parameters: [
          { name: 'size', type: 'integer', required: false, default: 2 },
          { name: 'label', type: 'string', required: true },
        ],
      },
    });
    expect(v1.status, v1.text).toBe(201);
    expect(v1.headers.get('location')).toBe(`/v1/blueprints/${bp.id}`);
    const v2 = await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, {
      version: '1.1.0',
      provider_kinds: ['aws', 'hetzner'],
      injection_strategy: 'helm-values',
      parameter_schema: [{ name: 'debug', type: 'boolean', required: false, default: false }],
      xrd: { kind: 'CompositeResourceDefinition', spec: { names: { kind: 'XNode' } } },
      composition: { kind: 'Composition', spec: { compositeTypeRef: { kind: 'XNode' } } },
    });
    expect(v2.status, v2.text).toBe(201);
    const got = await api('operator', 'GET', `/v1/blueprints/${bp.id}`);
    expect(got.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(got.body.versions[1]).toEqual(v1.body);
    expect(got.body.versions[1].parameter_schema).toEqual([
      { name: 'size', type: 'integer', required: false, default: 2 },
      { name: 'label', type: 'string', required: true },
    ]);
    // Manifests are storage-internal.
    expect(got.body.versions[0]).not.toHaveProperty('xrd');
    const list = await api('operator', 'GET', '/v1/blueprints?limit=200');
    const listed = list.body.items.find((b: { id: string }) => b.id === bp.id);
    expect(listed).toMatchObject({ slug: bp.slug, versions: [] });
  });

  it('publishes a version string once, even when many publish it at the same time', async () => {
    const bp = await newBlueprint();
    const body = { version: 'race', provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: { parameters: [] } };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('blueprint_version_exists');
    const got = await api('operator', 'GET', `/v1/blueprints/${bp.id}`);
    expect(got.body.versions).toHaveLength(1);
    // Only the winner's by-id pointer remains.
    const pointers = (await snapshot()).filter((item) => item.includes('"BPVERSION#') && item.includes(bp.id));
    expect(pointers).toHaveLength(1);
    expect(pointers[0]).toContain(got.body.versions[0].id);
  });
});

describe('bad input is refused and stores nothing', () => {
  it('answers each bad request with its code and leaves the table as it was', async () => {
    const emptyCloud = await newCloud();
    const bp = await newBlueprint();
    const big = 'x'.repeat(9 * 1024);
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/v1/clouds/not-a-uuid', undefined, 400, 'invalid_cloud_id'],
      ['PATCH', '/v1/clouds/123', { display_name: 'x' }, 400, 'invalid_cloud_id'],
      ['DELETE', '/v1/clouds/0190', undefined, 400, 'invalid_cloud_id'],
      ['GET', '/v1/clouds/nope/cloud-credentials', undefined, 400, 'invalid_cloud_id'],
      ['POST', '/v1/clouds/nope/cloud-credentials', { display_name: 'k', payload: 'YQ==' }, 400, 'invalid_cloud_id'],
      ['GET', '/v1/cloud-credentials/nope', undefined, 400, 'invalid_cloud_credential_id'],
      ['POST', '/v1/cloud-credentials/nope/revoke', { reason: 'x' }, 400, 'invalid_cloud_credential_id'],
      ['GET', '/v1/blueprints/nope', undefined, 400, 'invalid_blueprint_id'],
      ['POST', '/v1/blueprints/nope/versions', {}, 400, 'invalid_blueprint_id'],
      ['GET', `/v1/clouds/${UNKNOWN_CLOUD}`, undefined, 404, 'cloud_not_found'],
      ['GET', '/v1/cloud-credentials/019100c0-0f00-7000-8000-0000000000ff', undefined, 404, 'cloud_credential_not_found'],
      ['GET', '/v1/blueprints/01910051-0051-7000-8051-0000000000ff', undefined, 404, 'blueprint_not_found'],
      // clouds
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'ok', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: '1', surprise: 1 }, 400, 'invalid_body'],
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'ok', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {} }, 400, 'invalid_body'],
      ['POST', '/v1/clouds', '{"display_name":', 400, 'invalid_body'],
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'Not Ok', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: '1' }, 400, 'invalid_cloud'],
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'ok', provider: 'gcp', endpoint: {}, region_defaults: {}, external_id: '1' }, 400, 'unknown_provider'],
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'ok', provider: 'aws', endpoint: { url: 'file:///etc' }, region_defaults: {}, external_id: '1' }, 400, 'invalid_cloud_endpoint'],
      ['POST', '/v1/clouds', { display_name: 'x', slug: 'demo-cloud', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: '1' }, 409, 'cloud_slug_conflict'],
      ['POST', '/v1/clouds', { display_name: big, slug: 'big', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: '1' }, 413, 'request_body_too_large'],
      // credentials
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: 'not base64!' }, 400, 'invalid_payload'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: '' }, 400, 'invalid_payload'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: b64('plain text') }, 422, 'invalid_credential_payload'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: b64('{"access_key_id":"A"}') }, 422, 'invalid_credential_payload'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: awsPayload('bad-input-secret'), surprise: 1 }, 400, 'invalid_body'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: ' ', payload: awsPayload('bad-input-secret') }, 400, 'invalid_display_name'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: awsPayload('bad-input-secret'), expires_at: '2000-01-01T00:00:00Z' }, 422, 'invalid_expires_at'],
      ['POST', `/v1/clouds/${UNKNOWN_CLOUD}/cloud-credentials`, { display_name: 'k', payload: awsPayload('bad-input-secret') }, 404, 'cloud_not_found'],
      ['POST', `/v1/clouds/${CLOUD}/cloud-credentials`, { display_name: 'k', payload: b64(big) }, 413, 'request_body_too_large'],
      ['DELETE', `/v1/clouds/${CLOUD}`, undefined, 409, 'cloud_not_empty'],
      ['POST', `/v1/cloud-credentials/${demoCredentialId}/revoke`, { reason: 'x', surprise: 1 }, 400, 'invalid_body'],
      ['PATCH', `/v1/clouds/${emptyCloud.id}`, { slug: 'renamed' }, 400, 'slug_immutable'],
      // blueprints
      ['POST', '/v1/blueprints', { slug: 'kubernetes-cloudless-node', display_name: 'Dup' }, 409, 'blueprint_slug_conflict'],
      ['POST', '/v1/blueprints', { slug: 'ok-bp', display_name: 'x', domain_id: FIXTURES.domain.id }, 400, 'invalid_body'],
      ['POST', '/v1/blueprints', { slug: '-bad', display_name: 'x' }, 400, 'invalid_blueprint'],
      ['POST', `/v1/blueprints/${BLUEPRINT}/versions`, { version: 'v1alpha1', provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: [] }, 409, 'blueprint_version_exists'],
      ['POST', `/v1/blueprints/${bp.id}/versions`, { version: '1', provider_kinds: ['azure'], injection_strategy: 'helm-values', parameter_schema: [] }, 400, 'invalid_provider_kind'],
      ['POST', `/v1/blueprints/${bp.id}/versions`, { version: '1', provider_kinds: ['aws'], injection_strategy: 'ssh', parameter_schema: [] }, 400, 'invalid_injection_strategy'],
      ['POST', `/v1/blueprints/${bp.id}/versions`, { version: '1', provider_kinds: ['aws'], injection_strategy: 'helm-values', parameter_schema: [], surprise: 1 }, 400, 'invalid_body'],
      ['POST', '/v1/blueprints/01910051-0051-7000-8051-0000000000ff/versions', { version: '1', provider_kinds: ['aws'], injection_strategy: 'helm-values', parameter_schema: [] }, 404, 'blueprint_not_found'],
    ];
    material.add('bad-input-secret');
    const before = await snapshot();
    for (const [method, path, body, status, code] of cases) {
      const res = await api('operator', method, path, body);
      expect([res.status, res.body?.code], `${method} ${path} ${JSON.stringify(body)?.slice(0, 120)}: ${res.text.slice(0, 300)}`).toEqual([status, code]);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('names every offending parameter with its path', async () => {
    const bp = await newBlueprint();
    const before = await snapshot();
    const res = await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, {
      version: '1.0.0',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: {
        parameters: [
          { name: 'count', type: 'integer', required: false, default: 'three' },
          { name: 'count', type: 'integer', required: false },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_parameter_schema');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['parameter_schema.parameters.0.default', 'parameter_schema.parameters.1.name']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('free-form JSON that DynamoDB cannot store is refused before anything is written', () => {
  /** `levels` objects one in the other, the innermost holding a scalar. */
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { leaf: 'x' };
    for (let i = 1; i < levels; i++) value = { a: value };
    return value;
  };
  const cloudBody = (slug: string, over: Record<string, unknown> = {}) => ({
    display_name: `Cloud ${slug}`,
    slug,
    provider: 'aws',
    endpoint: { region: 'us-east-1' },
    region_defaults: {},
    external_id: slug,
    ...over,
  });

  it('answers 400 invalid_body with the field path for a cloud, and the slug stays free', async () => {
    const slug = freshSlug('e2e-unstorable');
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ endpoint: { region: 'us-east-1', n: 1e200 } }, 'endpoint.n'],
      [{ endpoint: { region: 'us-east-1', role: { ids: [1, 2 ** 60] } } }, 'endpoint.role.ids.1'],
      [{ region_defaults: { tiny: 1e-200 } }, 'region_defaults.tiny'],
      [{ region_defaults: nested(32) }, `region_defaults${'.a'.repeat(31)}`],
    ];
    for (const [over, path] of cases) {
      const res = await api('operator', 'POST', '/v1/clouds', cloudBody(slug, over));
      expect([res.status, res.body.code], res.text).toEqual([400, 'invalid_body']);
      expect(res.body.errors).toEqual([{ path, message: expect.any(String) }]);
    }
    expect(await snapshot()).toEqual(before);
    // Nothing was claimed: the same slug is created at once, with DynamoDB's deepest nesting.
    const created = await api('operator', 'POST', '/v1/clouds', cloudBody(slug, { region_defaults: nested(31), endpoint: { region: 'us-east-1', n: 1.5, big: Number.MAX_SAFE_INTEGER } }));
    expect(created.status, created.text).toBe(201);
    expect((await api('operator', 'GET', `/v1/clouds/${created.body.id}`)).body.region_defaults).toEqual(nested(31));

    const patchBefore = await snapshot();
    const patched = await api('operator', 'PATCH', `/v1/clouds/${created.body.id}`, { endpoint: { region: 'us-east-1', n: -1e200 } });
    expect([patched.status, patched.body.code, patched.body.errors?.[0]?.path]).toEqual([400, 'invalid_body', 'endpoint.n']);
    expect(await snapshot()).toEqual(patchBefore);
  });

  it('answers 400 invalid_body with the field path for a version’s xrd and composition, and the version string stays free', async () => {
    const bp = await newBlueprint();
    const xrd = { kind: 'CompositeResourceDefinition', spec: { names: { kind: 'XNode' } } };
    const composition = { kind: 'Composition', spec: { compositeTypeRef: { kind: 'XNode' } } };
    const version = (over: Record<string, unknown>) => ({ version: '1.0.0', provider_kinds: ['aws'], injection_strategy: 'helm-values', parameter_schema: [], xrd, composition, ...over });
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ xrd: { ...xrd, spec: { ...xrd.spec, replicas: 1e200 } } }, 'xrd.spec.replicas'],
      [{ composition: { ...composition, resources: [nested(31)] } }, `composition.resources.0${'.a'.repeat(29)}`],
    ];
    for (const [over, path] of cases) {
      const res = await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, version(over));
      expect([res.status, res.body.code], res.text).toEqual([400, 'invalid_body']);
      expect(res.body.errors).toEqual([{ path, message: expect.any(String) }]);
    }
    expect(await snapshot()).toEqual(before);
    expect((await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, version({}))).status).toBe(201);
  });

  it('refuses a parameter named after what every object inherits (constructor, toString, __proto__)', async () => {
    const bp = await newBlueprint();
    const before = await snapshot();
    for (const name of ['constructor', 'toString', '__proto__']) {
      const res = await api('operator', 'POST', `/v1/blueprints/${bp.id}/versions`, {
        version: '1.0.0',
        provider_kinds: ['aws'],
        injection_strategy: 'cloud-init-user-data',
        parameter_schema: { parameters: [{ name, type: 'string', required: false }] },
      });
      expect([res.status, res.body.code], res.text).toEqual([400, 'invalid_parameter_schema']);
      expect(res.body.errors).toEqual([{ path: 'parameter_schema.parameters.0.name', message: expect.stringContaining(name) }]);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('the seed', () => {
  it('changes nothing on a second boot', async () => {
    const before = await snapshot();
    const report = await seedFixtures(new Table(stack.tableName));
    expect(report.created).toEqual([]);
    expect(report.kept).toEqual(expect.arrayContaining(['cloud demo-cloud', 'credential demo-credential', 'blueprint kubernetes-cloudless-node', 'blueprint version kubernetes-cloudless-node v1alpha1']));
    expect(await snapshot()).toEqual(before);
  });

  it('finishes an interrupted first boot with the ids it had claimed', async () => {
    const table = new Table(stack.tableName);
    const versionId = (await api('operator', 'GET', `/v1/blueprints/${BLUEPRINT}`)).body.versions[0].id;
    // As if the first boot had stopped after the seed's id claims and the vault, before the
    // credential and the version (a version and its by-id pointer are one transaction).
    await table.delete(keys.credential(demoCredentialId));
    await table.delete(keys.blueprintVersion(BLUEPRINT, 'v1alpha1'));
    await table.delete(keys.blueprintVersionById(versionId));
    const report = await seedFixtures(table);
    expect(report.created).toEqual(['credential demo-credential', 'blueprint version kubernetes-cloudless-node v1alpha1']);
    const list = await api('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`);
    expect(list.body.items.filter((c: { display_name: string }) => c.display_name === 'demo-credential').map((c: { id: string }) => c.id)).toEqual([demoCredentialId]);
    expect((await api('operator', 'GET', `/v1/blueprints/${BLUEPRINT}`)).body.versions.map((v: { id: string }) => v.id)).toEqual([versionId]);
    const vaulted = await deps().vault.read(`${apiEnv().CREDENTIAL_SECRET_PREFIX}${demoCredentialId}`);
    expect(awsKeysFromSecret(vaulted.value)).toEqual(DEMO_CREDENTIAL_KEYS);
  });

  it('follows the local EC2 emulator to a new endpoint, then settles', async () => {
    process.env.LOCAL_EC2_ENDPOINT = 'http://127.0.0.1:5999';
    try {
      const report = await seedFixtures(new Table(stack.tableName));
      expect(report.created).toEqual(['cloud demo-cloud endpoint']);
      expect((await api('operator', 'GET', `/v1/clouds/${CLOUD}`)).body.endpoint).toEqual({ region: 'us-east-1', url: 'http://127.0.0.1:5999' });
      const before = await snapshot();
      expect((await seedFixtures(new Table(stack.tableName))).created).toEqual([]);
      expect(await snapshot()).toEqual(before);
    } finally {
      delete process.env.LOCAL_EC2_ENDPOINT;
    }
  });
});

describe('credential material', () => {
  it('never appears in any response of this file', () => expectNoMaterialSeen(20));
});
