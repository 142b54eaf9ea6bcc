import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, openConsole, startConsole, visit, SETTLE, LIVE, PHASE } from '../support/console.ts';
import { auditEntries, tamperWithAuditEntry } from '../support/audit-trail.ts';
import { requestInNewProject } from '../support/console-approvals.ts';
import { DOMAIN, rowsOf, signInTo } from '../support/console-events.ts';
import { createResource, demoCredentialId, seededCatalog } from '../support/resources.ts';
import { seedTenant } from '../support/tenant.ts';

// The events and audit views in a real browser: the domain's feed follows the log as the API
// changes things, the type filter narrows it, auditors read it and outsiders are told why not;
// the audit view says whether the chain holds, pages through the trail, and names the entry
// changed behind the broker's back.

let h: ConsoleHarness;
let credentialId: string;
/** The request made while the feed was open, and approved then. */
let watched: { projectId: string; assignmentId: string };

beforeAll(async () => {
  h = await startConsole();
  credentialId = await demoCredentialId(h.stack);
});
afterAll(async () => {
  await h?.close();
});

const FEED = /events, newest first$/;

describe('the events view', () => {
  it('shows the request and its approval as they happen, newest first, without a reload', async () => {
    const { page, context, problems } = await consoleAs(h, 'admin', { path: '/events' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
      await page.getByText('Live', { exact: true }).waitFor();
      await page.evaluate(() => {
        (window as unknown as { notReloaded: boolean }).notReloaded = true;
      });

      // The live region says the first news at once; the count on screen is not a live region.
      const said = page.getByRole('status').filter({ hasText: 'since this page opened' });
      const shown = page.locator('.event-news');
      expect(await shown.getAttribute('aria-live')).toBeNull();
      const firstNewsBefore = Date.now();
      watched = await requestInNewProject(h.stack, 'Events watched', credentialId);
      await expect.poll(() => said.textContent(), LIVE).toBe('1 new event since this page opened.');
      const approved = await h.stack.call('operator', 'POST', `/v1/approvals/${watched.assignmentId}/approve`, { reason: 'fine for the demo' });
      expect(approved.status, approved.text).toBe(200);
      // The count on screen follows at once; the live region waits 30 s after its last words.
      await expect.poll(() => shown.textContent(), LIVE).toBe('2 new events since this page opened.');
      if (Date.now() - firstNewsBefore < 29_000) expect(await said.textContent()).toBe('1 new event since this page opened.');

      const table = page.getByRole('table', { name: FEED });
      const mine = async () => (await rowsOf(table)).filter((cells) => cells[3]?.includes(watched.assignmentId));
      await expect.poll(async () => (await mine()).map((cells) => cells[2]), LIVE).toEqual([
        'Request approvedassignment.approved',
        'Credential requestedassignment.requested',
      ]);
      const [approvedRow, requestedRow] = await mine();
      expect(Number(approvedRow?.[0])).toBeGreaterThan(Number(requestedRow?.[0]));
      // Newest first across the whole table, and the summary and actor in words.
      const seqs = (await rowsOf(table)).map((cells) => Number(cells[0]));
      expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
      expect(approvedRow?.[6]).toContain('reason: fine for the demo');
      expect(requestedRow?.[5]).toBe('You');
      expect(approvedRow?.[5]).toBe(FIXTURES.operator.id);
      await expect.poll(async () => (await mine()).map((cells) => cells[4]), SETTLE).toEqual(['Events watched', 'Events watched']);

      // Announced politely: a count, not the table.
      expect(await said.textContent()).toMatch(/^[12] new events? since this page opened\.$/);
      expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('narrows the feed by type, and shows the empty state of a kind with no events', async () => {
    const { page, context } = await consoleAs(h, 'admin', { path: '/events' });
    try {
      const table = page.getByRole('table', { name: FEED });
      await expect.poll(async () => (await rowsOf(table)).length, SETTLE).toBeGreaterThanOrEqual(2);

      await page.getByLabel('Show').selectOption({ label: 'Request approved' });
      const approvedOnly = page.getByRole('table', { name: /“Request approved” events, newest first/ });
      await expect.poll(async () => (await rowsOf(approvedOnly)).map((cells) => cells[2]), SETTLE).toEqual(['Request approvedassignment.approved']);

      await page.getByLabel('Show').selectOption({ label: 'All resource events' });
      await page.getByText('No resource events in this domain yet.').waitFor();
      expect(await page.getByRole('table').count()).toBe(0);

      await page.getByLabel('Show').selectOption({ label: 'All events' });
      await expect.poll(async () => (await rowsOf(table)).length, SETTLE).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
    }
  });

  it('holds new events while paused and shows them on resume', async () => {
    const { page, context } = await consoleAs(h, 'admin', { path: '/events' });
    try {
      const table = page.getByRole('table', { name: FEED });
      await page.getByText('Live', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Pause live updates' }).click();
      await page.getByText('Paused', { exact: true }).waitFor();

      const held = await requestInNewProject(h.stack, 'Events held', credentialId);
      await page.getByRole('button', { name: 'Resume live updates (1 waiting)' }).waitFor(LIVE);
      await expect.poll(() => page.getByRole('status').filter({ hasText: 'since this page opened' }).textContent(), SETTLE).toBe(
        '1 new event since this page opened, 1 held while paused.',
      );
      expect((await rowsOf(table)).some((cells) => cells[3]?.includes(held.assignmentId))).toBe(false);

      await page.getByRole('button', { name: /Resume live updates/ }).click();
      await expect.poll(async () => (await rowsOf(table))[0]?.[3], SETTLE).toContain(held.assignmentId);
      await page.getByText('Live', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("links a Resource's events to its page and says each phase move in words", async () => {
    const { page, context } = await consoleAs(h, 'admin', { path: '/events' });
    try {
      await page.getByText('Live', { exact: true }).waitFor();
      const resourceId = await createResource(h.stack, watched.projectId, await seededCatalog(h.stack));
      const table = page.getByRole('table', { name: FEED });
      const moves = async () =>
        (await rowsOf(table)).filter((cells) => cells[3]?.includes(resourceId) && cells[2]?.startsWith('Phase changed')).map((cells) => cells[6]);
      // The embedded stack provisions in a second or two, more under load; the feed follows every 2 s.
      await expect.poll(moves, PHASE).toContainEqual(expect.stringMatching(/^Pending → Provisioning: /));
      await page.getByRole('table', { name: FEED }).getByRole('row').filter({ hasText: 'Resource created' }).waitFor();
      const link = table.getByRole('link', { name: `Resource ${resourceId}` }).first();
      expect(await link.getAttribute('href')).toBe(`#/resources/${resourceId}`);
    } finally {
      await context.close();
    }
  });

  it('is read by the operator, the domain auditor, too', async () => {
    const { page, context } = await consoleAs(h, 'operator', { path: '/events' });
    try {
      const table = page.getByRole('table', { name: FEED });
      await expect
        .poll(async () => (await rowsOf(table)).filter((cells) => cells[3]?.includes(watched.assignmentId)).map((cells) => cells[5]), SETTLE)
        .toEqual(['You', FIXTURES.admin.id]);
    } finally {
      await context.close();
    }
  });

  it('tells an identity with no role in its domain why it sees no events, in the server’s words', async () => {
    const tenant = await seedTenant(h.stack, { tag: '0000c0e5', slug: 'console-outsiders', people: { nobody: 'member' } });
    const { page, context, problems } = await openConsole(h);
    try {
      await signInTo(page, { domainId: tenant.domainId, email: 'nobody@console-outsiders.example', password: 'nobody-password' });
      await visit(page, '/events', 'Events');
      const refusal = page.getByRole('alert');
      await expect.poll(() => refusal.textContent(), SETTLE).toContain("This identity may not read the domain's events:");
      const direct = await tenant.call('nobody', 'GET', `/v1/domains/${tenant.domainId}/events`);
      expect(direct.status).toBe(403);
      expect(await refusal.textContent()).toContain(direct.body.detail);
      expect(await refusal.textContent()).toContain(`(${direct.body.code})`);
      await page.getByText('Not following', { exact: true }).waitFor();
      expect(await page.getByRole('table').count()).toBe(0);
      expect(await page.getByRole('button', { name: /live updates/ }).count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is accessible and fits at both widths and in dark mode', async () => {
    await checkPageEverywhere(h, 'admin', 'events', async (page) => {
      await visit(page, '/events', 'Events');
      await page.getByRole('table', { name: FEED }).waitFor();
    });
  });
});

describe('the audit view', () => {
  it('says the chain is verified, with the count the API gives, and pages through the trail', async () => {
    // Enough audited refusals (the requester approving its own request) for a second page.
    for (let i = 0; i < 25; i++) {
      const self = await h.stack.call('admin', 'POST', `/v1/credential-assignments/${watched.assignmentId}/approve`);
      expect(self.status).toBe(403);
    }
    const verdict = await h.stack.call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/verify`);
    expect(verdict.body.valid).toBe(true);
    const entries = await auditEntries(h.stack, DOMAIN);
    expect(verdict.body.entries).toBe(entries.length);
    expect(entries.length).toBeGreaterThan(25);

    const { page, context, problems } = await consoleAs(h, 'admin', { path: '/audit' });
    try {
      await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor();
      const panel = page.getByRole('region', { name: 'Chain verification' });
      await expect.poll(() => panel.textContent(), SETTLE).toContain(`Chain verified: ${verdict.body.entries} entries, head ${verdict.body.head}.`);
      await panel.getByText('Verified', { exact: true }).waitFor();

      const table = page.getByRole('table', { name: /^Audit entries in the order they were written/ });
      await expect.poll(async () => (await rowsOf(table)).length, SETTLE).toBe(25);
      const first = (await rowsOf(table))[0] ?? [];
      const oldest = entries.find((e) => e.seq === 1);
      expect(first[0]).toBe('1');
      expect(first[3]).toContain(oldest?.action);
      expect(first[6]).toContain(oldest?.id);

      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(async () => (await rowsOf(table)).length, SETTLE).toBe(entries.length);
      await page.getByText('That is the whole trail.').waitFor();
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
      const selfApproval = (await rowsOf(table)).find((cells) => cells[3]?.includes('Approve a credential request') && cells[5]?.includes('Denied'));
      expect(selfApproval?.[5]).toContain('self_approval_denied');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is accessible and fits at both widths and in dark mode', async () => {
    await checkPageEverywhere(h, 'admin', 'audit', async (page) => {
      await visit(page, '/audit', 'Audit trail');
      await page.getByText(/Chain verified: \d+ entries/).waitFor();
      await page.getByRole('table', { name: /^Audit entries/ }).waitFor();
    });
  });

  it('names the entry changed behind the broker’s back, and why, when verified again', async () => {
    const { page, context } = await consoleAs(h, 'admin', { path: '/audit' });
    try {
      const panel = page.getByRole('region', { name: 'Chain verification' });
      await panel.getByText('Verified', { exact: true }).waitFor();

      const request = (await auditEntries(h.stack, DOMAIN)).find((e) => e.target === watched.assignmentId && e.action === 'credential_assignment.request');
      expect(request).toBeDefined();
      await tamperWithAuditEntry(h.stack, DOMAIN, request?.seq ?? 0, 'actor_subject', FIXTURES.operator.id);

      await panel.getByRole('button', { name: 'Verify again' }).click();
      await panel.getByText('Broken', { exact: true }).waitFor();
      const words = await panel.textContent();
      expect(words).toContain(`Chain broken at entry ${request?.id}: the entry was changed after it was written`);
      expect(words).toContain('(hash_mismatch)');
      const api = await h.stack.call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/verify`);
      expect(api.body.first_broken).toEqual({ id: request?.id, reason: 'hash_mismatch' });
      // The broken entry is marked in the trail.
      const table = page.getByRole('table', { name: /^Audit entries/ });
      await expect.poll(async () => (await rowsOf(table)).find((cells) => cells[6]?.includes(request?.id ?? '?'))?.[0], SETTLE).toBe(`${request?.seq}Chain breaks here`);
    } finally {
      await context.close();
    }
  });
});
