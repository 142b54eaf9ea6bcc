import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, startConsole, visit, SETTLE, LIVE } from '../support/console.ts';
import { freshSlug, ownedProject } from '../support/console-projects.ts';
import { type Catalog, seededCatalog } from '../support/resources.ts';

// The projects views as the domain admin (a project owner) uses them: create a project, request
// the operator's credential for it, and see the owner's decision arrive without a reload.

let h: ConsoleHarness;
let catalog: Catalog;

beforeAll(async () => {
  h = await startConsole();
  catalog = await seededCatalog(h.stack);
}, 60_000);
afterAll(async () => {
  await h?.close();
});


const projectsOfDomain = async () =>
  (await h.stack.call('admin', 'GET', `/v1/projects?domain_id=${FIXTURES.domain.id}&limit=200`)).body.items as Array<{ id: string; slug: string; name: string }>;

describe('projects', () => {
  it('creates a project from the form, suggesting its slug, and opens it; a taken slug is refused in words', async () => {
    const { page, context, problems } = await consoleAs(h, 'admin', { path: '/projects' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
      const name = `Web shop ${freshSlug('x')}`;
      await page.getByLabel('Name', { exact: true }).fill(name);
      // The suggestion is a state update after the input event: wait for it, then read it.
      const slugField = page.getByLabel('Slug', { exact: true });
      await expect.poll(() => slugField.inputValue(), SETTLE).toMatch(/^web-shop-x-[a-z0-9]+-\d+$/);
      const slug = await slugField.inputValue();
      expect(slug).toMatch(/^web-shop-x-[a-z0-9]+-\d+$/);
      await expect.poll(() => page.getByText(/Lowercase letters, digits and dashes/).count(), SETTLE).toBe(1);
      await page.getByLabel('Description (optional)').fill('Where the shop runs');
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.getByRole('heading', { level: 1, name: `Project ${name}` }).waitFor();
      const created = (await projectsOfDomain()).find((p) => p.slug === slug);
      expect(created).toMatchObject({ name });
      expect(page.url()).toContain(`#/projects/${created?.id}`);
      expect(await page.getByText('Where the shop runs').count()).toBe(1);

      // The list links to it; the same slug again is the broker's conflict, in its words.
      await visit(page, '/projects', 'Projects');
      await page.getByRole('link', { name }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill('Another shop');
      await page.getByLabel('Slug', { exact: true }).fill(slug);
      await page.getByRole('button', { name: 'Create project' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('project_slug_conflict');
      expect(await page.getByText('Another project of the domain has this slug.').count()).toBe(1);
      expect(page.url()).toMatch(/#\/projects$/);
      expect((await projectsOfDomain()).filter((p) => p.slug === slug)).toHaveLength(1);
      // A slug off the pattern: the broker's field error lands under the field.
      await page.getByLabel('Slug', { exact: true }).fill('Not A Slug');
      await page.getByRole('button', { name: 'Create project' }).click();
      await expect.poll(() => page.getByRole('alert').textContent(), SETTLE).toContain('invalid_body');
      const slugError = await page.getByLabel('Slug', { exact: true }).getAttribute('aria-describedby');
      expect(await page.locator(`[id="${slugError?.split(' ')[1]}"]`).textContent()).toContain('lowercase letters, digits and dashes');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('requests the demo credential by id with proposed terms, and shows the approval without a reload', async () => {
    const slug = freshSlug('request');
    const project = await h.stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: `Request ${slug}`, slug });
    const { page, context, problems } = await consoleAs(h, 'admin', { path: `/projects/${project.body.id}` });
    try {
      await page.getByRole('heading', { level: 1, name: `Project Request ${slug}` }).waitFor();
      // Both lists load in requests of their own, after the heading: wait for each empty state.
      const noCredential = page.getByText('No credential was requested for this project yet.');
      await noCredential.waitFor();
      expect(await noCredential.count()).toBe(1);
      const noResources = page.getByText('No Resources yet.', { exact: false });
      await noResources.waitFor();
      expect(await noResources.count()).toBe(1);
      await page.getByLabel('Credential id').fill(catalog.demoCredentialId);
      await page.getByLabel('Most live Resources').fill('3');
      await page.getByLabel('Longest lease').fill('8h');
      await page.getByRole('button', { name: 'Request the credential' }).click();
      await page.getByRole('status').getByText(`Requested credential ${catalog.demoCredentialId}`).waitFor();
      const table = page.getByRole('table', { name: 'Credentials requested for this project' });
      await table.getByText('awaiting approval').waitFor();
      expect(await table.textContent()).toContain('Proposed: at most 3 live Resources; leases of at most 8h');

      const listed = await h.stack.call('admin', 'GET', `/v1/projects/${project.body.id}/credential-assignments`);
      expect(listed.body.items).toHaveLength(1);
      const assignment = listed.body.items[0];
      expect(assignment).toMatchObject({ cloud_credential_id: catalog.demoCredentialId, state: 'requested', proposed_terms: { max_live_resources: 3, max_lease_seconds: 28_800 } });

      // The credential's owner narrows and approves elsewhere; the page follows the project's events.
      const approved = await h.stack.call('operator', 'POST', `/v1/approvals/${assignment.id}/approve`, {
        terms: { max_live_resources: 2, max_lease_seconds: 28_800 },
        reason: 'fine for the shop',
      });
      expect(approved.status, approved.text).toBe(200);
      await table.getByText('approved', { exact: true }).waitFor(LIVE);
      const row = await table.textContent();
      expect(row).toContain('at most 2 live Resources; leases of at most 8h; 0 live now');
      expect(row).toContain('fine for the shop');
      // An approved credential leads to a new Resource with it chosen.
      const use = table.getByRole('link', { name: 'New Resource with it' });
      expect(await use.getAttribute('href')).toBe(`#/projects/${project.body.id}/new-resource?credential=${catalog.demoCredentialId}`);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('keeps focus on the busy button, ignores a second press, and refuses a live count that is not a whole number', async () => {
    const slug = freshSlug('busy');
    const project = await h.stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: `Busy ${slug}`, slug });
    const { page, context, problems } = await consoleAs(h, 'admin', { path: `/projects/${project.body.id}` });
    try {
      await page.getByRole('heading', { level: 1, name: `Project Busy ${slug}` }).waitFor();
      await page.getByLabel('Credential id').fill(catalog.demoCredentialId);
      // "12x" is not dropped (a number input would hand over ''): it is refused under its field.
      await page.getByLabel('Most live Resources').fill('12x');
      await page.getByRole('button', { name: 'Request the credential' }).click();
      await page.getByText('Write a whole number from 0 to 100000.').waitFor();

      // The request is held on its way; the button says it works, keeps its focus, and a second press sends nothing.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let sent = 0;
      await page.route('**/credential-assignments', async (route) => {
        if (route.request().method() === 'POST') sent++;
        await held;
        await route.continue();
      });
      await page.getByLabel('Most live Resources').fill('2');
      const button = page.getByRole('button', { name: /Request the credential|Requesting…/ });
      await button.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Requesting…' }).waitFor();
      expect(await button.getAttribute('aria-disabled')).toBe('true');
      expect(await button.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
      await page.keyboard.press('Enter');
      // Playwright waits for an aria-disabled button to be enabled: force the click through.
      await button.click({ force: true });
      release();
      await page.getByRole('status').getByText(`Requested credential ${catalog.demoCredentialId}`).waitFor();
      expect(sent).toBe(1);
      const listed = await h.stack.call('admin', 'GET', `/v1/projects/${project.body.id}/credential-assignments`);
      expect(listed.body.items).toHaveLength(1);
      expect(listed.body.items[0].proposed_terms).toEqual({ max_live_resources: 2 });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses an unknown credential in the broker’s words and keeps the form', async () => {
    const { projectId, name } = await ownedProject(h.stack, catalog.demoCredentialId);
    const { page, context } = await consoleAs(h, 'admin', { path: `/projects/${projectId}` });
    try {
      await page.getByRole('heading', { level: 1, name: `Project ${name}` }).waitFor();
      await page.getByLabel('Credential id').fill('019100c0-0d00-7000-8000-0000000000ff');
      await page.getByRole('button', { name: 'Request the credential' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/The request was not made\..*\(\w+\)/);
      expect(await page.getByLabel('Credential id').inputValue()).toBe('019100c0-0d00-7000-8000-0000000000ff');
      const listed = await h.stack.call('admin', 'GET', `/v1/projects/${projectId}/credential-assignments`);
      expect(listed.body.items).toHaveLength(1);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('meets WCAG 2.2 AA, fits 360 px and dark mode: the projects list and a project', async () => {
    const { projectId, name } = await ownedProject(h.stack, catalog.demoCredentialId, { max_live_resources: 2 });
    await checkPageEverywhere(h, 'admin', 'projects', async (page) => {
      await visit(page, '/projects', 'Projects');
      await page.getByRole('link', { name }).waitFor();
    });
    await checkPageEverywhere(h, 'admin', 'project', async (page) => {
      await visit(page, `/projects/${projectId}`, `Project ${name}`);
      await page.getByRole('table', { name: 'Credentials requested for this project' }).getByText('approved', { exact: true }).waitFor();
    });
  }, 120_000);
});
