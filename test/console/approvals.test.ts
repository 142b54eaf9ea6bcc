import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, focusedText, startConsole, visit, SETTLE, LIVE } from '../support/console.ts';
import { approval, requestIn, uniqueName } from '../support/console-approvals.ts';
import { seededCatalog } from '../support/resources.ts';

// The approvals queue in a real browser: the operator (owner of the demo credential) reads the
// admin's requests with their terms, filters them through the address, approves with narrowed
// terms, rejects with a reason, and sees requests arrive and be decided elsewhere without a
// reload; the admin deciding its own request is told why not.

let h: ConsoleHarness;
let credentialId: string;
let versionId: string;
const WEEK = 7 * 24 * 3600;

beforeAll(async () => {
  h = await startConsole();
  ({ demoCredentialId: credentialId, versionId } = await seededCatalog(h.stack));
});
afterAll(async () => {
  await h?.close();
});


/** A request's row, found by its project's name (looked up after the queue itself loads). */
const rowOf = (page: Page, project: string) => page.getByRole('row').filter({ hasText: project });
/** A request's row, found by its project's id (in the link's address, there as soon as the queue is). */
const rowLinkingTo = (page: Page, projectId: string) => page.getByRole('row').filter({ has: page.locator(`a[href="#/projects/${projectId}"]`) });
const projectOf = async (approvalId: string) => (await approval(h.stack, approvalId)).payload.project_id;

/** Marks the page, so a test can prove it was never reloaded. */
async function markPage(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
  return () => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
}

describe('the approvals queue', () => {
  it("shows a request with its project, requester, credential, proposed terms, age and state", async () => {
    const project = uniqueName('Queue shown');
    await requestIn(h.stack, project, credentialId, {
      max_live_resources: 3,
      max_lease_seconds: WEEK,
      allowed_blueprint_version_ids: [versionId],
    });
    const { page, context, problems } = await consoleAs(h, 'operator');
    try {
      await visit(page, '/approvals', 'Approvals');
      const row = rowOf(page, project);
      await row.waitFor();
      // The credential's name is looked up apart from the project's: wait for it too.
      await expect.poll(() => row.textContent(), SETTLE).toContain(FIXTURES.credential.displayName);
      const text = await row.textContent();
      // The requester as people know them: the email the request was made with.
      expect(text).toContain(FIXTURES.admin.email);
      expect(text).toContain(FIXTURES.credential.displayName);
      expect(text).toContain(`Proposed: at most 3 live Resources; leases of at most 7d; only blueprint version ${versionId}`);
      expect(text).toMatch(/\d+s ago/);
      expect(text).toContain('Pending approval');
      await expect.poll(() => row.getByRole('link', { name: project }).getAttribute('href'), SETTLE).toMatch(/^#\/projects\/[0-9a-f-]{36}$/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('filters by status, and the filter lives in the address so it can be linked', async () => {
    const pending = uniqueName('Filter pending');
    const decided = uniqueName('Filter approved');
    const pendingId = await requestIn(h.stack, pending, credentialId);
    const approvedId = await requestIn(h.stack, decided, credentialId);
    expect((await h.stack.call('operator', 'POST', `/v1/approvals/${approvedId}/approve`)).status).toBe(200);
    const pendingProject = await projectOf(pendingId);
    const decidedProject = await projectOf(approvedId);

    const { page, context } = await consoleAs(h, 'operator', { path: '/approvals?status=pending-approval' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      await rowOf(page, pending).waitFor();
      // Each row's project name arrives in a lookup of its own; its link's address comes with the
      // queue, so the row not being there is settled once the pending one is.
      expect(await rowLinkingTo(page, decidedProject).count()).toBe(0);
      expect(await rowOf(page, decided).count()).toBe(0);
      await expect.poll(() => page.getByLabel('Status').inputValue(), SETTLE).toBe('pending-approval');

      await page.getByLabel('Status').selectOption({ label: 'Approved' });
      await page.getByRole('button', { name: 'Show requests' }).click();
      await rowOf(page, decided).waitFor();
      expect(await rowLinkingTo(page, pendingProject).count()).toBe(0);
      expect(await rowOf(page, pending).count()).toBe(0);
      expect(await page.evaluate(() => location.hash)).toBe('#/approvals?status=approved');
      expect(await rowOf(page, decided).textContent()).toContain('Approved');

      await page.getByLabel('Kind').selectOption({ label: 'Credential assignment' });
      await page.getByRole('button', { name: 'Show requests' }).click();
      await expect.poll(() => page.evaluate(() => location.hash), SETTLE).toBe('#/approvals?status=approved&kind=credential_assignment');
      await rowOf(page, decided).waitFor();
    } finally {
      await context.close();
    }
  });

  it('approves with narrowed terms and a reason; the API then holds those terms', async () => {
    const project = uniqueName('Approve narrowed');
    const id = await requestIn(h.stack, project, credentialId, {
      max_live_resources: 3,
      max_lease_seconds: WEEK,
      allowed_blueprint_version_ids: [versionId],
    });
    const { page, context, problems } = await consoleAs(h, 'operator', { path: '/approvals?status=pending-approval' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      await rowOf(page, project).getByRole('button', { name: /^Approve/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Approve the request' });
      await dialog.waitFor();
      // Prefilled from the proposal.
      expect(await dialog.getByLabel('Most live Resources at once').inputValue()).toBe('3');
      expect(await dialog.getByLabel('Longest lease').inputValue()).toBe('7d');
      expect(await dialog.getByLabel('Allowed blueprint versions').inputValue()).toBe(versionId);

      // Widening is refused before anything is sent.
      await dialog.getByLabel('Most live Resources at once').fill('5');
      await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
      await dialog.getByText('The request proposed at most 3; you may lower it, not raise or remove it.').waitFor();
      expect((await approval(h.stack, id)).state).toBe('pending-approval');

      await dialog.getByLabel('Most live Resources at once').fill('2');
      await dialog.getByLabel('Longest lease').fill('8h');
      await dialog.getByLabel('Reason').fill('two nodes for the pilot');
      await dialog.getByRole('button', { name: 'Approve', exact: true }).click();

      await page.getByRole('status').filter({ hasText: `Approved the request for ${project}` }).waitFor();
      // The Approve button that opened the dialog is gone: focus is on the notice, not lost.
      await expect.poll(() => focusedText(page), SETTLE).toMatch(new RegExp(`^Approved the request for ${project}`));
      await expect.poll(async () => (await approval(h.stack, id)).state, SETTLE).toBe('approved');
      const decided = await approval(h.stack, id);
      expect(decided.terms).toEqual({ max_live_resources: 2, max_lease_seconds: 8 * 3600, allowed_blueprint_version_ids: [versionId] });
      expect(decided.decision_reason).toBe('two nodes for the pilot');
      expect(decided.decided_by_subject).toBe(FIXTURES.operator.id);
      // The row follows: gone from the pending view once the queue reloads.
      await rowOf(page, project).waitFor({ state: 'detached' });
      await expect.poll(() => dialog.isVisible(), SETTLE).toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('rejects only with a reason', async () => {
    const project = uniqueName('Reject reasoned');
    const id = await requestIn(h.stack, project, credentialId);
    const { page, context } = await consoleAs(h, 'operator', { path: '/approvals' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      await rowOf(page, project).getByRole('button', { name: /^Reject/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Reject the request' });
      await dialog.getByRole('button', { name: 'Reject', exact: true }).click();
      await dialog.getByText('Give a reason for the rejection.').waitFor();
      expect((await approval(h.stack, id)).state).toBe('pending-approval');

      await dialog.getByLabel('Reason').fill('use the shared sandbox instead');
      await dialog.getByRole('button', { name: 'Reject', exact: true }).click();
      const row = rowOf(page, project);
      await expect.poll(() => row.textContent(), SETTLE).toContain('Reason: use the shared sandbox instead');
      expect(await row.textContent()).toContain('Rejected');
      const rejected = await approval(h.stack, id);
      expect(rejected).toMatchObject({ state: 'rejected', decision_reason: 'use the shared sandbox instead' });
    } finally {
      await context.close();
    }
  });

  it('follows requests made and decided elsewhere without a reload', async () => {
    const { page, context, problems } = await consoleAs(h, 'operator', { path: '/approvals?status=pending-approval' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      await page.getByText(/updates by itself|checks for new and decided requests every few seconds/).waitFor();
      const notReloaded = await markPage(page);

      const project = uniqueName('Arrives live');
      const id = await requestIn(h.stack, project, credentialId, { max_live_resources: 1 });
      const row = rowOf(page, project);
      await row.waitFor(LIVE);
      expect(await row.textContent()).toContain('Proposed: at most 1 live Resource');

      const decided = await h.stack.call('operator', 'POST', `/v1/approvals/${id}/reject`, { reason: 'decided in plexctl' });
      expect(decided.status, decided.text).toBe(200);
      await row.waitFor({ state: 'detached', ...LIVE });
      expect(await notReloaded()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the broker's refusal when the requester tries to approve its own request", async () => {
    const project = uniqueName('Self approval');
    const id = await requestIn(h.stack, project, credentialId);
    const { page, context } = await consoleAs(h, 'admin', { path: '/approvals?status=pending-approval' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
      const row = rowOf(page, project);
      await row.waitFor();
      expect(await row.textContent()).toContain(`${FIXTURES.admin.name} (you)`);
      await row.getByRole('button', { name: /^Approve/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Approve the request' });
      await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
      const alert = dialog.getByRole('alert');
      await expect.poll(() => alert.textContent(), SETTLE).toContain('You cannot decide a request you made yourself.');
      expect(await alert.textContent()).toContain('self_approval_denied');
      expect(await dialog.isVisible()).toBe(true);
      expect((await approval(h.stack, id)).state).toBe('pending-approval');
    } finally {
      await context.close();
    }
  });

  it('is accessible and readable at both widths and in dark mode, dialog included', async () => {
    const project = uniqueName('Screenshot');
    await requestIn(h.stack, project, credentialId, { max_live_resources: 2, max_lease_seconds: 8 * 3600 });
    await checkPageEverywhere(h, 'operator', 'approvals', async (page) => {
      await visit(page, '/approvals', 'Approvals');
      await rowOf(page, project).waitFor();
    });
    await checkPageEverywhere(h, 'operator', 'approve-dialog', async (page) => {
      await visit(page, '/approvals?status=pending-approval', 'Approvals');
      await rowOf(page, project).getByRole('button', { name: /^Approve/ }).click();
      await page.getByRole('dialog', { name: 'Approve the request' }).getByLabel('Longest lease').waitFor();
    });
  });
});
