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

/** The admin asks for `credentialId` in a new project named `name`, proposing `terms` (one assignment.requested event). */
export async function requestInNewProject(
  stack: TestStack,
  name: string,
  credentialId: string,
  terms?: Record<string, unknown>,
): Promise<{ projectId: string; assignmentId: string }> {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name, slug });
  expect(project.status, project.text).toBe(201);
  const res = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, {
    cloud_credential_id: credentialId,
    ...(terms && { terms }),
  });
  expect(res.status, res.text).toBe(201);
  return { projectId: project.body.id, assignmentId: res.body.id };
}

/** requestInNewProject for the queue's tests, which find rows by project name: the approval's id. */
export async function requestIn(stack: TestStack, name: string, credentialId: string, terms?: Record<string, unknown>): Promise<string> {
  return (await requestInNewProject(stack, name, credentialId, terms)).assignmentId;
}

export async function approval(stack: TestStack, id: string): Promise<Schemas['ApprovalView']> {
  const res = await stack.call('operator', 'GET', `/v1/approvals/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}
