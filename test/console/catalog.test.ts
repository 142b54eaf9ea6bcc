import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { DEMO_CREDENTIAL_KEYS } from '../../scripts/seed-catalog.ts';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, expectAccessible, focusedText, startConsole, visit, SETTLE } from '../support/console.ts';
import { blueprintWithParameters, credential, issueCredential } from '../support/console-catalog.ts';

// The catalog in a real browser: the operator reads clouds and blueprints, a cloud's credentials
// as metadata only, revokes one behind a typed confirmation, and reads each blueprint version's
// id and parameter schema; the domain admin, who may not read the catalog, is told so in words.

let h: ConsoleHarness;
let withParameters: Awaited<ReturnType<typeof blueprintWithParameters>>;
const CLOUD_PATH = `/catalog/clouds/${FIXTURES.cloud.id}`;

beforeAll(async () => {
  h = await startConsole();
  withParameters = await blueprintWithParameters(h.stack);
});
afterAll(async () => {
  await h?.close();
});


const rowOf = (page: Page, text: string) => page.getByRole('row').filter({ hasText: text });
/** A row's cell under the column `header` (whatever the columns' order). */
const cellOf = (row: Locator, header: string) => row.locator(`td[data-label="${header}"]`);

describe('the catalog', () => {
  it('lists the clouds and blueprints, each linking to its page', async () => {
    const { page, context, problems } = await consoleAs(h, 'operator');
    try {
      await visit(page, '/catalog', 'Catalog');
      const clouds = page.getByRole('table', { name: 'Clouds' });
      const blueprints = page.getByRole('table', { name: 'Blueprints' });
      await clouds.getByRole('link', { name: FIXTURES.cloud.displayName }).waitFor();
      expect(await rowOf(page, FIXTURES.cloud.displayName).textContent()).toContain(FIXTURES.cloud.slug);
      await blueprints.getByRole('link', { name: FIXTURES.cloudlessBlueprint.displayName }).waitFor();
      expect(await blueprints.getByRole('link', { name: withParameters.display_name }).count()).toBe(1);

      await clouds.getByRole('link', { name: FIXTURES.cloud.displayName }).click();
      await page.getByRole('heading', { level: 1, name: FIXTURES.cloud.displayName }).waitFor();
      expect(await page.evaluate(() => location.hash)).toBe(`#${CLOUD_PATH}`);
      await page.getByRole('link', { name: 'Back to the catalog' }).click();
      await page.getByRole('table', { name: 'Blueprints' }).getByRole('link', { name: FIXTURES.cloudlessBlueprint.displayName }).click();
      await page.getByRole('heading', { level: 1, name: FIXTURES.cloudlessBlueprint.displayName }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows a cloud's facts and its credentials' metadata, never their material", async () => {
    const { page, context } = await consoleAs(h, 'operator');
    try {
      await visit(page, CLOUD_PATH, FIXTURES.cloud.displayName);
      const row = rowOf(page, FIXTURES.credential.displayName);
      await row.waitFor();
      expect(await cellOf(row, 'Name').textContent()).toBe(FIXTURES.credential.displayName);
      expect(await cellOf(row, 'Status').textContent()).toContain('Active');
      expect(await cellOf(row, 'Version').textContent()).toBe('1');
      await row.getByRole('button', { name: `Revoke ${FIXTURES.credential.displayName}` }).waitFor();
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).toContain(FIXTURES.cloud.slug);
      expect(text).toContain(FIXTURES.cloud.id);
      for (const secret of [DEMO_CREDENTIAL_KEYS.secret_access_key, DEMO_CREDENTIAL_KEYS.access_key_id, 'secret_arn', 'arn:aws:secretsmanager', 'payload']) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await context.close();
    }
  });

  it('revokes a credential only once its exact name is typed and a reason given', async () => {
    const issued = await issueCredential(h.stack, 'console-test-secret-do-not-show');
    const { page, context, problems } = await consoleAs(h, 'operator');
    try {
      await visit(page, CLOUD_PATH, FIXTURES.cloud.displayName);
      const row = rowOf(page, issued.display_name);
      await row.getByRole('button', { name: `Revoke ${issued.display_name}` }).click();
      const dialog = page.getByRole('dialog', { name: `Revoke ${issued.display_name}` });
      const confirm = dialog.getByRole('button', { name: 'Revoke the credential' });
      const typed = dialog.getByLabel(`Type ${issued.display_name} to confirm`);
      expect(await confirm.isDisabled()).toBe(true);
      await typed.fill(issued.display_name.slice(0, -1));
      expect(await confirm.isDisabled()).toBe(true);
      await typed.fill(issued.display_name);
      await expect.poll(() => confirm.isEnabled(), SETTLE).toBe(true);

      await confirm.click();
      await dialog.getByText('Give a reason for the revocation.').waitFor();
      expect((await credential(h.stack, issued.id)).status).toBe('active');

      await dialog.getByLabel('Reason').fill('rotated after the audit');
      await confirm.click();
      await page.getByRole('status').filter({ hasText: `Revoked ${issued.display_name}.` }).waitFor();
      // The Revoke button went with the credential's new state: focus is on the notice, not lost.
      await expect.poll(() => focusedText(page), SETTLE).toBe(`Revoked ${issued.display_name}.`);
      await expect.poll(async () => (await cellOf(row, 'Status').textContent()) ?? '', SETTLE).toContain('Revoked');
      expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
      const after = await credential(h.stack, issued.id);
      expect(after.status).toBe('revoked');
      expect(after.revoked_at).toEqual(expect.any(String));
      expect(await page.locator('main').textContent()).not.toContain('console-test-secret-do-not-show');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows a blueprint's versions with their ids, and a version without parameters says so", async () => {
    const bp = await h.stack.call('operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
    const versionId: string = bp.body.versions[0].id;
    const { page, context } = await consoleAs(h, 'operator');
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    try {
      await visit(page, `/catalog/blueprints/${FIXTURES.cloudlessBlueprint.id}`, FIXTURES.cloudlessBlueprint.displayName);
      const version = page.getByRole('region', { name: `Version ${FIXTURES.cloudlessBlueprint.version}` });
      await version.waitFor();
      await version.getByText(versionId, { exact: true }).waitFor();
      await version.getByText('This version takes no parameters.').waitFor();
      await version.getByRole('button', { name: `Copy the id of version ${FIXTURES.cloudlessBlueprint.version}` }).click();
      await version.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(versionId);
    } finally {
      await context.close();
    }
  });

  it("shows a version's parameter schema with each constraint in words", async () => {
    const { page, context } = await consoleAs(h, 'operator');
    try {
      await visit(page, `/catalog/blueprints/${withParameters.id}`, withParameters.display_name);
      const table = page.getByRole('table', { name: 'Parameters of version 1.0.0' });
      await table.waitFor();
      const cells = async (name: string) => table.getByRole('row').filter({ hasText: name }).locator('td').allTextContents();
      expect(await cells('node_count')).toEqual(['node_count', 'integer', 'Optional', '2', 'From 1 to 8.', 'How many nodes to start.']);
      expect(await cells('region')).toEqual(['region', 'string', 'Required', 'None', "One of the regions of the Resource's cloud.", 'None']);
      expect(await cells('label')).toEqual(['label', 'string', 'Required', 'None', 'The whole value must match the pattern [a-z][a-z0-9-]*.', 'None']);
      expect(await cells('tier')).toEqual(['tier', 'string', 'Optional', '"small"', 'One of: small, large.', 'None']);
      expect(await cells('debug')).toEqual(['debug', 'boolean', 'Optional', 'false', 'None', 'None']);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).toContain(withParameters.versions[0]?.id);
      expect(text).toContain('aws, hetzner');
      expect(text).toContain('cloud-init user data');
    } finally {
      await context.close();
    }
  });

  it("tells the domain admin, who may not read the catalog, the broker's refusal in words", async () => {
    const refused = await h.stack.call('admin', 'GET', '/v1/clouds');
    expect(refused.status).toBe(403);
    const { page, context } = await consoleAs(h, 'admin');
    try {
      await visit(page, '/catalog', 'Catalog');
      const alert = page.getByRole('alert');
      // One list refused first shows its own refusal; the page's word comes once both are refused.
      await expect.poll(() => alert.textContent(), SETTLE).toContain('The catalog is not open to you');
      expect(await alert.textContent()).toContain(refused.body.detail);
      expect(await alert.textContent()).toContain(refused.body.code);
      expect(await page.getByRole('table').count()).toBe(0);
      await expectAccessible(page, 'catalog refused to the admin');
    } finally {
      await context.close();
    }
  });

  it('is accessible and readable at both widths and in dark mode', async () => {
    await checkPageEverywhere(h, 'operator', 'catalog', async (page) => {
      await visit(page, '/catalog', 'Catalog');
      await page.getByRole('table', { name: 'Blueprints' }).waitFor();
    });
    await checkPageEverywhere(h, 'operator', 'cloud', async (page) => {
      await visit(page, CLOUD_PATH, FIXTURES.cloud.displayName);
      await rowOf(page, FIXTURES.credential.displayName).waitFor();
    });
    await checkPageEverywhere(h, 'operator', 'blueprint', async (page) => {
      await visit(page, `/catalog/blueprints/${withParameters.id}`, withParameters.display_name);
      await page.getByRole('table', { name: 'Parameters of version 1.0.0' }).waitFor();
    });
  });
});
