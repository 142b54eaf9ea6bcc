import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, focusedText, startConsole, visit, SETTLE, PHASE } from '../support/console.ts';
import { CONSTRAINED_PARAMETERS, constrainedVersion, ownedProject, planText } from '../support/console-projects.ts';
import { type Catalog, createResource, seededCatalog, untilPhase } from '../support/resources.ts';

// Resources in the console as their project's owner (the domain admin): planned by a dry run, a
// form generated from the version's parameter schema, created, followed to Ready, the lease
// extended and the Resource deleted behind a typed confirmation, all without a reload.

let h: ConsoleHarness;
let catalog: Catalog;

beforeAll(async () => {
  h = await startConsole();
  catalog = await seededCatalog(h.stack);
}, 60_000);
afterAll(async () => {
  await h?.close();
});


const resourceApi = async (id: string) => (await h.stack.call('admin', 'GET', `/v1/resources/${id}`)).body;
const timeline = (page: Page) => page.locator('ol.timeline > li');

/** The admin signed in on `path`. */
const adminOn = (path: string) => consoleAs(h, 'admin', { path });

describe('a Resource from plan to Deleted', () => {
  it('plans the cloudless node, creates it, follows it to Ready, extends its lease and deletes it', async () => {
    const { projectId, name } = await ownedProject(h.stack, catalog.demoCredentialId);
    const { page, context, problems } = await adminOn(`/projects/${projectId}/new-resource`);
    try {
      await page.getByRole('heading', { level: 1, name: `New Resource in ${name}` }).waitFor();
      // The only approved credential is chosen; its terms set nothing.
      expect(await page.getByLabel('Credential', { exact: true }).inputValue()).toBe(catalog.demoCredentialId);
      const create = page.getByRole('button', { name: 'Create', exact: true });
      expect(await create.isDisabled()).toBe(true);
      await page.getByLabel('Blueprint version id').fill(catalog.versionId);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      const plan = await planText(page);
      expect(plan).toContain('Allowed');
      expect(plan).toContain('No limit on live Resources (0 live now)');
      expect(plan).toMatch(/Lease\s*Until .+\(in 7d/);
      expect(plan).toContain('v1alpha1');
      const noParameters = page.getByText('This blueprint version takes no parameters.');
      await noParameters.waitFor();
      expect(await noParameters.count()).toBe(1);
      // A changed input makes the plan stale: Create waits for a new one.
      await page.getByLabel('Kind').fill('nodes');
      await expect.poll(() => create.isDisabled(), SETTLE).toBe(true);
      const stale = page.getByText('The form changed since this plan was made');
      await stale.waitFor();
      expect(await stale.count()).toBe(1);
      await page.getByLabel('Kind').fill('node');
      await expect.poll(() => create.isEnabled(), SETTLE).toBe(true);
      await create.click();

      await page.getByRole('heading', { level: 1, name: /^Resource node-[0-9a-f]{8}$/ }).waitFor();
      const id = page.url().split('#/resources/')[1] ?? '';
      expect((await resourceApi(id)).project_id).toBe(projectId);
      expect((await h.stack.call('admin', 'GET', `/v1/projects/${projectId}/resources`)).body.items).toHaveLength(1);
      // The embedded stack provisions in a second or two; the page follows the project's events.
      await timeline(page).filter({ hasText: 'Ready' }).waitFor(PHASE);
      const phases = await timeline(page).locator('.badge').allTextContents();
      expect(phases).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Ready']);
      expect(await timeline(page).locator('time').count()).toBe(4);
      expect(await timeline(page).last().textContent()).toMatch(/so far$/);
      expect(await timeline(page).first().textContent()).toMatch(/in Pending$/);
      // The project's name comes in a request of its own, after the Resource's.
      const factList = page.locator('dl.facts').first();
      await expect.poll(async () => (await factList.textContent()) ?? '', SETTLE).toContain(name);
      const facts = (await factList.textContent()) ?? '';
      expect(facts).toContain(name);
      expect(facts).toMatch(/mesh IP/);

      // Extend the lease by an hour: the broker moves it, and says so.
      const before = Date.parse((await resourceApi(id)).lease.expires_at);
      await page.getByLabel('Extend by').fill('1h');
      await page.getByRole('button', { name: 'Extend lease' }).click();
      await page.getByRole('status').getByText(/The lease now ends at/).waitFor();
      expect(Date.parse((await resourceApi(id)).lease.expires_at) - before).toBe(3_600_000);

      // Delete behind the typed confirmation: the Resource's name, shown in the dialog.
      const shortName = `node-${id.replace(/-/g, '').slice(-8)}`;
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${shortName}?` });
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Delete the Resource' });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type ${shortName} to confirm`).fill('node');
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(`Type ${shortName} to confirm`).fill(shortName);
      await expect.poll(() => confirm.isEnabled(), SETTLE).toBe(true);
      await confirm.click();
      // The Delete… button is gone once the teardown started: focus is on the notice, not lost.
      await page.getByRole('status').getByText(/^Teardown asked for/).waitFor();
      await expect.poll(() => focusedText(page), SETTLE).toMatch(/^Teardown asked for/);
      await timeline(page).filter({ hasText: 'Deleted' }).waitFor(PHASE);
      expect(await timeline(page).locator('.badge').allTextContents()).toEqual([
        'Pending',
        'Provisioning',
        'Enrolling',
        'Ready',
        'Deregistering',
        'Deprovisioning',
        'Deleted',
      ]);
      expect(await timeline(page).last().textContent()).toMatch(/final$/);
      expect(await page.getByRole('button', { name: 'Delete…' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Extend lease' }).count()).toBe(0);
      expect((await resourceApi(id)).provisioning.phase).toBe('Deleted');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    // A provision and a teardown, each up to PHASE under load, besides the page's own steps.
  }, 120_000);

  it('meets WCAG 2.2 AA, fits 360 px and dark mode: a Ready Resource', async () => {
    const { projectId } = await ownedProject(h.stack, catalog.demoCredentialId, { max_lease_seconds: 86_400 });
    const id = await createResource(h.stack, projectId, catalog);
    await untilPhase(h.stack, id, 'Ready', PHASE.timeout);
    await checkPageEverywhere(h, 'admin', 'resource', async (page) => {
      await visit(page, `/resources/${id}`, /^Resource node-/);
      await timeline(page).filter({ hasText: 'Ready' }).waitFor();
      expect(await page.getByText(/It can be extended up to/).count()).toBe(1);
      // The default lease of a ceiling of one day is that day: nothing to extend.
      expect(await page.getByText('The lease is at its ceiling: the terms allow no longer one.').count()).toBe(1);
    });
  }, 90_000);

  it('shows an adopted Resource without a lease, and deleting it leads back to its project', async () => {
    const { projectId, name } = await ownedProject(h.stack, catalog.demoCredentialId);
    const adopted = await h.stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, { origin: 'adopted', kind: 'db', external_ref: 'arn:db-1' });
    expect(adopted.status, adopted.text).toBe(201);
    const { page, context, problems } = await adminOn(`/resources/${adopted.body.id}`);
    try {
      const shortName = `db-${adopted.body.id.replace(/-/g, '').slice(-8)}`;
      await page.getByRole('heading', { level: 1, name: `Resource ${shortName}` }).waitFor();
      expect(await page.getByText('Adopted (exists elsewhere)').count()).toBe(1);
      expect(await page.getByText('arn:db-1').count()).toBe(1);
      expect(await page.getByText(/has no lease/).count()).toBe(1);
      expect(await page.getByRole('heading', { name: 'Timeline' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog', { name: `Delete ${shortName}?` });
      await dialog.getByLabel(`Type ${shortName} to confirm`).fill(shortName);
      await dialog.getByRole('button', { name: 'Delete the Resource' }).click();
      await page.getByRole('heading', { level: 1, name: `Project ${name}` }).waitFor();
      expect((await h.stack.call('admin', 'GET', `/v1/resources/${adopted.body.id}`)).status).toBe(404);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

describe('the form generated from the plan', () => {
  it('shows the version’s parameters with their hints; the server refuses a broken constraint with its reasons', async () => {
    const versionId = await constrainedVersion(h.stack);
    const { projectId } = await ownedProject(h.stack, catalog.demoCredentialId);
    const { page, context, problems } = await adminOn(`/projects/${projectId}/new-resource?version=${versionId}`);
    try {
      await page.getByRole('heading', { level: 1, name: /^New Resource in / }).waitFor();
      expect(await page.getByLabel('Blueprint version id').inputValue()).toBe(versionId);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      // The first plan (no parameters) names what is missing; the form appears with the defaults.
      expect(await planText(page)).toContain('Not allowed');
      await page.getByRole('heading', { level: 2, name: '2. Parameters' }).waitFor();
      const size = page.getByLabel('size', { exact: true });
      expect(await size.inputValue()).toBe('2');
      // A text input with a numeric keypad: a number input would hand over '' for "12x" (the default would apply).
      expect(await size.getAttribute('type')).toBe('text');
      expect(await size.getAttribute('inputmode')).toBe('numeric');
      expect(await page.getByText('How many workers. A whole number. From 1 to 8. Default: 2.').count()).toBe(1);
      const tier = page.getByLabel('tier (required)');
      expect(await tier.evaluate((el) => el.tagName)).toBe('SELECT');
      expect(await tier.getAttribute('required')).not.toBeNull();
      expect(await tier.locator('option').allTextContents()).toEqual(['Choose…', 'small', 'large']);
      expect(await page.getByText('The whole value must match the pattern [a-z]+. Optional.').count()).toBe(1);
      const debug = page.getByLabel('debug', { exact: true });
      expect(await debug.getAttribute('type')).toBe('checkbox');
      expect(await debug.isChecked()).toBe(false);
      expect(CONSTRAINED_PARAMETERS.map((p) => p.name)).toEqual(['size', 'tier', 'label', 'debug']);

      // What is typed is sent as typed: "12x" is not dropped for the default; the plan says why not.
      await size.fill('12x');
      await tier.selectOption('small');
      await page.getByRole('button', { name: 'Check plan' }).click();
      await expect.poll(() => planText(page), SETTLE).toMatch(/parameters\.size must be an integer/);
      expect(await size.inputValue()).toBe('12x');

      // Client hints do not stop a value the server refuses: the plan says why.
      await size.fill('9');
      await page.getByLabel('label', { exact: true }).fill('Bad Label');
      await page.getByRole('button', { name: 'Check plan' }).click();
      await expect.poll(() => planText(page), SETTLE).toMatch(/parameters\.size must be at most 8/);
      const refused = await planText(page);
      expect(refused).toContain('Not allowed');
      expect(refused).toContain('invalid_parameters');
      expect(refused).toMatch(/parameters\.label must match the pattern/);
      const create = page.getByRole('button', { name: 'Create', exact: true });
      expect(await create.isDisabled()).toBe(true);

      // Within the constraints the plan allows it, and Create is offered for exactly these inputs.
      await size.fill('3');
      await page.getByLabel('label', { exact: true }).fill('');
      await debug.check();
      await page.getByRole('button', { name: 'Check plan' }).click();
      await expect.poll(() => planText(page), SETTLE).toMatch(/^Plan\s*Allowed/);
      expect(await create.isEnabled()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows a refused plan’s reasons and keeps Create disabled (terms that allow no live Resource)', async () => {
    const { projectId } = await ownedProject(h.stack, catalog.demoCredentialId, {
      max_live_resources: 0,
      allowed_blueprint_version_ids: [catalog.versionId],
    });
    const { page, context } = await adminOn(`/projects/${projectId}/new-resource`);
    try {
      await page.getByRole('heading', { level: 1, name: /^New Resource in / }).waitFor();
      // The terms list the versions: a choice among them, not a text field.
      expect(await page.getByLabel('Blueprint version', { exact: true }).inputValue()).toBe(catalog.versionId);
      expect(await page.getByText(/Approved on these terms: no live Resources; only blueprint version/).count()).toBe(1);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      const plan = await planText(page);
      expect(plan).toContain('Not allowed');
      expect(plan).toContain('quota_exceeded');
      expect(plan).toContain('0 of at most 0 live Resources in use');
      expect(await page.getByRole('button', { name: 'Create', exact: true }).isDisabled()).toBe(true);
      expect((await h.stack.call('admin', 'GET', `/v1/projects/${projectId}/resources`)).body.items).toHaveLength(0);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('meets WCAG 2.2 AA, fits 360 px and dark mode: the new-Resource form with a plan shown', async () => {
    const versionId = await constrainedVersion(h.stack);
    const { projectId } = await ownedProject(h.stack, catalog.demoCredentialId, { max_live_resources: 3, max_lease_seconds: 28_800 });
    await checkPageEverywhere(h, 'admin', 'new-resource', async (page) => {
      await visit(page, `/projects/${projectId}/new-resource?version=${versionId}`, /^New Resource in /);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
      await page.getByLabel('tier (required)').selectOption('large');
      await page.getByRole('button', { name: 'Check plan' }).click();
      await expect.poll(() => planText(page), SETTLE).toMatch(/^Plan\s*Allowed/);
    });
  }, 90_000);
});
