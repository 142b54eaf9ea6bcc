import { createHash, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrContains } from '../../functions/core/cidr.ts';
import { isEnrolled } from '../../functions/core/enrolment/heartbeat.ts';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { renderCloudInit } from '../../functions/core/user-data.ts';
import { deps } from '../../functions/shared/composition.ts';
import { startAgent } from '../../local/agent.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedDomain } from '../../scripts/seed.ts';
import { type BoundResource, enrollingResource as enrollingFixture, heartbeatBody, wireguardKey } from '../support/nodes.ts';
import { type ApiResponse, startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { waitFor } from '../support/wait.ts';

// Registers against Resources written straight through the stores (at phase Enrolling, with a
// token from the minter), so node enrolment is tested without the provision state machine.

const DOMAIN = FIXTURES.domain.id;
const CIDR = FIXTURES.domain.meshCidr;
/** Short enough that the expiry test waits seconds; every other test redeems within milliseconds. */
const TOKEN_TTL_SECONDS = 4;

let stack: TestStack;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  stack = await startTestStack({ BOOTSTRAP_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) });
  const create = async (slug: string) => {
    const res = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: slug, slug });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  projectId = await create('enrolment');
  otherProjectId = await create('enrolment-other');
});
afterAll(async () => {
  await stack?.close();
});

/** A Resource of this file's project waiting in Enrolling, with its bootstrap token bound. */
const enrollingResource = (project = projectId) => enrollingFixture(project);

function register(bound: BoundResource, overrides: Record<string, unknown> = {}): Promise<ApiResponse> {
  return stack.call(null, 'POST', '/v1/register', {
    project_id: bound.resource.project_id,
    resource_handle: bound.resource.external_ref,
    bootstrap_token: bound.token,
    nonce: randomUUID(),
    public_key: wireguardKey(),
    ...overrides,
  });
}

interface Registered {
  node_id: string;
  mesh_ip: string;
  nsk: string;
  bearer: string;
  resourceId: string;
}

async function registeredNode(project = projectId): Promise<Registered> {
  const bound = await enrollingResource(project);
  const res = await register(bound);
  expect(res.status).toBe(201);
  return { ...res.body, bearer: formatNskBearer('local', res.body.node_id, res.body.nsk), resourceId: bound.resource.id };
}

function asNode(bearer: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return stack.call(null, method, path, body, { authorization: `Bearer ${bearer}` });
}

const resourceOf = async (id: string) => {
  const r = await deps().resources.get(id);
  if (!r) throw new Error(`resource ${id} is gone`);
  return r;
};

const snapshot = () => tableSnapshot(stack.dynamoUrl, stack.tableName);

/** The table's raw items, parsed, for counting claims and pointers. */
async function items(): Promise<Array<Record<string, { S?: string }>>> {
  return (await snapshot()).map((line) => JSON.parse(line));
}

const b64Length = (text: string) => Buffer.from(text, 'base64').length;

describe('POST /v1/register', () => {
  it('enrols a node: 201 in the contract shape, a mesh IP in the domain CIDR, the token consumed, the NSK stored only as a hash', async () => {
    const first = await registeredNode();
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
    // The other live nodes of the domain, never itself.
    expect(body.peer_snapshot).toContainEqual({ node_id: first.node_id, mesh_ip: first.mesh_ip, public_key: expect.any(String) });
    expect(body.peer_snapshot.map((p: { node_id: string }) => p.node_id)).not.toContain(body.node_id);
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

describe('the node API (NSK envelope)', () => {
  it('accepts a heartbeat, records the first and last, and counts the node enrolled', async () => {
    const node = await registeredNode();
    expect(isEnrolled(await resourceOf(node.resourceId))).toBe(false);
    const res = await asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted_at: expect.any(String), reconcile: false, rotate_keys: false });
    const afterFirst = await resourceOf(node.resourceId);
    expect(afterFirst.node).toMatchObject({ first_heartbeat_at: res.body.accepted_at, last_heartbeat_at: res.body.accepted_at, binary_version: 'plexd-v0.4.2-test' });
    expect(isEnrolled(afterFirst)).toBe(true);
    const second = await asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody({ binary_checksum: Buffer.alloc(32, 9).toString('base64') }));
    expect(second.status).toBe(200);
    const afterSecond = await resourceOf(node.resourceId);
    expect(afterSecond.node?.first_heartbeat_at).toBe(res.body.accepted_at);
    expect(afterSecond.node?.last_heartbeat_at).toBe(second.body.accepted_at);
  });

  it('refuses a heartbeat with a skewed clock or a malformed body', async () => {
    const node = await registeredNode();
    const path = `/v1/nodes/${node.node_id}/heartbeat`;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ client_now: new Date(Date.now() - 120_000).toISOString() }, 'clock_skew'],
      [{ client_now: new Date(Date.now() + 120_000).toISOString() }, 'clock_skew'],
      [{ binary_version: '  ' }, 'binary_version_empty'],
      [{ binary_checksum: 'abc' }, 'binary_checksum_empty'],
      [{ surprise: 1 }, 'malformed_heartbeat_request'],
    ];
    for (const [overrides, code] of cases) {
      const res = await asNode(node.bearer, 'POST', path, heartbeatBody(overrides));
      expect(res.status, code).toBe(400);
      expect(res.body.code).toBe(code);
    }
    expect((await resourceOf(node.resourceId)).node?.last_heartbeat_at).toBeUndefined();
  });

  it('serves the state snapshot with every block, peers sorted and without itself', async () => {
    const a = await registeredNode();
    const b = await registeredNode();
    await asNode(a.bearer, 'POST', `/v1/nodes/${a.node_id}/heartbeat`, heartbeatBody());
    const res = await asNode(a.bearer, 'GET', `/v1/nodes/${a.node_id}/state`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['bridge', 'peers', 'policy', 'reachability', 'reports', 'state']);
    const ids = res.body.peers.map((p: { node_id: string }) => p.node_id);
    expect(ids).toContain(b.node_id);
    expect(ids).not.toContain(a.node_id);
    expect(ids).toEqual([...ids].sort());
    expect(res.body.reachability).toMatchObject({ state: 'healthy', last_heartbeat_at: expect.any(String), changed_at: expect.any(String) });
    expect(res.body.state).toEqual({ metadata: [], data: [], reports: [] });
    expect(res.body.reports).toEqual(res.body.state);
    expect(res.body).toMatchObject({ policy: null, bridge: null });
    // Never heartbeated: unreachable, since it registered.
    const fresh = await asNode(b.bearer, 'GET', `/v1/nodes/${b.node_id}/state`);
    expect(fresh.body.reachability).toEqual({ state: 'unreachable', changed_at: expect.any(String) });
  });

  it('answers the event stream with 501 signed_event_bus_not_provisioned', async () => {
    const node = await registeredNode();
    const res = await asNode(node.bearer, 'GET', `/v1/nodes/${node.node_id}/events`);
    expect(res.status).toBe(501);
    expect(res.body.code).toBe('signed_event_bus_not_provisioned');
  });

  it('stores the capability manifest on the node and reports what changed', async () => {
    const node = await registeredNode();
    const path = `/v1/nodes/${node.node_id}/capabilities`;
    const manifest = { binary_version: 'plexd-v0.4.2', binary_checksum: Buffer.alloc(32, 1).toString('base64') };
    const first = await asNode(node.bearer, 'PUT', path, manifest);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted_at: expect.any(String), fields_changed: ['binary_checksum', 'binary_version'], host_key_changed: false });
    const same = await asNode(node.bearer, 'PUT', path, manifest);
    expect(same.body).toMatchObject({ fields_changed: [], host_key_changed: false });
    const hostKey = `SHA256:${Buffer.alloc(32, 2).toString('base64')}`;
    const rotated = await asNode(node.bearer, 'PUT', path, { ...manifest, ssh_host_key_fingerprint: hostKey });
    expect(rotated.body).toMatchObject({ fields_changed: ['ssh_host_key_fingerprint'], host_key_changed: true });
    expect((await deps().nodes.getCapabilities(node.node_id))?.manifest.ssh_host_key_fingerprint).toBe(hostKey);

    const invalid = await asNode(node.bearer, 'PUT', path, { ...manifest, binary_checksum: 'short' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('binary_checksum_invalid');
    const dupHooks = { ...manifest, declared_hooks: [1, 2].map(() => ({ name: 'post-install', checksum: manifest.binary_checksum })) };
    expect((await asNode(node.bearer, 'PUT', path, dupHooks)).body.code).toBe('declared_hook_duplicate');
    const badDigest = await asNode(node.bearer, 'PUT', path, { ...manifest, plexd_hooks: [{ name: 'backup', image_digest: 'latest' }] });
    expect(badDigest.status).toBe(422);
    expect(badDigest.body.code).toBe('plexd_hook_invalid');
    // The route's cap is 32 KiB, not the default 8 KiB.
    const big = { ...manifest, ssh_host_key_fingerprint: '', declared_hooks: [{ name: 'x'.repeat(16 * 1024), checksum: manifest.binary_checksum }] };
    expect((await asNode(node.bearer, 'PUT', path, big)).status).toBe(200);
    const tooBig = { ...big, declared_hooks: [{ name: 'x'.repeat(40 * 1024), checksum: manifest.binary_checksum }] };
    expect((await asNode(node.bearer, 'PUT', path, tooBig)).status).toBe(413);
  });

  it('refuses a missing, malformed or forged NSK with 401', async () => {
    const node = await registeredNode();
    const path = `/v1/nodes/${node.node_id}/heartbeat`;
    const none = await stack.call(null, 'POST', path, heartbeatBody());
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthorized');
    const forged = await asNode(formatNskBearer('local', node.node_id, Buffer.alloc(32, 5).toString('base64')), 'POST', path, heartbeatBody());
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('nsk_invalid');
    const otherEnv = await asNode(formatNskBearer('prod', node.node_id, node.nsk), 'POST', path, heartbeatBody());
    expect(otherEnv.body.code).toBe('nsk_invalid');
    const userToken = await stack.call('admin', 'POST', path, heartbeatBody());
    expect(userToken.status).toBe(401);
  });

  it("refuses a node's NSK on another node's path with 403 node_id_mismatch", async () => {
    const a = await registeredNode();
    const b = await registeredNode();
    for (const [method, suffix, body] of [
      ['POST', 'heartbeat', heartbeatBody()],
      ['GET', 'state', undefined],
      ['PUT', 'capabilities', { binary_version: 'v', binary_checksum: Buffer.alloc(32).toString('base64') }],
    ] as const) {
      const res = await asNode(a.bearer, method, `/v1/nodes/${b.node_id}/${suffix}`, body);
      expect(res.status, suffix).toBe(403);
      expect(res.body).toMatchObject({ code: 'node_id_mismatch', reason: 'insufficient_relation', relation_path: [], correlation_id: expect.any(String) });
    }
    expect((await resourceOf(b.resourceId)).node?.last_heartbeat_at).toBeUndefined();
  });

  it('refuses a revoked NSK with 401 nsk_revoked, records the refusal once, and drops the node from peer lists', async () => {
    const node = await registeredNode();
    const witness = await registeredNode();
    const peersOf = async () =>
      (await asNode(witness.bearer, 'GET', `/v1/nodes/${witness.node_id}/state`)).body.peers.map((p: { node_id: string }) => p.node_id);
    expect(await peersOf()).toContain(node.node_id);
    await deps().resources.revokeCredentials(node.resourceId, new Date().toISOString());
    expect((await resourceOf(node.resourceId)).node?.refused_at).toBeUndefined();

    const refused = await asNode(node.bearer, 'POST', `/v1/nodes/${node.node_id}/heartbeat`, heartbeatBody());
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('nsk_revoked');
    const refusedAt = (await resourceOf(node.resourceId)).node?.refused_at;
    expect(refusedAt).toEqual(expect.any(String));
    const again = await asNode(node.bearer, 'GET', `/v1/nodes/${node.node_id}/state`);
    expect(again.body.code).toBe('nsk_revoked');
    expect((await resourceOf(node.resourceId)).node?.refused_at).toBe(refusedAt);
    expect(await peersOf()).not.toContain(node.node_id);
  });
});

describe('the local node agent', () => {
  it('registers from its user data, heartbeats, keeps its identity across a restart, and stops when refused', async () => {
    const bound = await enrollingResource();
    const id = bound.resource.id;
    const userData = renderCloudInit({ apiUrl: stack.url, projectId, resourceHandle: bound.resource.external_ref ?? id, bootstrapToken: bound.token });
    const stateDir = join(stack.dataDir, 'agents', id);
    const heartbeatAt = async () => (await resourceOf(id)).node?.last_heartbeat_at;
    const agent = startAgent({ userData, stateDir, heartbeatIntervalMs: 100 });

    const firstBeat = await waitFor(heartbeatAt, { what: 'the agent to register and heartbeat' });
    const nodeId = (await resourceOf(id)).node?.node_id;
    expect(agent.status()).toMatchObject({ phase: 'running', nodeId });
    await waitFor(async () => ((await heartbeatAt()) ?? '') > firstBeat || undefined, { what: 'last_heartbeat_at to move' });
    expect(isEnrolled(await resourceOf(id))).toBe(true);
    expect((await deps().nodes.getCapabilities(nodeId ?? ''))?.manifest.binary_version).toMatch(/^plexsphere-local-agent/);
    // The identity holds the NSK: owner-only.
    expect(statSync(join(stateDir, 'identity.json')).mode & 0o777).toBe(0o600);

    await agent.stop();
    expect(agent.status().phase).toBe('stopped');

    // Restarted on the same folder: the same node, heartbeating again, without a second registration
    // (which would be refused: the token is consumed).
    const restartedAt = new Date().toISOString();
    const again = startAgent({ userData, stateDir, heartbeatIntervalMs: 100 });
    await waitFor(async () => ((await heartbeatAt()) ?? '') > restartedAt || undefined, { what: 'the restarted agent to heartbeat' });
    expect(again.status()).toEqual({ phase: 'running', nodeId, meshIp: (await resourceOf(id)).node?.mesh_ip });

    await deps().resources.revokeCredentials(id, new Date().toISOString());
    await waitFor(async () => (again.status().phase === 'refused' ? true : undefined), { what: 'the agent to be refused' });
    expect(again.status().lastError).toBe('nsk_revoked');
    expect((await resourceOf(id)).node?.refused_at).toEqual(expect.any(String));
    await again.stop();
    expect(again.status().phase).toBe('refused');
  });

  it('stops with the error recorded when its token is refused', async () => {
    const bound = await enrollingResource();
    expect((await register(bound)).status).toBe(201);
    const userData = renderCloudInit({ apiUrl: stack.url, projectId, resourceHandle: bound.resource.external_ref ?? '', bootstrapToken: bound.token });
    const agent = startAgent({ userData, stateDir: join(stack.dataDir, 'agents', `${bound.resource.id}-late`), heartbeatIntervalMs: 100 });
    await waitFor(async () => (agent.status().phase === 'refused' ? true : undefined), { what: 'the agent to be refused' });
    expect(agent.status()).toEqual({ phase: 'refused', lastError: 'token_consumed' });
    await agent.stop();
  });
});
