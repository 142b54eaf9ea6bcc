import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { deps } from '../../functions/shared/composition.ts';
import { diff, snapshot } from '../../scripts/bench/counters.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { enrollingResource, heartbeatBody, markReady, wireguardKey } from '../support/nodes.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// GET /v1/nodes/{id}/state at scale: its cost while nothing changed, and its validator.

let stack: TestStack;
let projectId: string;

beforeAll(async () => {
  stack = await startTestStack();
  const res = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: 'node-state', slug: 'node-state' });
  expect(res.status).toBe(201);
  projectId = res.body.id;
});
afterAll(async () => {
  await stack?.close();
});

interface Node {
  id: string;
  resourceId: string;
  pull(headers?: Record<string, string>): ReturnType<TestStack['call']>;
  beat(): ReturnType<TestStack['call']>;
}

/** A node registered, its Resource gone on to Ready (so it is a peer of the others). */
async function enrolled(): Promise<Node> {
  const bound = await enrollingResource(projectId);
  const res = await stack.call(null, 'POST', '/v1/register', {
    project_id: projectId,
    resource_handle: bound.resource.external_ref,
    bootstrap_token: bound.token,
    nonce: randomUUID(),
    public_key: wireguardKey(),
  });
  expect(res.status).toBe(201);
  await markReady(bound.resource.id);
  const authorization = `Bearer ${formatNskBearer('local', res.body.node_id, res.body.nsk)}`;
  const id: string = res.body.node_id;
  return {
    id,
    resourceId: bound.resource.id,
    pull: (headers = {}) => stack.call(null, 'GET', `/v1/nodes/${id}/state`, undefined, { authorization, ...headers }),
    beat: () => stack.call(null, 'POST', `/v1/nodes/${id}/heartbeat`, heartbeatBody(), { authorization }),
  };
}

/** The DynamoDB requests, by operation, the local table answered while `work` ran. */
async function requestsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = snapshot(stack);
  await work();
  return diff(before, snapshot(stack)).dynamoByOperation;
}

describe('GET /v1/nodes/{id}/state', () => {
  it('answers 304 to its own ETag while the peers and the reachability state stay; a peer joining or leaving makes a new one', async () => {
    const a = await enrolled();
    const b = await enrolled();
    expect((await a.beat()).status).toBe(200);
    const first = await a.pull();
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.body.peers.map((p: { node_id: string }) => p.node_id)).toContain(b.id);

    const unchanged = await a.pull({ 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    // Another beat moves last_heartbeat_at, not what the validator covers.
    expect((await a.beat()).status).toBe(200);
    expect((await a.pull({ 'if-none-match': `"other", ${etag}` })).status).toBe(304);

    const c = await enrolled();
    const joined = await a.pull({ 'if-none-match': etag });
    expect(joined.status).toBe(200);
    expect(joined.body.peers.map((p: { node_id: string }) => p.node_id)).toContain(c.id);
    const afterJoin = joined.headers.get('etag') as string;
    expect(afterJoin).not.toBe(etag);

    await deps().resources.revokeCredentials(c.resourceId, new Date().toISOString());
    const left = await a.pull({ 'if-none-match': afterJoin });
    expect(left.status).toBe(200);
    expect(left.body.peers.map((p: { node_id: string }) => p.node_id)).not.toContain(c.id);
    // Another node's tag is not this node's: its peers differ.
    expect((await b.pull({ 'if-none-match': left.headers.get('etag') as string })).status).toBe(200);
  });

  it('costs two DynamoDB reads when nothing changed, however many nodes the domain has', async () => {
    const probe = await enrolled();
    await probe.beat();
    await probe.pull();
    const small = await requestsDuring(() => probe.pull());
    expect(small).toEqual({ GetItem: 2 });
    for (let i = 0; i < 20; i++) await enrolled();
    await probe.pull();
    expect(await requestsDuring(() => probe.pull())).toEqual({ GetItem: 2 });
    // A heartbeat is one write after the node's one read.
    expect(await requestsDuring(() => probe.beat())).toEqual({ GetItem: 1, UpdateItem: 1 });
  });
});
