import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { deps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type BoundResource, enrollingResource as enrollingFixture, markReady, wireguardKey } from './nodes.ts';
import { type ApiResponse, startTestStack, type TestStack } from './stack.ts';

// The stack of test/e2e/enrolment-*.test.ts, and the helpers those files share. They register
// against Resources written straight through the stores (at phase Enrolling, with a token from the
// minter), so node enrolment is tested without the provision state machine.

export const DOMAIN = FIXTURES.domain.id;
/** Short enough that the expiry test waits seconds; every other test redeems within milliseconds. */
export const TOKEN_TTL_SECONDS = 4;

export let stack: TestStack;
export let projectId: string;
export let otherProjectId: string;

/** Starts a stack (and two projects of the seeded domain) for the calling file, and closes it after its tests. */
export function useEnrolmentStack(): void {
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
}

/** A Resource of this file's project waiting in Enrolling, with its bootstrap token bound. */
export const enrollingResource = (project = projectId) => enrollingFixture(project);

export function register(bound: BoundResource, overrides: Record<string, unknown> = {}): Promise<ApiResponse> {
  return stack.call(null, 'POST', '/v1/register', {
    project_id: bound.resource.project_id,
    resource_handle: bound.resource.external_ref,
    bootstrap_token: bound.token,
    nonce: randomUUID(),
    public_key: wireguardKey(),
    ...overrides,
  });
}

export interface Registered {
  node_id: string;
  mesh_ip: string;
  nsk: string;
  bearer: string;
  resourceId: string;
}

export async function registeredNode(project = projectId): Promise<Registered> {
  const bound = await enrollingResource(project);
  const res = await register(bound);
  expect(res.status).toBe(201);
  return { ...res.body, bearer: formatNskBearer('local', res.body.node_id, res.body.nsk), resourceId: bound.resource.id };
}

/** A registered node whose Resource went on to Ready: a peer of the domain's other nodes. */
export async function readyNode(project = projectId): Promise<Registered> {
  const node = await registeredNode(project);
  await markReady(node.resourceId);
  return node;
}

export function asNode(bearer: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return stack.call(null, method, path, body, { authorization: `Bearer ${bearer}` });
}

export const resourceOf = async (id: string) => {
  const r = await deps().resources.get(id);
  if (!r) throw new Error(`resource ${id} is gone`);
  return r;
};
