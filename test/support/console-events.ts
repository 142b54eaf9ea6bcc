// For the events and audit views' browser tests: the seeded domain, a table's rows as text, and
// signing in to another domain through the console's own form.
import type { Locator, Page } from 'playwright-core';
import { FIXTURES } from '../../scripts/fixtures.ts';

export const DOMAIN = FIXTURES.domain.id;

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

