import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, consoleAs, startConsole, visit, SETTLE, LIVE, PHASE } from '../support/console.ts';

// The seed tutorial done in the console alone, by its two people in two browsers: the operator
// reads the catalog, the owner creates the project and asks for the credential, the operator
// approves, the owner declares the Resource, watches it reach Ready and deletes it. Nothing is
// set up through the API: every id the owner types was read off a page by the operator.

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
});
afterAll(async () => {
  await h?.close();
});

const PROJECT = { name: 'Provision demo', slug: 'provision-demo' };
const nav = (page: Page, section: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: section });
const phasesOf = (page: Page) => page.locator('ol.timeline > li .badge').allTextContents();

describe('the tutorial, in the console alone', () => {
  it('takes a cloudless node from the catalog to Ready and back to Deleted', { timeout: 120_000 }, async () => {
    const operator = await consoleAs(h, 'operator');
    const owner = await consoleAs(h, 'admin');
    try {
      // Step 1: the operator reads the Cloud, finds its credential's id and the blueprint version's id.
      const op = operator.page;
      await nav(op, 'Catalog').click();
      await op.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor();
      await op.getByRole('link', { name: FIXTURES.cloud.displayName }).click();
      await op.getByRole('heading', { level: 1, name: FIXTURES.cloud.displayName }).waitFor();
      const credentialRow = op.getByRole('row').filter({ hasText: FIXTURES.credential.displayName });
      const credentialId = (await credentialRow.locator('code').first().textContent())?.trim() ?? '';
      expect(credentialId).toMatch(/^[0-9a-f-]{36}$/);
      await visit(op, '/catalog', 'Catalog');
      await op.getByRole('link', { name: /kubernetes-cloudless-node|Kubernetes cloudless node/i }).first().click();
      await op.getByRole('heading', { level: 3, name: 'Version v1alpha1' }).waitFor();
      const versionId = (await op.locator('section.version code').first().textContent())?.trim() ?? '';
      expect(versionId).toMatch(/^[0-9a-f-]{36}$/);

      // Steps 2–3: the owner creates the project and asks for that credential.
      const ow = owner.page;
      await nav(ow, 'Projects').click();
      await ow.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
      await ow.getByLabel('Name', { exact: true }).fill(PROJECT.name);
      await ow.getByLabel('Slug', { exact: true }).fill(PROJECT.slug);
      await ow.getByRole('button', { name: 'Create project' }).click();
      await ow.getByRole('heading', { level: 1, name: `Project ${PROJECT.name}` }).waitFor();
      await ow.getByLabel('Credential id').fill(credentialId);
      await ow.getByRole('button', { name: 'Request the credential' }).click();
      const requests = ow.getByRole('table', { name: 'Credentials requested for this project' });
      await requests.getByText('awaiting approval').waitFor();

      // Step 4: the request reaches the operator's queue without a reload; the operator approves it.
      await visit(op, '/approvals', 'Approvals');
      const approve = op.getByRole('button', { name: `Approve the request for ${PROJECT.name}` });
      await approve.waitFor(LIVE);
      await approve.click();
      const dialog = op.getByRole('dialog', { name: 'Approve the request' });
      await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
      await op.getByRole('row').filter({ hasText: PROJECT.name }).getByText('Approved').first().waitFor();

      // The owner's project page follows the decision, then the owner plans and creates the Resource.
      await requests.getByText('approved', { exact: false }).first().waitFor(LIVE);
      await ow.getByRole('link', { name: 'New Resource with it' }).click();
      await ow.getByRole('heading', { level: 1, name: `New Resource in ${PROJECT.name}` }).waitFor();
      const versionField = ow.getByLabel('Blueprint version id');
      await versionField.fill(versionId);
      await ow.getByRole('button', { name: 'Check', exact: true }).click();
      await ow.getByRole('region', { name: 'Plan' }).getByText('Allowed', { exact: true }).waitFor();
      const create = ow.getByRole('button', { name: 'Create', exact: true });
      await expect.poll(() => create.isEnabled(), SETTLE).toBe(true);
      await create.click();

      // Steps 5–6: the Resource page follows it through its phases to Ready.
      await ow.getByRole('heading', { level: 1, name: /^Resource node-[0-9a-f]{8}$/ }).waitFor();
      const resourceId = ow.url().split('#/resources/')[1] ?? '';
      await ow.locator('ol.timeline > li').filter({ hasText: 'Ready' }).waitFor(PHASE);
      expect(await phasesOf(ow)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready']);

      // Step 7: delete behind the typed confirmation; the page follows the teardown to Deleted.
      const name = `node-${resourceId.replace(/-/g, '').slice(-8)}`;
      await ow.getByRole('button', { name: 'Delete…' }).click();
      const confirm = ow.getByRole('dialog', { name: `Delete ${name}?` });
      await confirm.getByLabel(`Type ${name} to confirm`).fill(name);
      await confirm.getByRole('button', { name: 'Delete the Resource' }).click();
      await ow.locator('ol.timeline > li').filter({ hasText: 'Deleted' }).waitFor(PHASE);
      expect(await phasesOf(ow)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning', 'Deleted']);

      // What the console did is what the broker holds.
      const resource = await h.stack.call('admin', 'GET', `/v1/resources/${resourceId}`);
      expect(resource.body).toMatchObject({ kind: 'node', origin: 'provisioned', blueprint_version_id: versionId, cloud_credential_id: credentialId });
      expect(resource.body.provisioning.phase).toBe('Deleted');
      expect(operator.problems).toEqual([]);
      expect(owner.problems).toEqual([]);
    } finally {
      await operator.context.close();
      await owner.context.close();
    }
  });
});
