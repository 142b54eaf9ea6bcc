import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, openConsole, startConsole, SETTLE } from '../support/console.ts';

// The console with the keyboard alone: no click, no fill. Tab moves through the controls in order,
// Enter and Space act, Escape closes a dialog and gives focus back to what opened it, and each
// view's heading takes focus when it opens.

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
});
afterAll(async () => {
  await h?.close();
});

/** What has focus, as a person would name it: the element's tag, and its label or text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return '';
    const label = el.getAttribute('aria-label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ?? el.textContent ?? '';
    return `${el.tagName.toLowerCase()}:${label.trim()}`;
  });
}

/** Presses Tab until `want` has focus; fails when it is not reached within `limit` presses (a trap or a missing control). */
async function tabTo(page: Page, want: string, limit = 40): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (now === want) return;
    seen.push(now);
  }
  throw new Error(`Tab never reached ${want}; it went through ${seen.join(' → ')}`);
}

describe('the console with the keyboard alone', () => {
  it('signs in, skips to the content, moves between views and creates a project', async () => {
    const { page, context, problems } = await openConsole(h);
    try {
      await page.getByRole('heading', { level: 1, name: 'Sign in to the Plexsphere console' }).waitFor();
      // The domain is filled from the address; Email and Password are typed.
      await tabTo(page, 'input:Email');
      await page.keyboard.type(FIXTURES.admin.email);
      await tabTo(page, 'input:Password');
      await page.keyboard.type(FIXTURES.devPassword);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
      // The opened view's heading has focus; the skip button is the first stop of the page.
      await expect.poll(() => focused(page), SETTLE).toMatch(/^h1:Welcome/);
      await page.keyboard.press('Shift+Tab');
      await tabTo(page, 'button:Skip to content');
      await page.keyboard.press('Enter');
      await expect.poll(() => focused(page), SETTLE).toMatch(/^h1:Welcome/);

      // The navigation by Tab and Enter; the new view's heading takes focus.
      await page.keyboard.press('Shift+Tab');
      await tabTo(page, 'a:Projects');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
      await expect.poll(() => focused(page), SETTLE).toBe('h1:Projects');

      // A project created from the keyboard.
      await tabTo(page, 'input:Name');
      await page.keyboard.type('Keyboard made');
      await tabTo(page, 'input:Slug');
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.type(`keyboard-made-${Date.now().toString(36)}`);
      await tabTo(page, 'button:Create project');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Project Keyboard made' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('opens a dialog from the keyboard, keeps focus off the page behind it, and gives focus back on Escape or Cancel', async () => {
    const { page, context } = await openConsole(h, { path: '/projects' });
    try {
      await page.getByLabel('Email').fill(FIXTURES.admin.email);
      await page.getByLabel('Password').fill(FIXTURES.devPassword);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor();
      // A Resource of a new project, so its page has a Delete… button behind a dialog.
      const slug = `keys-${Date.now().toString(36)}`;
      const project = await h.stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: `Keys ${slug}`, slug });
      const resource = await h.stack.call('admin', 'POST', `/v1/projects/${project.body.id}/resources`, { origin: 'adopted', kind: 'db', external_ref: 'arn:db-keys' });
      expect(resource.status).toBe(201);
      await page.evaluate((id) => {
        location.hash = `/resources/${id}`;
      }, resource.body.id as string);
      await page.getByRole('heading', { level: 1, name: /^Resource / }).waitFor();
      await tabTo(page, 'button:Delete…');
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      // The page behind the modal dialog is inert: twenty Tabs reach the dialog's controls and, past
      // the last, the browser's own controls (focus on no element), never the page behind it.
      const stops = new Set<string>();
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        const where = await page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el.tagName === 'BODY') return 'outside the page';
          return document.querySelector('dialog[open]:focus-within') ? 'dialog' : `behind: ${el.tagName}`;
        });
        expect(where).not.toMatch(/^behind/);
        stops.add(`${where} ${await focused(page)}`);
      }
      // Its controls: the confirmation field and Cancel (Delete stays disabled until the name is typed).
      expect([...stops].filter((s) => s.startsWith('dialog ')).sort()).toEqual([expect.stringMatching(/^dialog button:Cancel$/), expect.stringMatching(/^dialog input:Type .+ to confirm$/)]);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => focused(page), SETTLE).toBe('button:Delete…');

      // Escape and at once Enter again, five times: the dialog opens every time (a late close of
      // the previous one must not shut the new one).
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Enter');
        await dialog.waitFor();
        await page.keyboard.press('Escape');
      }
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await expect.poll(() => dialog.isVisible(), SETTLE).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => focused(page), SETTLE).toBe('button:Delete…');

      // The same with the dialog's own Cancel button.
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await tabTo(page, 'button:Cancel');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => focused(page), SETTLE).toBe('button:Delete…');
    } finally {
      await context.close();
    }
  });
});
