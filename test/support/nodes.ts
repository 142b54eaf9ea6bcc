import { createHash, generateKeyPairSync } from 'node:crypto';
import { expect } from 'vitest';
import { bootstrapTokenValidity } from '../../functions/core/bootstrap-tokens.ts';
import { newId } from '../../functions/core/ids.ts';
import type { Resource } from '../../functions/core/resources.ts';
import { deps } from '../../functions/shared/composition.ts';
import { stepsEnv } from '../../functions/shared/env.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';

// Node-side fixtures: a Resource waiting for its node, written straight through the stores (at
// phase Enrolling, with a token from the minter), so registration can be driven without the
// provision state machine. Needs a running stack in this process (deps() reaches it).

export interface BoundResource {
  resource: Resource;
  token: string;
}

/** A provisioned Resource waiting in Enrolling, with a bootstrap token bound as the provision step binds it. */
export async function enrollingResource(projectId: string, domainId = FIXTURES.domain.id): Promise<BoundResource> {
  const d = deps();
  const now = new Date();
  const at = now.toISOString();
  const id = newId(now.getTime());
  const provisionedId = newId(now.getTime());
  const { resource } = await d.resources.create({
    id,
    project_id: projectId,
    domain_id: domainId,
    kind: 'node',
    origin: 'provisioned',
    external_ref: id,
    created_at: at,
    updated_at: at,
    created_by: FIXTURES.admin.id,
    provisioning: {
      phase: 'Enrolling',
      generation: 1,
      run: 'provision',
      provisioned_resource_id: provisionedId,
      reason: 'Waiting for the node (test fixture).',
      waiting_on: 'node-enrolment',
      transitions: ['Pending', 'Provisioning', 'Enrolling'].map((phase) => ({ phase: phase as 'Pending', at })),
    },
  });
  const { token, hash } = await d.bootstrapTokens.mint({ projectId, resourceId: id, salt: provisionedId });
  const bound = await d.resources.bindBootstrapToken(id, 1, { hash, ...bootstrapTokenValidity(now, stepsEnv().BOOTSTRAP_TOKEN_TTL_SECONDS) });
  expect(bound?.bootstrap?.hash).toBe(hash);
  return { resource: bound ?? resource, token };
}

/**
 * Enrolling → Ready, as the provision run's markReady step writes it once the node heartbeated:
 * only then is the node a peer of its domain's other nodes.
 */
export async function markReady(resourceId: string): Promise<void> {
  const ready = await deps().resources.changePhase(resourceId, {
    from: ['Enrolling'],
    to: 'Ready',
    generation: 1,
    at: new Date().toISOString(),
    reason: 'Node enrolled (test fixture).',
  });
  expect(ready?.provisioning?.phase).toBe('Ready');
}

/** A fresh X25519 public key in the wire form (32 bytes, standard base64). */
export function wireguardKey(): string {
  const x = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string;
  return Buffer.from(x, 'base64url').toString('base64');
}

export const heartbeatBody = (overrides: Record<string, unknown> = {}) => ({
  client_now: new Date().toISOString(),
  binary_checksum: createHash('sha256').update('plexd').digest('hex'),
  binary_version: 'plexd-v0.4.2-test',
  nat_summary: {},
  ...overrides,
});
