import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { routesOf } from '../../functions/api/routes.ts';
import { awsKeysFromSecret } from '../../functions/adapters/aws/substrate-resolver.ts';
import { UUID_PATTERN } from '../../functions/core/ids.ts';
import { buildDeps, deps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedFixtures } from '../../scripts/seed.ts';
import { DEMO_CREDENTIAL_KEYS } from '../../scripts/seed-catalog.ts';
import { type ApiResponse, startTestStack, type TestStack } from '../support/stack.ts';
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';

const CLOUD = FIXTURES.cloud.id;
const BLUEPRINT = FIXTURES.cloudlessBlueprint.id;
const UNKNOWN_CLOUD = '019100c0-0d00-7000-8000-0000000000ff';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const awsPayload = (secret: string) => b64(JSON.stringify({ access_key_id: 'AKIAE2ETEST', secret_access_key: secret }));

let stack: TestStack;
let demoCredentialId: string;
/** Every response's status line, headers and body, searched at the end for leaked material. */
const seen: string[] = [];
/** Material that must never come back: the demo keys and every secret this file issues. */
const material = new Set<string>([DEMO_CREDENTIAL_KEYS.secret_access_key, b64(JSON.stringify(DEMO_CREDENTIAL_KEYS))]);

type Who = 'operator' | 'admin' | null;

async function api(who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  const res = await stack.call(who, method, path, body, headers);
  seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${res.text}`);
  return res;
}

/** Calls as a user that is not one of the stack's two seeded identities. */
async function apiAs(token: string, method: string, path: string): Promise<ApiResponse> {
  return api(null, method, path, undefined, { authorization: `Bearer ${token}` });
}

/** Every item of the table with every value, keys sorted at every depth, items sorted. */
async function snapshot(): Promise<string[]> {
  // test/support/table-snapshot.ts passes the top-level key list as JSON.stringify's replacer,
  // which also filters the nested attribute-value keys (S, N, M...): its items carry no values.
  const client = new DynamoDBClient({ endpoint: stack.dynamoUrl });
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sorted(x)])) : v;
  const items: string[] = [];
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const out = await client.send(new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) items.push(JSON.stringify(sorted(item)));
    start = out.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items.sort();
}

beforeAll(async () => {
  stack = await startTestStack();
  const list = await api('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`);
  demoCredentialId = list.body.items.find((c: { display_name: string }) => c.display_name === 'demo-credential').id;
});
afterAll(async () => {
  await stack?.close();
});

let slugs = 0;
const freshSlug = (base: string) => `${base}-${++slugs}`;

async function newCloud(over: Record<string, unknown> = {}): Promise<{ id: string; slug: string }> {
  const slug = freshSlug('e2e-cloud');
  const res = await api('operator', 'POST', '/v1/clouds', {
    display_name: `Cloud ${slug}`,
    slug,
    provider: 'aws',
    endpoint: { region: 'eu-central-1', url: 'http://127.0.0.1:4566' },
    region_defaults: {},
    external_id: slug,
    ...over,
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

async function newBlueprint(): Promise<{ id: string; slug: string }> {
  const slug = freshSlug('e2e-blueprint');
  const res = await api('operator', 'POST', '/v1/blueprints', { slug, display_name: `Blueprint ${slug}` });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('the tutorial’s step 1, as the platform operator', () => {
  it('reads the seeded cloud', async () => {
    const res = await api('operator', 'GET', `/v1/clouds/${CLOUD}`);
    expect(res.status).toBe(200);
    const { slug, display_name, provider } = res.body;
    expect({ slug, display_name, provider }).toEqual({ slug: 'demo-cloud', display_name: 'Demo Cloud', provider: 'aws' });
    expect(res.body.endpoint).toMatchObject({ region: 'us-east-1', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('finds demo-credential in the cloud’s credential list, as metadata only', async () => {
    const res = await api('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials`);
    expect(res.status).toBe(200);
    const demo = res.body.items.filter((c: { display_name: string }) => c.display_name === 'demo-credential');
    expect(demo).toHaveLength(1);
    expect(demo[0].id).toMatch(UUID_PATTERN);
    expect(demo[0]).toMatchObject({ cloud_id: CLOUD, version: 1, status: 'active', owner_id: FIXTURES.operator.id });
    expect(Object.keys(demo[0]).sort()).toEqual(['cloud_id', 'created_at', 'display_name', 'expires_at', 'id', 'owner_id', 'status', 'updated_at', 'version']);
  });

  it('reads the cloudless blueprint with its version id, newest version first', async () => {
    const res = await api('operator', 'GET', `/v1/blueprints/${BLUEPRINT}`);
    expect(res.status).toBe(200);
    expect({ slug: res.body.slug, version: res.body.versions[0].version, parameter_schema: res.body.versions[0].parameter_schema }).toEqual({
      slug: 'kubernetes-cloudless-node',
      version: 'v1alpha1',
      parameter_schema: [],
    });
    const versionId = res.body.versions[0].id;
    expect(versionId).toMatch(UUID_PATTERN);
    // The resource API resolves a version by its id alone.
    expect(await deps().catalog.getVersionById(versionId)).toMatchObject({ id: versionId, blueprint_id: BLUEPRINT, version: 'v1alpha1' });
  });
});

describe('authorization, driven by the route table', () => {
  const pathFor = (path: string) =>
    path
      .replace('/v1/clouds/{id}', `/v1/clouds/${CLOUD}`)
      .replace('/v1/cloud-credentials/{id}', `/v1/cloud-credentials/${demoCredentialId}`)
      .replace('/v1/blueprints/{id}', `/v1/blueprints/${BLUEPRINT}`);

  it('refuses every catalog route to the domain admin with 403 and a reason, and to anonymous callers with 401, storing nothing', async () => {
    const routes = routesOf('catalog');
    expect(routes.length).toBeGreaterThanOrEqual(13);
    const before = await snapshot();
    for (const r of routes) {
      const path = pathFor(r.path);
      expect(path, r.path).not.toContain('{');
      // A write body that would not even validate: the refusal comes before validation.
      const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : { surprise: true };
      const denied = await api('admin', r.method, path, body);
      expect(denied.status, `${r.method} ${r.path}: ${denied.text}`).toBe(403);
      expect(denied.body).toMatchObject({ code: 'permission_denied', reason: 'insufficient_relation' });
      const anonymous = await api(null, r.method, path, body);
      expect(anonymous.status, `${r.method} ${r.path}`).toBe(401);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('clouds', () => {
  it('creates, reads, lists, patches and deletes a cloud; the slug is free again afterwards', async () => {
    const created = await newCloud({ endpoint: { region: 'eu-central-1', url: 'http://127.0.0.1:4566', role_arn: 'arn:aws:iam::1:role/x' } });
    const got = await api('operator', 'GET', `/v1/clouds/${created.id}`);
    expect(got.body).toEqual(created);
    expect(got.body.endpoint.role_arn).toBe('arn:aws:iam::1:role/x');

    const patched = await api('operator', 'PATCH', `/v1/clouds/${created.id}`, { display_name: 'Renamed', region_defaults: { region: 'eu-central-1' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ id: created.id, display_name: 'Renamed', slug: created.slug, region_defaults: { region: 'eu-central-1' } });
    expect(patched.body.endpoint).toEqual(got.body.endpoint);

    const before = await snapshot();
    for (const [body, code] of [
      [{ slug: 'other' }, 'slug_immutable'],
      [{ provider: 'azure' }, 'provider_immutable'],
      [{}, 'empty_patch'],
      [{ display_name: 'x', surprise: 1 }, 'invalid_body'],
      [{ endpoint: { region: 'nowhere' } }, 'invalid_cloud_endpoint'],
    ] as const) {
      const res = await api('operator', 'PATCH', `/v1/clouds/${created.id}`, body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, code]);
    }
    expect(await snapshot()).toEqual(before);

    expect((await api('operator', 'DELETE', `/v1/clouds/${created.id}`)).status).toBe(204);
    const gone = await api('operator', 'GET', `/v1/clouds/${created.id}`);
    expect([gone.status, gone.body.code]).toEqual([404, 'cloud_not_found']);
    expect((await api('operator', 'DELETE', `/v1/clouds/${created.id}`)).status).toBe(404);
    const again = await api('operator', 'POST', '/v1/clouds', {
      display_name: 'Again',
      slug: created.slug,
      provider: 'azure',
      endpoint: {},
      region_defaults: {},
      external_id: 'tenant',
    });
    expect(again.status, again.text).toBe(201);
  });

  it('answers Location on create and lists the new cloud', async () => {
    const slug = freshSlug('located');
    const res = await api('operator', 'POST', '/v1/clouds', {
      display_name: 'Located',
      slug,
      provider: 'aws',
      endpoint: { region: 'us-west-2' },
      region_defaults: {},
      external_id: '1',
    });
    expect(res.headers.get('location')).toBe(`/v1/clouds/${res.body.id}`);
    const list = await api('operator', 'GET', '/v1/clouds?limit=200');
    expect(list.body.items.map((c: { slug: string }) => c.slug)).toEqual(expect.arrayContaining(['demo-cloud', slug]));
  });

  it('refuses to delete a cloud that has credentials, saying how many', async () => {
    const before = await snapshot();
    const res = await api('operator', 'DELETE', `/v1/clouds/${CLOUD}`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'cloud_not_empty', cloud_child_counts: { cloud_credentials: 1 } });
    expect(await snapshot()).toEqual(before);
  });

  it('lets a delete and a credential issue race without leaving a credential under a deleted cloud', async () => {
    for (let round = 0; round < 4; round++) {
      const cloud = await newCloud();
      const [del, issue] = await Promise.all([
        api('operator', 'DELETE', `/v1/clouds/${cloud.id}`),
        api('operator', 'POST', `/v1/clouds/${cloud.id}/cloud-credentials`, { display_name: 'racer', payload: awsPayload('race-secret') }),
      ]);
      if (del.status === 204) {
        expect(issue.status, issue.text).toBe(404);
      } else {
        expect([del.status, del.body.code]).toEqual([409, 'cloud_not_empty']);
        expect(issue.status).toBe(201);
        expect((await api('operator', 'GET', `/v1/cloud-credentials/${issue.body.id}`)).status).toBe(200);
      }
    }
    material.add('race-secret');
  });
});

describe('cloud credentials', () => {
  it('issues a credential: the material goes to Secrets Manager, only metadata comes back', async () => {
    const cloud = await newCloud();
    const secret = 'e2e-issued-secret-value-0001';
    material.add(secret);
    const payload = awsPayload(secret);
    material.add(payload);
    const res = await api('operator', 'POST', `/v1/clouds/${cloud.id}/cloud-credentials`, {
      display_name: 'ci key',
      payload,
      key_values: { role_arn: 'kv-value-never-returned' },
      expires_at: '2099-01-01T00:00:00Z',
    });
    material.add('kv-value-never-returned');
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/cloud-credentials/${res.body.id}`);
    expect(res.body).toMatchObject({ cloud_id: cloud.id, display_name: 'ci key', version: 1, status: 'active', expires_at: '2099-01-01T00:00:00.000Z', owner_id: FIXTURES.operator.id });
    expect(res.body).not.toHaveProperty('revoked_at');

    const vaulted = await deps().vault.read(`${apiEnv().CREDENTIAL_SECRET_PREFIX}${res.body.id}`);
    expect(awsKeysFromSecret(vaulted.value)).toEqual({ access_key_id: 'AKIAE2ETEST', secret_access_key: secret });

    const got = await api('operator', 'GET', `/v1/cloud-credentials/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    const list = await api('operator', 'GET', `/v1/clouds/${cloud.id}/cloud-credentials`);
    expect(list.body.items).toEqual([res.body]);
  });

  it('revokes once; revoking again answers the same revoked credential', async () => {
    const cloud = await newCloud();
    const issued = await api('operator', 'POST', `/v1/clouds/${cloud.id}/cloud-credentials`, { display_name: 'short', payload: awsPayload('revoke-me') });
    material.add('revoke-me');
    const revoked = await api('operator', 'POST', `/v1/cloud-credentials/${issued.body.id}/revoke`, { reason: 'rotated' });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body).toMatchObject({ id: issued.body.id, status: 'revoked', revoked_at: expect.any(String) });
    const before = await snapshot();
    const again = await api('operator', 'POST', `/v1/cloud-credentials/${issued.body.id}/revoke`, { reason: 'again' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(revoked.body);
    expect(await snapshot()).toEqual(before);
    const blank = await api('operator', 'POST', `/v1/cloud-credentials/${issued.body.id}/revoke`, { reason: '  ' });
    expect([blank.status, blank.body.code]).toEqual([400, 'invalid_revoke_reason']);
    const unknown = await api('operator', 'POST', '/v1/cloud-credentials/019100c0-0f00-7000-8000-0000000000ff/revoke', { reason: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'cloud_credential_not_found']);
  });

  it('shows a credential as expired once the injected clock passes expires_at', async () => {
    const cloud = await newCloud();
    const expiresAt = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const issued = await api('operator', 'POST', `/v1/clouds/${cloud.id}/cloud-credentials`, {
      display_name: 'hour',
      payload: awsPayload('hour-secret'),
      expires_at: expiresAt,
    });
    material.add('hour-secret');
    expect(issued.body.status).toBe('active');
    const current = deps();
    const later = new Date(Date.parse(expiresAt) + 1000);
    // Only the catalog sees the later time: access tokens keep their own clock.
    setDeps(buildDeps(apiEnv(), { ...current, clock: { now: () => later } }));
    try {
      const got = await api('operator', 'GET', `/v1/cloud-credentials/${issued.body.id}`);
      expect(got.body.status).toBe('expired');
      const list = await api('operator', 'GET', `/v1/clouds/${cloud.id}/cloud-credentials`);
      expect(list.body.items[0].status).toBe('expired');
    } finally {
      setDeps(current);
    }
  });
});

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

describe('pagination', () => {
  it('refuses a limit out of range', async () => {
    for (const limit of ['0', '201', '-1', 'ten', '1.5']) {
      for (const path of ['/v1/clouds', '/v1/blueprints', `/v1/clouds/${CLOUD}/cloud-credentials`]) {
        const res = await api('operator', 'GET', `${path}?limit=${limit}`);
        expect([res.status, res.body.code], `${path}?limit=${limit}`).toEqual([400, 'invalid_limit']);
      }
    }
  });

  it('walks every page once, and refuses tampered, foreign and misplaced cursors', async () => {
    for (let i = 0; i < 3; i++) await newBlueprint();
    const all = await api('operator', 'GET', '/v1/blueprints?limit=200');
    const expected = all.body.items.map((b: { id: string }) => b.id);
    expect(expected.length).toBeGreaterThanOrEqual(4);

    const walked: string[] = [];
    let cursor: string | undefined;
    let firstCursor: string | undefined;
    do {
      const page = await api('operator', 'GET', `/v1/blueprints?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      walked.push(...page.body.items.map((b: { id: string }) => b.id));
      cursor = page.body.next_cursor;
      firstCursor ??= cursor;
    } while (cursor);
    expect(walked).toEqual(expected);
    expect(firstCursor).toBeDefined();
    const minted = firstCursor as string;

    const tampered = `${minted.slice(0, 5)}${minted[5] === 'A' ? 'B' : 'A'}${minted.slice(6)}`;
    const bad = await api('operator', 'GET', `/v1/blueprints?limit=2&cursor=${encodeURIComponent(tampered)}`);
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_cursor']);
    const garbage = await api('operator', 'GET', '/v1/blueprints?cursor=garbage');
    expect([garbage.status, garbage.body.code]).toEqual([400, 'invalid_cursor']);

    const elsewhere = await api('operator', 'GET', `/v1/clouds?limit=2&cursor=${encodeURIComponent(minted)}`);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([403, 'cursor_binding_mismatch']);

    // A second platform operator may list the catalog, but not with the first one's cursor.
    const otherId = '019100a0-0c00-7000-8000-0000000000e1';
    await new Table(stack.tableName).put({
      ...keys.user(otherId),
      id: otherId,
      domain_id: FIXTURES.domain.id,
      email: 'operator2@example.com',
      display_name: 'Second Operator',
      password_hash: 'unused',
      platform_operator: true,
      domain_roles: {},
      created_at: '2026-01-01T00:00:00.000Z',
    });
    const { token } = await deps().tokens.issue({ subject: otherId, domainId: FIXTURES.domain.id, email: 'operator2@example.com' });
    expect((await apiAs(token, 'GET', '/v1/blueprints?limit=2')).status).toBe(200);
    const foreign = await apiAs(token, 'GET', `/v1/blueprints?limit=2&cursor=${encodeURIComponent(minted)}`);
    expect([foreign.status, foreign.body.code]).toEqual([403, 'cursor_binding_mismatch']);
  });

  it('pages a cloud’s credentials', async () => {
    const cloud = await newCloud();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api('operator', 'POST', `/v1/clouds/${cloud.id}/cloud-credentials`, { display_name: `k${i}`, payload: awsPayload(`page-secret-${i}`) });
      material.add(`page-secret-${i}`);
      ids.push(res.body.id);
    }
    const first = await api('operator', 'GET', `/v1/clouds/${cloud.id}/cloud-credentials?limit=2`);
    expect(first.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    const second = await api('operator', 'GET', `/v1/clouds/${cloud.id}/cloud-credentials?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(2));
    expect(second.body).not.toHaveProperty('next_cursor');
    const otherCloud = await api('operator', 'GET', `/v1/clouds/${CLOUD}/cloud-credentials?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(otherCloud.body.code).toBe('cursor_binding_mismatch');
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
  it('never appears in any response of this file', () => {
    expect(seen.length).toBeGreaterThan(100);
    const forbidden = [...material, 'secret_arn', 'secret_version_id', 'arn:aws:secretsmanager', apiEnv().CREDENTIAL_SECRET_PREFIX, '"revoke_reason"'];
    for (const text of seen) for (const needle of forbidden) expect(text.includes(needle), `${needle} leaked in ${text}`).toBe(false);
  });
});
