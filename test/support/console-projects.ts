// Data the project and Resource console tests set up through the API: a project owned by the
// domain admin with the demo credential approved for it (on terms), and a blueprint version whose
// parameters carry constraints.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

let counter = 0;

/** A slug no other test of this run uses. */
export function freshSlug(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++counter}`;
}

/** A new project of the admin with `credentialId` requested and approved by its owner (the operator), on `terms`. */
export async function ownedProject(stack: TestStack, credentialId: string, terms?: Record<string, unknown>) {
  const slug = freshSlug('owned');
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: `Owned ${slug}`, slug });
  expect(project.status, project.text).toBe(201);
  const request = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
  expect(request.status, request.text).toBe(201);
  const approved = await stack.call('operator', 'POST', `/v1/approvals/${request.body.id}/approve`, terms ? { terms } : undefined);
  expect(approved.status, approved.text).toBe(200);
  return { projectId: project.body.id as string, name: project.body.name as string, assignmentId: request.body.id as string };
}

/** The parameters of the constrained version: one of each type, with bounds, a list and a pattern. */
export const CONSTRAINED_PARAMETERS = [
  { name: 'size', type: 'integer', required: false, default: 2, minimum: 1, maximum: 8, description: 'How many workers.' },
  { name: 'tier', type: 'string', required: true, allowed_values: ['small', 'large'] },
  { name: 'label', type: 'string', required: false, pattern: '[a-z]+' },
  { name: 'debug', type: 'boolean', required: false, default: false },
];

/** A blueprint with one published version taking CONSTRAINED_PARAMETERS; returns the version's id. */
export async function constrainedVersion(stack: TestStack): Promise<string> {
  const bp = await stack.call('operator', 'POST', '/v1/blueprints', { slug: freshSlug('constrained'), display_name: 'Constrained node' });
  expect(bp.status, bp.text).toBe(201);
  const version = await stack.call('operator', 'POST', `/v1/blueprints/${bp.body.id}/versions`, {
    version: '1.0.0',
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: { parameters: CONSTRAINED_PARAMETERS },
  });
  expect(version.status, version.text).toBe(201);
  return version.body.id;
}

/** The text of the Plan panel once a plan is shown (waits for its verdict). */
export async function planText(page: Page): Promise<string> {
  const panel = page.getByRole('region', { name: 'Plan' });
  await panel.getByText(/^(Allowed|Not allowed)$/).waitFor();
  return (await panel.textContent()) ?? '';
}
