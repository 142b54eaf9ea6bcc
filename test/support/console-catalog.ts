// Catalog data for the console's browser tests, made over the API as the platform operator: a
// credential to revoke, and a blueprint whose version declares parameters with every kind of
// constraint.
import { expect } from 'vitest';
import type { Schemas } from '../../client/broker.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

let counter = 0;
const suffix = () => `${Date.now().toString(36)}-${++counter}`;

/** A new credential on the demo cloud (its secret material is `secret`); its view. */
export async function issueCredential(stack: TestStack, secret: string): Promise<Schemas['CredentialView']> {
  const payload = Buffer.from(JSON.stringify({ access_key_id: 'AKIACONSOLETEST', secret_access_key: secret })).toString('base64');
  const res = await stack.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, {
    display_name: `console-revoke-${suffix()}`,
    payload,
  });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

export async function credential(stack: TestStack, id: string): Promise<Schemas['CredentialView']> {
  const res = await stack.call('operator', 'GET', `/v1/cloud-credentials/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** The parameters the test blueprint's version declares: one of each constraint. */
export const PARAMETERS = [
  { name: 'node_count', type: 'integer', required: false, default: 2, minimum: 1, maximum: 8, description: 'How many nodes to start.' },
  { name: 'region', type: 'string', required: true, allowed_values_from: 'cloud_regions' },
  { name: 'label', type: 'string', required: true, pattern: '[a-z][a-z0-9-]*' },
  { name: 'tier', type: 'string', required: false, default: 'small', allowed_values: ['small', 'large'] },
  { name: 'debug', type: 'boolean', required: false, default: false },
] as const;

/** A new blueprint with one version declaring PARAMETERS; the blueprint's view, versions included. */
export async function blueprintWithParameters(stack: TestStack): Promise<Schemas['BlueprintView']> {
  const slug = `console-params-${suffix()}`;
  const bp = await stack.call('operator', 'POST', '/v1/blueprints', {
    slug,
    display_name: `Parameterised ${slug}`,
    description: 'A blueprint whose version takes parameters.',
  });
  expect(bp.status, bp.text).toBe(201);
  const version = await stack.call('operator', 'POST', `/v1/blueprints/${bp.body.id}/versions`, {
    version: '1.0.0',
    provider_kinds: ['aws', 'hetzner'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: { parameters: PARAMETERS },
  });
  expect(version.status, version.text).toBe(201);
  const got = await stack.call('operator', 'GET', `/v1/blueprints/${bp.body.id}`);
  expect(got.status, got.text).toBe(200);
  return got.body;
}
