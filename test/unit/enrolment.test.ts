import { describe, expect, it } from 'vitest';
import { bootstrapTokenValidity, formatBootstrapToken } from '../../functions/core/bootstrap-tokens.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { cidrContains, cidrHosts, meshAddress } from '../../functions/core/cidr.ts';
import { acceptHeartbeat, isEnrolled } from '../../functions/core/enrolment/heartbeat.ts';
import { formatNskBearer, parseNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import type { Enrolment, EnrolmentPorts, EnrolOutcome, NodePointer, NodeStore, StoredCapabilities } from '../../functions/core/enrolment/ports.ts';
import { isValidX25519PublicKey, registerNode } from '../../functions/core/enrolment/register.ts';
import { livePeersOf, reachabilityOf } from '../../functions/core/enrolment/state.ts';
import type { EnrolledNode, Resource } from '../../functions/core/resources.ts';
import type { Domain } from '../../functions/core/tenancy.ts';

const PROJECT = '019100a0-0a00-7000-8000-0000000000aa';
const DOMAIN = '019100a0-0a00-7000-8000-000000000001';
const NODE = '01920000-1111-7000-8000-000000000001';
const KEY = Buffer.alloc(32, 3).toString('base64');

describe('mesh addresses', () => {
  it('hands out host addresses only, skipping the network and broadcast addresses', () => {
    expect(cidrHosts('100.64.0.0/16')).toEqual({ network: 100 * 2 ** 24 + 64 * 2 ** 16, hosts: 65534 });
    expect(meshAddress('100.64.0.0/16', 1)).toBe('100.64.0.1');
    expect(meshAddress('100.64.0.0/16', 256)).toBe('100.64.1.0');
    expect(meshAddress('100.64.0.0/16', 65534)).toBe('100.64.255.254');
    expect(meshAddress('100.64.0.0/16', 65535)).toBeUndefined();
    expect(meshAddress('100.64.0.0/16', 0)).toBeUndefined();
    expect(meshAddress('10.0.0.8/30', 1)).toBe('10.0.0.9');
    expect(meshAddress('10.0.0.8/30', 3)).toBeUndefined();
    expect(meshAddress('10.0.0.8/31', 1)).toBeUndefined();
    // A CIDR written with host bits still counts from its network address.
    expect(meshAddress('10.0.0.9/30', 1)).toBe('10.0.0.9');
  });

  it('tells whether an address is a host of a CIDR', () => {
    expect(cidrContains('100.64.0.0/16', '100.64.3.7')).toBe(true);
    expect(cidrContains('100.64.0.0/16', '100.64.0.0')).toBe(false);
    expect(cidrContains('100.64.0.0/16', '100.64.255.255')).toBe(false);
    expect(cidrContains('100.64.0.0/16', '100.65.0.1')).toBe(false);
  });
});

describe('the NSK envelope', () => {
  it('round-trips nsk_<env>_<base64url of node id bytes and NSK bytes>', () => {
    const nsk = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i)).toString('base64');
    const bearer = formatNskBearer('local', NODE, nsk);
    expect(bearer).toMatch(/^nsk_local_[A-Za-z0-9_-]{64}$/);
    const hexId = NODE.replaceAll('-', '');
    expect(Buffer.from(bearer.slice('nsk_local_'.length), 'base64url').toString('hex')).toBe(hexId + Buffer.from(nsk, 'base64').toString('hex'));
    const parsed = parseNskBearer(bearer);
    expect(parsed && { ...parsed, nsk: Buffer.from(parsed.nsk).toString('base64') }).toEqual({ env: 'local', nodeId: NODE, nsk });
    expect(parseNskBearer(`${bearer}=`)).toBeUndefined();
    expect(parseNskBearer(bearer.replace('nsk_local_', 'nsk_'))).toBeUndefined();
  });
});

describe('public keys', () => {
  it('accepts 32 bytes in canonical standard base64, not the zero point', () => {
    expect(isValidX25519PublicKey(KEY)).toBe(true);
    expect(isValidX25519PublicKey(Buffer.alloc(32).toString('base64'))).toBe(false);
    expect(isValidX25519PublicKey(Buffer.alloc(31, 1).toString('base64'))).toBe(false);
    expect(isValidX25519PublicKey(Buffer.alloc(32, 1).toString('base64url'))).toBe(false);
    expect(isValidX25519PublicKey(`${'A'.repeat(42)}B=`)).toBe(false);
  });
});

describe('reachability', () => {
  const node: EnrolledNode = { node_id: NODE, mesh_ip: '100.64.0.1', public_key: KEY, nsk_hash: 'h', registered_at: '2026-01-01T00:00:00.000Z' };
  it('is unreachable before a heartbeat, then healthy, stale after 90 s and unreachable after 300 s', () => {
    const at = (s: number) => new Date(Date.parse('2026-01-01T00:01:00.000Z') + s * 1000);
    expect(reachabilityOf(node, at(0))).toEqual({ state: 'unreachable', changed_at: node.registered_at });
    const beating = { ...node, first_heartbeat_at: '2026-01-01T00:00:30.000Z', last_heartbeat_at: '2026-01-01T00:01:00.000Z' };
    expect(reachabilityOf(beating, at(89)).state).toBe('healthy');
    expect(reachabilityOf(beating, at(90))).toEqual({ state: 'stale', last_heartbeat_at: beating.last_heartbeat_at, changed_at: '2026-01-01T00:02:30.000Z' });
    expect(reachabilityOf(beating, at(300)).state).toBe('unreachable');
  });
});

// ---- use cases over in-memory ports --------------------------------------------------------

class MemoryNodes implements NodeStore {
  resources = new Map<string, Resource>();
  tokens = new Map<string, string>();
  nonces = new Map<string, { token_hash: string; public_key: string }>();
  counters = new Map<string, number>();
  ips = new Map<string, string>();
  pointers = new Map<string, NodePointer>();
  caps = new Map<string, StoredCapabilities>();
  refusals = 0;

  async resourceForToken(hash: string) {
    const id = this.tokens.get(hash);
    return id ? this.resources.get(id) : undefined;
  }
  async reserveMeshIndex(domainId: string) {
    const next = (this.counters.get(domainId) ?? 0) + 1;
    this.counters.set(domainId, next);
    return next;
  }
  async nonceAvailable(projectId: string, nonce: string, by: { token_hash: string; public_key: string }) {
    const held = this.nonces.get(`${projectId}/${nonce}`);
    return !held || (held.token_hash === by.token_hash && held.public_key === by.public_key);
  }
  async takenMeshIps(domainId: string, ips: readonly string[]) {
    return new Set(ips.filter((ip) => this.ips.has(`${domainId}/${ip}`)));
  }
  // All or nothing, like the store's transaction: every condition is checked before anything is written.
  async enrol(e: Enrolment): Promise<EnrolOutcome> {
    const { pointer, node, tokenHash, at } = e;
    const nonceKey = `${pointer.project_id}/${e.nonce}`;
    const ipKey = `${pointer.domain_id}/${pointer.mesh_ip}`;
    const heldNonce = this.nonces.get(nonceKey);
    const nonceTaken = !!heldNonce && (heldNonce.token_hash !== tokenHash || heldNonce.public_key !== node.public_key);
    const meshIpTaken = this.ips.has(ipKey);
    const r = this.resources.get(pointer.resource_id);
    const t = r?.bootstrap;
    const tokenRefused = !r || !t || t.hash !== tokenHash || !!t.consumed_at || !!t.revoked_at || t.expires_at <= at || !!r.node;
    if (nonceTaken || meshIpTaken || tokenRefused) return { status: 'refused', nonceTaken, meshIpTaken, tokenRefused, resource: r };
    const next = { ...(r as Resource), node, bootstrap: { ...(t as NonNullable<Resource['bootstrap']>), consumed_at: at } };
    this.nonces.set(nonceKey, { token_hash: tokenHash, public_key: node.public_key });
    this.ips.set(ipKey, pointer.node_id);
    this.pointers.set(pointer.node_id, pointer);
    this.counters.set(pointer.domain_id, (this.counters.get(pointer.domain_id) ?? 0) + e.meshCounterAdvance);
    this.resources.set(pointer.resource_id, next);
    return { status: 'enrolled', resource: next };
  }
  async release(p: Pick<NodePointer, 'node_id' | 'domain_id' | 'mesh_ip'>) {
    this.pointers.delete(p.node_id);
    if (this.ips.get(`${p.domain_id}/${p.mesh_ip}`) === p.node_id) this.ips.delete(`${p.domain_id}/${p.mesh_ip}`);
  }
  async find(nodeId: string) {
    const pointer = this.pointers.get(nodeId);
    const resource = pointer && this.resources.get(pointer.resource_id);
    return pointer && resource ? { pointer, resource } : undefined;
  }
  async markRefused() {
    this.refusals++;
  }
  async recordHeartbeat(resourceId: string, nodeId: string, at: string) {
    const r = this.resources.get(resourceId);
    if (!r?.node || r.node.node_id !== nodeId || r.node.revoked_at) return undefined;
    const next = { ...r, node: { ...r.node, last_heartbeat_at: at, first_heartbeat_at: r.node.first_heartbeat_at ?? at } };
    this.resources.set(resourceId, next);
    return next;
  }
  async domainNodes(domainId: string) {
    return [...this.pointers.values()].filter((p) => p.domain_id === domainId).map((pointer) => ({ pointer, resource: this.resources.get(pointer.resource_id) }));
  }
  async peerSnapshot(domainId: string) {
    return { version: null, peers: livePeersOf(await this.domainNodes(domainId)) };
  }
  async getCapabilities(nodeId: string) {
    return this.caps.get(nodeId);
  }
  async putCapabilities(nodeId: string, stored: StoredCapabilities) {
    this.caps.set(nodeId, stored);
    return true;
  }
}

function world(meshCidr: string) {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const clock: Clock = { now: () => now };
  const nodes = new MemoryNodes();
  const completed: Array<{ token: string; output: unknown }> = [];
  const domain: Domain = { id: DOMAIN, slug: 'd', name: 'D', mesh_cidr: meshCidr, created_at: '', updated_at: '' };
  let nsks = 0;
  const ports: EnrolmentPorts = {
    nodes,
    tenancy: { getDomain: async (id) => (id === DOMAIN ? domain : undefined) },
    bootstrapTokens: { hash: (token) => `hash:${token}` },
    nodeSecrets: {
      issueNsk: () => ({ nsk: Buffer.alloc(32, ++nsks).toString('base64'), hash: `nsk-hash-${nsks}` }),
      nskMatches: (nsk, hash) => hash === `nsk-hash-${nsk[0]}`,
      signingKey: async () => ({ keyId: 'kid', publicKey: Buffer.alloc(32, 8).toString('base64') }),
    },
    enrolmentNotifier: { enrolled: async (token, output) => void completed.push({ token, output }) },
    clock,
  };
  let serial = 0;
  const resource = (): { resource: Resource; token: string } => {
    const id = `01920000-0000-7000-8000-${String(++serial).padStart(12, '0')}`;
    const token = formatBootstrapToken({ env: 'local', projectId: PROJECT, random: `a${'b'.repeat(18)}${String.fromCharCode(97 + serial)}` });
    const r: Resource = {
      id,
      project_id: PROJECT,
      domain_id: DOMAIN,
      kind: 'node',
      origin: 'provisioned',
      external_ref: id,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      created_by: DOMAIN,
      provisioning: { phase: 'Enrolling', generation: 1, run: 'provision', provisioned_resource_id: id, reason: 'test', transitions: [] },
      bootstrap: { hash: `hash:${token}`, ...bootstrapTokenValidity(now, 900) },
    };
    nodes.resources.set(id, r);
    nodes.tokens.set(`hash:${token}`, id);
    return { resource: r, token };
  };
  const body = (b: { resource: Resource; token: string }, nonce: string) => ({
    project_id: PROJECT,
    resource_handle: b.resource.id,
    bootstrap_token: b.token,
    nonce,
    public_key: KEY,
  });
  return { ports, nodes, completed, resource, body, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('registerNode', () => {
  it('answers 503 pool_exhausted when the domain CIDR is full, without consuming the token', async () => {
    const w = world('10.0.0.0/30'); // two hosts
    await registerNode(w.ports, w.body(w.resource(), 'n1'));
    await registerNode(w.ports, w.body(w.resource(), 'n2'));
    const third = w.resource();
    await expect(registerNode(w.ports, w.body(third, 'n3'))).rejects.toMatchObject({ name: 'UnavailableError', code: 'pool_exhausted' });
    expect(w.nodes.resources.get(third.resource.id)?.bootstrap?.consumed_at).toBeUndefined();
    expect([...w.nodes.ips.keys()].sort()).toEqual([`${DOMAIN}/10.0.0.1`, `${DOMAIN}/10.0.0.2`]);
  });

  it('reuses addresses a teardown released: a /29 (6 hosts) enrols 20 nodes over its lifetime', async () => {
    const w = world('10.0.0.0/29');
    const hosts = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'];
    const live: Array<{ node_id: string; mesh_ip: string }> = [];
    let nonce = 0;
    const enrol = async () => {
      const reg = await registerNode(w.ports, w.body(w.resource(), `n${++nonce}`));
      live.push({ node_id: reg.node_id, mesh_ip: reg.mesh_ip });
      return reg.mesh_ip;
    };
    for (let i = 0; i < 6; i++) await enrol();
    expect(live.map((n) => n.mesh_ip)).toEqual(hosts);
    await expect(registerNode(w.ports, w.body(w.resource(), 'full'))).rejects.toMatchObject({ code: 'pool_exhausted' });
    let lifetime = 6;
    while (lifetime < 20) {
      // Tear down the oldest two, as terminateSubstrate does before its Deleted write.
      for (const node of live.splice(0, 2)) await w.nodes.release({ ...node, domain_id: DOMAIN });
      const reused = [await enrol(), await enrol()];
      lifetime += 2;
      expect(new Set(live.map((n) => n.mesh_ip)).size).toBe(6);
      for (const ip of reused) expect(hosts).toContain(ip);
    }
    expect(lifetime).toBe(20);
    // Only the live nodes hold claims and pointers.
    expect([...w.nodes.ips.entries()].sort()).toEqual(live.map((n) => [`${DOMAIN}/${n.mesh_ip}`, n.node_id]).sort());
    expect([...w.nodes.pointers.keys()].sort()).toEqual(live.map((n) => n.node_id).sort());
    await expect(registerNode(w.ports, w.body(w.resource(), 'full-again'))).rejects.toMatchObject({ code: 'pool_exhausted' });
  });

  it('searches from the counter, wrapping around the host range, and moves the counter past what it skipped', async () => {
    const w = world('10.0.0.0/29');
    // Claims left at .4, .5 and .1 (by other nodes); the counter says the next search starts at .4.
    for (const ip of ['10.0.0.4', '10.0.0.5', '10.0.0.1']) w.nodes.ips.set(`${DOMAIN}/${ip}`, `other-${ip}`);
    w.nodes.counters.set(DOMAIN, 3);
    await expect(registerNode(w.ports, w.body(w.resource(), 'a'))).resolves.toMatchObject({ mesh_ip: '10.0.0.6' });
    expect(w.nodes.counters.get(DOMAIN)).toBe(6);
    // From .1 on (the counter wrapped): .1 is taken, .2 is free.
    await expect(registerNode(w.ports, w.body(w.resource(), 'b'))).resolves.toMatchObject({ mesh_ip: '10.0.0.2' });
    await expect(registerNode(w.ports, w.body(w.resource(), 'c'))).resolves.toMatchObject({ mesh_ip: '10.0.0.3' });
    await expect(registerNode(w.ports, w.body(w.resource(), 'd'))).rejects.toMatchObject({ code: 'pool_exhausted' });
  });

  it("releases a node's claim only if it still holds it", async () => {
    const w = world('10.0.0.0/29');
    const reg = await registerNode(w.ports, w.body(w.resource(), 'n1'));
    await w.nodes.release({ node_id: NODE, mesh_ip: reg.mesh_ip, domain_id: DOMAIN });
    expect(w.nodes.ips.get(`${DOMAIN}/${reg.mesh_ip}`)).toBe(reg.node_id);
    await w.nodes.release({ node_id: reg.node_id, mesh_ip: reg.mesh_ip, domain_id: DOMAIN });
    await w.nodes.release({ node_id: reg.node_id, mesh_ip: reg.mesh_ip, domain_id: DOMAIN });
    expect(w.nodes.ips.size).toBe(0);
    expect(w.nodes.pointers.size).toBe(0);
  });

  it('lets a retry of the same registration through its own nonce claim', async () => {
    const w = world('10.0.0.0/24');
    const b = w.resource();
    w.nodes.nonces.set(`${PROJECT}/n1`, { token_hash: `hash:${b.token}`, public_key: KEY });
    await expect(registerNode(w.ports, w.body(b, 'n1'))).resolves.toMatchObject({ mesh_ip: '10.0.0.1' });
    // …but not another registration reusing it.
    await expect(registerNode(w.ports, w.body(w.resource(), 'n1'))).rejects.toMatchObject({ code: 'nonce_collision' });
  });

  it('judges an expired token by the injected clock', async () => {
    const w = world('10.0.0.0/24');
    const b = w.resource();
    w.advance(900_000);
    await expect(registerNode(w.ports, w.body(b, 'n1'))).rejects.toMatchObject({ name: 'ForbiddenError', code: 'token_expired' });
  });
});

describe('acceptHeartbeat', () => {
  it('completes a stored enrolment wait on the first heartbeat, and refuses a revoked node', async () => {
    const w = world('10.0.0.0/24');
    const b = w.resource();
    const reg = await registerNode(w.ports, w.body(b, 'n1'));
    const identity = { nodeId: reg.node_id, resourceId: b.resource.id, projectId: PROJECT, domainId: DOMAIN };
    const beat = { client_now: '2026-01-01T00:00:30.000Z', binary_checksum: 'a'.repeat(64), binary_version: 'v1', nat_summary: {} };
    // No wait stored yet: nothing to complete, though the node is now enrolled (the step checks that itself).
    await acceptHeartbeat(w.ports, identity, beat);
    expect(w.completed).toEqual([]);
    expect(isEnrolled(w.nodes.resources.get(b.resource.id) as Resource)).toBe(true);
    const r = w.nodes.resources.get(b.resource.id) as Resource;
    w.nodes.resources.set(r.id, { ...r, provisioning: { ...(r.provisioning as NonNullable<Resource['provisioning']>), enrol_task_token: 'task-1' } });
    await acceptHeartbeat(w.ports, identity, beat);
    expect(w.completed).toEqual([{ token: 'task-1', output: { status: 'done', node_id: reg.node_id } }]);

    const current = w.nodes.resources.get(r.id) as Resource;
    w.nodes.resources.set(r.id, { ...current, node: { ...(current.node as EnrolledNode), revoked_at: '2026-01-01T00:00:40.000Z' } });
    await expect(acceptHeartbeat(w.ports, identity, beat)).rejects.toMatchObject({ code: 'nsk_revoked' });
    expect(w.nodes.refusals).toBe(1);
  });

  it('refuses a client clock more than 60 s away', async () => {
    const w = world('10.0.0.0/24');
    const identity = { nodeId: NODE, resourceId: 'r', projectId: PROJECT, domainId: DOMAIN };
    const beat = { client_now: '2026-01-01T00:01:01.000Z', binary_checksum: 'a'.repeat(64), binary_version: 'v1', nat_summary: {} };
    await expect(acceptHeartbeat(w.ports, identity, beat)).rejects.toMatchObject({ name: 'InvalidInputError', code: 'clock_skew' });
  });
});
