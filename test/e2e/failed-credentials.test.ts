import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { deps } from '../../functions/shared/composition.ts';
import { heartbeatBody, wireguardKey } from '../support/nodes.ts';
import { approvedProject, type Catalog, createResource, seededCatalog, startNodelessStack, untilPhase } from '../support/resources.ts';
import type { TestStack } from '../support/stack.ts';

// A Failed Resource holds no live credentials. Its instances boot with no node agent: the test plays
// the node with the bootstrap token its machine was given (minted again: the minter is deterministic), so it decides which node heartbeats
// (and goes Ready) and which never does (and fails at the enrolment deadline).

const ENROL_TIMEOUT_SECONDS = 8;

let stack: TestStack;
let catalog: Catalog;
let projectId: string;

beforeAll(async () => {
  stack = await startNodelessStack(ENROL_TIMEOUT_SECONDS);
  catalog = await seededCatalog(stack);
  projectId = await approvedProject(stack, catalog.demoCredentialId);
});
afterAll(async () => {
  await stack?.close();
});

/** The body a node on the Resource's machine registers with: the token its user data carries (the minter is deterministic). */
async function registration(resourceId: string) {
  const r = await deps().resources.get(resourceId);
  if (!r?.provisioning) throw new Error(`resource ${resourceId} is gone`);
  const { token } = await deps().bootstrapTokens.mint({ projectId: r.project_id, resourceId, salt: r.provisioning.provisioned_resource_id });
  expect(r.bootstrap?.hash).toBeDefined();
  return { project_id: r.project_id, resource_handle: r.external_ref ?? r.id, bootstrap_token: token };
}

async function register(resourceId: string) {
  return stack.call(null, 'POST', '/v1/register', { ...(await registration(resourceId)), nonce: randomUUID(), public_key: wireguardKey() });
}

/** Registers the Resource's node with its machine's token; answers the node's NSK bearer calls. */
async function registeredNode(resourceId: string) {
  const res = await register(resourceId);
  expect(res.status, res.text).toBe(201);
  const nodeId = res.body.node_id as string;
  const authorization = `Bearer ${formatNskBearer('local', nodeId, res.body.nsk)}`;
  return {
    nodeId,
    pull: () => stack.call(null, 'GET', `/v1/nodes/${nodeId}/state`, undefined, { authorization }),
    beat: () => stack.call(null, 'POST', `/v1/nodes/${nodeId}/heartbeat`, heartbeatBody(), { authorization }),
  };
}

describe('entering Failed', () => {
  it("revokes the node's NSK and the bootstrap token, and takes the node out of every peer list", async () => {
    const [readyId, failingId, silentId] = (await Promise.all([1, 2, 3].map(() => createResource(stack, projectId, catalog)))) as [string, string, string];
    await Promise.all([readyId, failingId, silentId].map((id) => untilPhase(stack, id, 'Enrolling', 20_000)));

    // One node registers and heartbeats (Ready); one registers and goes silent; one never registers.
    const ready = await registeredNode(readyId);
    const failing = await registeredNode(failingId);
    expect((await ready.beat()).status).toBe(200);
    await untilPhase(stack, readyId, 'Ready', 20_000);
    // Registered but not Ready: no peer yet.
    const before = await ready.pull();
    expect(before.body.peers.map((p: { node_id: string }) => p.node_id)).not.toContain(failing.nodeId);

    const failed = await untilPhase(stack, failingId, 'Failed', 30_000);
    expect(failed.provisioning.last_error.code).toBe('enrolment_timeout');
    const neverRegistered = await untilPhase(stack, silentId, 'Failed', 30_000);
    expect(neverRegistered.node).toBeUndefined();

    // The failed node's NSK is refused on every node call.
    const pulled = await failing.pull();
    expect(pulled.status).toBe(401);
    expect(pulled.body.code).toBe('nsk_revoked');
    expect((await failing.beat()).status).toBe(401);
    // Its token was redeemed; the token of the machine that never registered is revoked.
    expect((await register(failingId)).status).toBe(403);
    const late = await register(silentId);
    expect(late.status).toBe(403);
    expect(late.body.code).toBe('token_revoked');

    // The Ready node's peers hold no node of a Failed Resource.
    const state = await ready.pull();
    expect(state.status).toBe(200);
    expect(state.body.peers.map((p: { node_id: string }) => p.node_id)).not.toContain(failing.nodeId);
  }, 90_000);
});
