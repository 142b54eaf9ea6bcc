import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEnrolled } from '../../functions/core/enrolment/heartbeat.ts';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { renderCloudInit } from '../../functions/core/user-data.ts';
import { deps } from '../../functions/shared/composition.ts';
import { startAgent } from '../../local/agent.ts';
import { asNode, enrollingResource, projectId, register, readyNode, registeredNode, resourceOf, stack, useEnrolmentStack } from '../support/enrolment-e2e.ts';
import { heartbeatBody } from '../support/nodes.ts';
import { waitFor } from '../support/wait.ts';

// What an enrolled node does with its NSK (heartbeat, state, capabilities), and the local node agent that does it.

useEnrolmentStack();

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
    const b = await readyNode();
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
    // Peer lists hold only Ready nodes: a registered while its Resource is still Enrolling is none.
    expect(fresh.body.peers.map((p: { node_id: string }) => p.node_id)).not.toContain(a.node_id);
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
    const node = await readyNode();
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
