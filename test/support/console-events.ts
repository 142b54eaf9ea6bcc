
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

export const DOMAIN = FIXTURES.domain.id;

let counter = 0;

/** The seeded demo credential's id (only its owner, the operator, may list the cloud's credentials). */
export async function demoCredentialId(stack: TestStack): Promise<string> {
  const res = await stack.call('operator', 'GET', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`);
  expect(res.status, res.text).toBe(200);
  const demo = res.body.items.find((c: { display_name: string }) => c.display_name === FIXTURES.credential.displayName);
  expect(demo, 'the seeded demo credential').toBeDefined();
  return demo.id;
}

/** As the admin: a new project and a request for `credentialId` in it (one assignment.requested event). */
export async function requestInNewProject(stack: TestStack, credentialId: string, name: string): Promise<{ projectId: string; assignmentId: string }> {
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++counter}`;
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name, slug });
  expect(project.status, project.text).toBe(201);
  const requested = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
  expect(requested.status, requested.text).toBe(201);
  return { projectId: project.body.id, assignmentId: requested.body.id };
}

/** The body rows of a table, each as its cells' text. */
export async function rowsOf(table: Locator): Promise<string[][]> {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent ?? '')));
}

/** Signs in through the console's own form to another domain (a seeded tenant's user). */
export async function signInTo(page: Page, who: { domainId: string; email: string; password: string }): Promise<void> {
  await page.getByLabel('Domain ID').fill(who.domainId);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
}

