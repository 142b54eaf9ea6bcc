// Setting up the approvals queue over the API for the console's browser tests: projects of the
// Acme admin, and requests of the seeded demo credential (one live request per project).
import { expect } from 'vitest';
import type { Schemas } from '../../client/broker.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

let counter = 0;

/** A name no other test of the run uses (project names are how the tests find rows). */
export function uniqueName(base: string): string {
  return `${base} ${Date.now().toString(36)}${++counter}`;
}

export async function demoCredentialId(stack: TestStack): Promise<string> {
  const list = await stack.call('operator', 'GET', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials?limit=200`);
  expect(list.status).toBe(200);
  return list.body.items.find((c: { display_name: string }) => c.display_name === FIXTURES.credential.displayName).id;
}

export async function cloudlessVersionId(stack: TestStack): Promise<string> {
  const bp = await stack.call('operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
  expect(bp.status).toBe(200);
  return bp.body.versions[0].id;
}

/** A new project of the admin, named `name`; its id. */
export async function newProject(stack: TestStack, name: string): Promise<string> {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const res = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name, slug });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** The admin asks for `credentialId` in a new project named `name`, proposing `terms`; the approval's id. */
export async function requestIn(stack: TestStack, name: string, credentialId: string, terms?: Record<string, unknown>): Promise<string> {
  const projectId = await newProject(stack, name);
  const res = await stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, {
    cloud_credential_id: credentialId,
    ...(terms && { terms }),
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

export async function approval(stack: TestStack, id: string): Promise<Schemas['ApprovalView']> {
  const res = await stack.call('operator', 'GET', `/v1/approvals/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}
