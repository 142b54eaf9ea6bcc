import { describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { routesOf } from '../../functions/api/routes.ts';
import { awsKeysFromSecret } from '../../functions/adapters/aws/substrate-resolver.ts';
import { UUID_PATTERN } from '../../functions/core/ids.ts';
import { buildDeps, deps, setDeps } from '../../functions/shared/composition.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { api, expectNoMaterialSeen, material, snapshot, stack, useCatalogStack } from '../support/catalog-e2e.ts';
import { awsPayload, BLUEPRINT, CLOUD, demoCredentialId, freshSlug, newBlueprint, newCloud } from '../support/catalog-e2e.ts';
import type { ApiResponse } from '../support/stack.ts';

// The seeded catalog, who may call its routes, clouds and their credentials, and paging through
// them; at the end, that no response of this file gave credential material back.

useCatalogStack();

/** Calls as a user that is not one of the stack's two seeded identities. */
async function apiAs(token: string, method: string, path: string): Promise<ApiResponse> {
  return api(null, method, path, undefined, { authorization: `Bearer ${token}` });
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

describe('credential material', () => {
  it('never appears in any response of this file', () => expectNoMaterialSeen(100));
});
