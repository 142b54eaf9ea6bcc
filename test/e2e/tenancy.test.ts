import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let stack: TestStack;
const DOMAIN = FIXTURES.domain.id;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

describe('domains', () => {
  it('lists and reads the seeded domain for its admin and its auditor', async () => {
    for (const who of ['admin', 'operator'] as const) {
      const list = await stack.call(who, 'GET', '/v1/domains');
      expect(list.status).toBe(200);
      expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([DOMAIN]);
      const one = await stack.call(who, 'GET', `/v1/domains/${DOMAIN}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id: DOMAIN, name: 'Acme Corp', slug: 'acme-corp', mesh_cidr: FIXTURES.domain.meshCidr });
      expect(one.body.reachability).toHaveProperty('heartbeat_interval');
    }
  });

  it('answers a malformed id with 400 invalid_domain_id and an unknown one with 404', async () => {
    const bad = await stack.call('admin', 'GET', '/v1/domains/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body).toMatchObject({ code: 'invalid_domain_id', status: 400, instance: '/v1/domains/not-a-uuid' });
    const unknown = await stack.call('admin', 'GET', '/v1/domains/019100a0-0a00-7000-8000-0000000000ff');
    expect(unknown.status).toBe(404);
  });

  it('refuses a request without a token with 401', async () => {
    const res = await stack.call(null, 'GET', '/v1/domains');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('missing_token');
  });
});

describe('projects', () => {
  it('lets the domain admin create a project it can use in the very next request', async () => {
    const res = await stack.call('admin', 'POST', '/v1/projects', {
      domain_id: DOMAIN,
      name: 'Provision demo',
      slug: 'provision-demo',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/projects/${res.body.id}`);
    expect(res.body).toMatchObject({ domain_id: DOMAIN, name: 'Provision demo', slug: 'provision-demo', owner_id: FIXTURES.admin.id });
    // No eventual-consistency window: the grant follows from the item just written.
    const read = await stack.call('admin', 'GET', `/v1/projects/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(res.body.id);
  });

  it('refuses a second project with the same slug with 409 and stores nothing', async () => {
    const body = { domain_id: DOMAIN, name: 'Dup', slug: 'dup-slug' };
    expect((await stack.call('admin', 'POST', '/v1/projects', body)).status).toBe(201);
    const before = await snapshot();
    const again = await stack.call('admin', 'POST', '/v1/projects', { ...body, name: 'Dup 2' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('project_slug_conflict');
    expect(await snapshot()).toEqual(before);
  });

  it('rejects bad bodies with 400 invalid_body and stores nothing', async () => {
    const before = await snapshot();
    const cases: unknown[] = [
      { domain_id: DOMAIN, name: 'x', slug: 'ok-slug', surprise: true },
      { domain_id: DOMAIN, name: 'x', slug: 'Not A Slug' },
      { domain_id: 'nope', name: 'x', slug: 'ok-slug' },
      { name: 'x', slug: 'ok-slug' },
      '[1,2',
    ];
    for (const body of cases) {
      const res = await stack.call('admin', 'POST', '/v1/projects', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('invalid_body');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('rejects an oversized body with 413 request_body_too_large', async () => {
    const before = await snapshot();
    const res = await stack.call('admin', 'POST', '/v1/projects', {
      domain_id: DOMAIN,
      name: 'big',
      slug: 'big',
      description: 'x'.repeat(9 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('request_body_too_large');
    expect(await snapshot()).toEqual(before);
  });

  it('does not let the operator (auditor) create projects, and says why', async () => {
    const before = await snapshot();
    const res = await stack.call('operator', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Nope', slug: 'nope' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'insufficient_relation', status: 403 });
    expect(res.body.correlation_id).toEqual(expect.any(String));
    expect(await snapshot()).toEqual(before);
  });

  it('lets the auditor read projects but not change or delete them', async () => {
    const created = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Audited', slug: 'audited' });
    const id = created.body.id;
    expect((await stack.call('operator', 'GET', `/v1/projects/${id}`)).status).toBe(200);
    expect((await stack.call('operator', 'PATCH', `/v1/projects/${id}`, { name: 'Hijacked' })).status).toBe(403);
    expect((await stack.call('operator', 'DELETE', `/v1/projects/${id}`)).status).toBe(403);
    const list = await stack.call('operator', 'GET', `/v1/projects?domain_id=${DOMAIN}`);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(id);
  });

  it('patches and deletes a project, then frees its slug', async () => {
    const created = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Temp', slug: 'temp' });
    const id = created.body.id;
    const patched = await stack.call('admin', 'PATCH', `/v1/projects/${id}`, { name: 'Temporary', description: 'short-lived' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Temporary', description: 'short-lived', slug: 'temp' });
    expect((await stack.call('admin', 'PATCH', `/v1/projects/${id}`, { slug: 'renamed' })).status).toBe(400);
    expect((await stack.call('admin', 'DELETE', `/v1/projects/${id}`)).status).toBe(204);
    expect((await stack.call('admin', 'GET', `/v1/projects/${id}`)).status).toBe(404);
    expect((await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Temp again', slug: 'temp' })).status).toBe(201);
  });

  it('paginates with sealed cursors bound to the caller', async () => {
    for (const n of [1, 2, 3]) {
      await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: `Page ${n}`, slug: `page-${n}` });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    const all = await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=200`);
    expect(all.body.next_cursor).toBeUndefined();
    expect(seen).toEqual(all.body.items.map((p: { id: string }) => p.id));
    expect(new Set(seen).size).toBe(seen.length);

    const first = await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=1`);
    const next = first.body.next_cursor as string;
    const tampered = `${next.slice(0, -2)}${next.endsWith('A') ? 'B' : 'A'}A`;
    expect((await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=1&cursor=${encodeURIComponent(tampered)}`)).body.code).toBe(
      'invalid_cursor',
    );
    const stolen = await stack.call('operator', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=1&cursor=${encodeURIComponent(next)}`);
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('cursor_binding_mismatch');
    for (const limit of ['0', '201', 'ten', '-1']) {
      const res = await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_limit');
    }
  });
});
