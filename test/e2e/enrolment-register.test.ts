import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { cidrContains } from '../../functions/core/cidr.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedDomain } from '../../scripts/seed.ts';
import {
  type DOMAIN,
  enrollingResource,
  otherProjectId,
  projectId,
  register,
  readyNode,
  registeredNode,
  resourceOf,
  stack,
  TOKEN_TTL_SECONDS,
  useEnrolmentStack,
} from '../support/enrolment-e2e.ts';
import { enrollingResource as enrollingFixture, wireguardKey } from '../support/nodes.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { waitFor } from '../support/wait.ts';

// POST /v1/register: what a node gets for its bootstrap token, and every way the token is refused.

const CIDR = FIXTURES.domain.meshCidr;

useEnrolmentStack();

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

/** The table's raw items, parsed, for counting claims and pointers. */
async function items(): Promise<Array<Record<string, { S?: string }>>> {
  return (await snapshot()).map((line) => JSON.parse(line));
}

const b64Length = (text: string) => Buffer.from(text, 'base64').length;

describe('POST /v1/register', () => {
  it('enrols a node: 201 in the contract shape, a mesh IP in the domain CIDR, the token consumed, the NSK stored only as a hash', async () => {
    const first = await readyNode();
    const waiting = await registeredNode();
    const bound = await enrollingResource();
    const publicKey = wireguardKey();
    const res = await register(bound, { public_key: publicKey });
    expect(res.status).toBe(201);
    const body = res.body;
    expect(Object.keys(body).sort()).toEqual(['domain_mesh_cidr', 'mesh_ip', 'node_id', 'nsk', 'peer_snapshot', 'signing_key_id', 'signing_public_key']);
    expect(body.node_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(cidrContains(CIDR, body.mesh_ip)).toBe(true);
    expect(body.mesh_ip).not.toBe(first.mesh_ip);
    expect(body.domain_mesh_cidr).toBe(CIDR);
    expect(b64Length(body.signing_public_key)).toBe(32);
    expect(body.signing_public_key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(body.signing_key_id).toEqual(expect.any(String));
    expect(b64Length(body.nsk)).toBe(32);
    // The domain's Ready nodes, never itself, nor a node whose Resource is not Ready yet.
    expect(body.peer_snapshot).toContainEqual({ node_id: first.node_id, mesh_ip: first.mesh_ip, public_key: expect.any(String) });
    expect(body.peer_snapshot.map((p: { node_id: string }) => p.node_id)).not.toContain(body.node_id);
    expect(body.peer_snapshot.map((p: { node_id: string }) => p.node_id)).not.toContain(waiting.node_id);
    for (const peer of body.peer_snapshot) expect(Object.keys(peer).sort()).toEqual(['mesh_ip', 'node_id', 'public_key']);

    const resource = await resourceOf(bound.resource.id);
    expect(resource.bootstrap?.consumed_at).toEqual(expect.any(String));
    expect(resource.node).toMatchObject({ node_id: body.node_id, mesh_ip: body.mesh_ip, public_key: publicKey });
    expect(resource.node?.nsk_hash).toBe(createHash('sha256').update(Buffer.from(body.nsk, 'base64')).digest('hex'));
    const stored = (await snapshot()).join('\n');
    expect(stored).not.toContain(body.nsk);
    expect(stored).not.toContain(Buffer.from(body.nsk, 'base64').toString('base64url'));
    expect(stored).not.toContain(bound.token);
    // The signing key is the broker's, the same for every node.
    expect((await register(await enrollingResource())).body.signing_public_key).toBe(body.signing_public_key);
  });

  it('refuses a replayed token with 403 token_consumed and stores nothing', async () => {
    const bound = await enrollingResource();
    expect((await register(bound)).status).toBe(201);
    const before = await snapshot();
    const replay = await register(bound);
    expect(replay.status).toBe(403);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(replay.body).toMatchObject({ status: 403, code: 'token_consumed', instance: '/v1/register' });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an expired token with 403 token_expired and leaves it unconsumed', async () => {
    const bound = await enrollingResource();
    const expiresAt = Date.parse(bound.resource.bootstrap?.expires_at ?? '');
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TOKEN_TTL_SECONDS * 1000);
    await waitFor(async () => (deps().clock.now().getTime() > expiresAt ? true : undefined), {
      timeoutMs: (TOKEN_TTL_SECONDS + 5) * 1000,
      intervalMs: 50,
      what: 'the bootstrap token to expire',
    });
    const before = await snapshot();
    const res = await register(bound);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('token_expired');
    expect(await snapshot()).toEqual(before);
    expect((await resourceOf(bound.resource.id)).bootstrap?.consumed_at).toBeUndefined();
  });

  it('refuses a token of another project with 403 project_mismatch, and an unknown handle with 404', async () => {
    const bound = await enrollingResource();
    const before = await snapshot();
    const wrongProject = await register(bound, { project_id: otherProjectId });
    expect(wrongProject.status).toBe(403);
    expect(wrongProject.body.code).toBe('project_mismatch');
    const wrongHandle = await register(bound, { resource_handle: 'edge-router-01' });
    expect(wrongHandle.status).toBe(404);
    expect(wrongHandle.body.code).toBe('resource_not_found');
    expect(await snapshot()).toEqual(before);
    // Neither answer wasted the token.
    expect((await register(bound)).status).toBe(201);
  });

  it('refuses a revoked token with 403 token_revoked', async () => {
    const bound = await enrollingResource();
    await deps().resources.revokeCredentials(bound.resource.id, new Date().toISOString());
    const res = await register(bound);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('token_revoked');
    expect((await resourceOf(bound.resource.id)).node).toBeUndefined();
  });

  it('refuses a bad public key with 400 public_key_invalid before touching the token', async () => {
    const bound = await enrollingResource();
    const before = await snapshot();
    const badKeys = [
      Buffer.alloc(31, 1).toString('base64'),
      Buffer.alloc(33, 1).toString('base64'),
      Buffer.alloc(32).toString('base64'), // the all-zero point
      `${'A'.repeat(42)}B=`, // non-canonical: spare bits set
      'not base64 at all',
    ];
    for (const public_key of badKeys) {
      const res = await register(bound, { public_key });
      expect(res.status, public_key).toBe(400);
      expect(res.body.code).toBe('public_key_invalid');
    }
    expect(await snapshot()).toEqual(before);
    expect((await register(bound)).status).toBe(201);
  });

  it('refuses a nonce already used in the project with 403 nonce_collision', async () => {
    const nonce = randomUUID();
    expect((await register(await enrollingResource(), { nonce })).status).toBe(201);
    const second = await enrollingResource();
    const before = await snapshot();
    const res = await register(second, { nonce });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('nonce_collision');
    expect(await snapshot()).toEqual(before);
    // The nonce is per project; and the refused token is still good.
    expect((await register(await enrollingResource(otherProjectId), { nonce })).status).toBe(201);
    expect((await register(second)).status).toBe(201);
  });

  it('answers malformed bodies: 400 invalid_body for unknown fields, 422 for a malformed token', async () => {
    const bound = await enrollingResource();
    const unknown = await register(bound, { extra: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('invalid_body');
    const malformed = await register(bound, { bootstrap_token: 'psb_local_nope' });
    expect(malformed.status).toBe(422);
    expect(malformed.body.code).toBe('bootstrap_token_malformed');
    const bridge = await register(bound, { bootstrap_token: bound.token.replace('_node_', '_bridge_') });
    expect(bridge.status).toBe(403);
    expect(bridge.body.code).toBe('kind_mismatch');
  });

  it('lets exactly one of many racing registrations redeem a token; the losers release their claims', async () => {
    const bound = await enrollingResource();
    const results = await Promise.all(Array.from({ length: 8 }, () => register(bound)));
    const winners = results.filter((r) => r.status === 201);
    expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403, 403, 403, 403, 403, 403]);
    for (const loser of results.filter((r) => r.status !== 201)) expect(loser.body.code).toBe('token_consumed');
    const winner = winners[0]?.body;
    expect((await resourceOf(bound.resource.id)).node?.node_id).toBe(winner.node_id);
    const all = await items();
    const pointers = all.filter((i) => i.PK?.S?.startsWith('NODE#') && i.resource_id?.S === bound.resource.id);
    const ipClaims = all.filter((i) => i.PK?.S?.startsWith('MESHIP#') && i.resource_id?.S === bound.resource.id);
    expect(pointers.map((i) => i.node_id?.S)).toEqual([winner.node_id]);
    expect(ipClaims.map((i) => i.mesh_ip?.S)).toEqual([winner.mesh_ip]);
  });

  it('reuses the mesh IPs and drops the pointers a teardown released: a /29 domain enrols beyond its 6 hosts', async () => {
    const small = '019100a0-0a00-7000-8000-0000000000c9';
    const at = new Date().toISOString();
    await seedDomain(new Table(stack.tableName), { created: [], kept: [] }, {
      domain: { id: small, slug: 'small-mesh', name: 'Small mesh', mesh_cidr: '10.9.0.0/29', created_at: at, updated_at: at },
      binding: { id: '019100a0-0b00-7000-8000-0000000000c9', domain_id: small, label: 'Small password', kind: 'password', issuer_host: 'localhost', primary: true, platform_scoped: false },
    });
    const enrol = async () => {
      // The fixture's parameter is typed as the seeded domain's id; any domain id works.
      const bound = await enrollingFixture(projectId, small as typeof DOMAIN);
      const res = await register(bound);
      return { res, resourceId: bound.resource.id };
    };
    const live: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { res, resourceId } = await enrol();
      expect(res.status).toBe(201);
      live.push(resourceId);
    }
    const full = await enrol();
    expect([full.res.status, full.res.body.code]).toEqual([503, 'pool_exhausted']);
    const claimsOf = async () => (await items()).filter((i) => i.PK?.S?.startsWith(`MESHIP#${small}#`)).map((i) => i.mesh_ip?.S).sort();
    const pointersOf = async () => (await items()).filter((i) => i.PK?.S?.startsWith('NODE#') && i.domain_id?.S === small).map((i) => i.node_id?.S);
    expect(await claimsOf()).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);

    // Three teardowns end (the release terminateSubstrate makes before its Deleted write), three new nodes enrol.
    const gone = live.splice(0, 3);
    const freed: string[] = [];
    for (const id of gone) {
      const r = await resourceOf(id);
      freed.push(r.node?.mesh_ip as string);
      await deps().resources.releaseNode(r);
    }
    expect(await pointersOf()).toHaveLength(3);
    const again = [];
    for (let i = 0; i < 3; i++) {
      const { res, resourceId } = await enrol();
      expect(res.status).toBe(201);
      again.push(res.body.mesh_ip as string);
      live.push(resourceId);
    }
    expect(again.sort()).toEqual(freed.sort());
    expect(await claimsOf()).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    const pointers = await pointersOf();
    expect(pointers.sort()).toEqual((await Promise.all(live.map(async (id) => (await resourceOf(id)).node?.node_id))).sort());
    expect((await enrol()).res.status).toBe(503);
  });

  it('gives 20 nodes 20 distinct mesh IPs inside the domain CIDR', async () => {
    const bounds = await Promise.all(Array.from({ length: 20 }, () => enrollingResource()));
    const results = await Promise.all(bounds.map((b) => register(b)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ips = results.map((r) => r.body.mesh_ip as string);
    expect(new Set(ips).size).toBe(20);
    for (const ip of ips) {
      expect(cidrContains(CIDR, ip)).toBe(true);
      expect(ip).not.toMatch(/\.(0\.0|255\.255)$/); // never the network or broadcast address
    }
  });
});
