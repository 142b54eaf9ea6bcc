// The console in a real browser: a stack, Debian's chromium, a signed-in page per identity, an
// axe-core check and screenshots at the two widths the console is designed for.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { launchChromium } from './browser.ts';
import { useBuiltConsole } from './console-assets.ts';
import { startTestStack, type TestStack } from './stack.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Where the tests leave a picture of every page at both widths: .plexsphere/screenshots (ignored by
 * git), so a test run leaves the tree clean. The README's pictures are refreshed on purpose with
 * CONSOLE_SCREENSHOTS=docs/screenshots. Relative to the repository's root.
 */
export const SCREENSHOT_DIR = resolve(REPO_ROOT, process.env.CONSOLE_SCREENSHOTS ?? '.plexsphere/screenshots');

/** How long a wait on the page may take: a fetch's answer rendered (SETTLE), an event the page follows
 * every 2 s (LIVE), a Resource's phase on the embedded stack, slower under load (PHASE). */
export const SETTLE = { timeout: 15_000 };
export const LIVE = { timeout: 20_000 };
export const PHASE = { timeout: 30_000 };

export const WIDTHS = { narrow: { width: 360, height: 780 }, wide: { width: 1440, height: 900 } } as const;
export type Width = keyof typeof WIDTHS;

export interface ConsoleHarness {
  stack: TestStack;
  browser: Browser;
  close(): Promise<void>;
}

/** The seeded stack with a console built for this test process, and a Chromium to drive it. */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleHarness> {
  await useBuiltConsole();
  const stack = await startTestStack(env);
  const browser = await launchChromium();
  return {
    stack,
    browser,
    async close() {
      await browser.close();
      await stack.close();
    },
  };
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Page errors and console errors seen so far (a test expects none). */
  problems: string[];
}

/**
 * A fresh browser profile on the console. axe-core is injected as a script, which the console's
 * CSP (script-src 'self') would refuse, so these contexts bypass CSP; the shell test checks the
 * CSP itself without bypassing it.
 */
export async function openConsole(
  h: ConsoleHarness,
  opts: { width?: Width; colorScheme?: 'light' | 'dark'; bypassCSP?: boolean; path?: string } = {},
): Promise<ConsolePage> {
  const context = await h.browser.newContext({
    viewport: WIDTHS[opts.width ?? 'wide'],
    colorScheme: opts.colorScheme ?? 'light',
    bypassCSP: opts.bypassCSP ?? true,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => {
    // The browser logs every non-2xx fetch as a failed load; refusals are part of the tests.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text());
  });
  await page.goto(`${h.stack.url}/console/?domain_id=${FIXTURES.domain.id}#${opts.path ?? '/'}`);
  return { page, context, problems };
}

/** Signs in through the console's own sign-in view as a seeded identity; resolves on the start page. */
export async function signIn(page: Page, who: 'operator' | 'admin'): Promise<void> {
  await page.getByLabel('Email').fill(FIXTURES[who].email);
  await page.getByLabel('Password').fill(FIXTURES.devPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'visible' });
}

/** A signed-in console page for `who`, at `path` (a console route such as /approvals). */
export async function consoleAs(h: ConsoleHarness, who: 'operator' | 'admin', opts: Parameters<typeof openConsole>[1] = {}): Promise<ConsolePage> {
  const opened = await openConsole(h, opts);
  await signIn(opened.page, who);
  return opened;
}

/** Goes to a console route and waits for its heading. */
export async function visit(page: Page, path: string, heading: string | RegExp): Promise<void> {
  await page.evaluate((p) => {
    location.hash = p;
  }, path);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ state: 'visible' });
}

/** The text of what has focus, trimmed; '(nothing)' when focus is on the page's body. */
export function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el && el.tagName !== 'BODY' ? (el.textContent ?? '').trim() : '(nothing)';
  });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** Runs axe-core (WCAG 2.0–2.2 A and AA rules) on the page; fails on any serious or critical violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = window.axe as { run: (ctx: unknown, opts: object) => Promise<{ violations: AxeViolation[] }> };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) }));
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `${what}: axe found ${blocking.map((v) => `${v.id} (${v.help}) at ${JSON.stringify(v.nodes.slice(0, 3))}`).join('; ')}`).toEqual([]);
}

/** Saves SCREENSHOT_DIR/<name>-<width>.png (the whole page). */
export async function screenshot(page: Page, name: string, width: Width): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
}

/**
 * The checks every page gets: axe at both widths and in dark mode, a screenshot at both widths,
 * and no horizontal scrolling at 360 px. `open` brings a signed-in page to the view.
 */
export async function checkPageEverywhere(
  h: ConsoleHarness,
  who: 'operator' | 'admin',
  name: string,
  open: (page: Page) => Promise<void>,
): Promise<void> {
  for (const [width, colorScheme] of [
    ['wide', 'light'],
    ['narrow', 'light'],
    ['wide', 'dark'],
  ] as const) {
    const { page, context, problems } = await consoleAs(h, who, { width, colorScheme });
    try {
      await open(page);
      await expectAccessible(page, `${name} at ${width} (${colorScheme})`);
      if (colorScheme === 'light') await screenshot(page, name, width);
      if (width === 'narrow') {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${name} scrolls sideways at 360 px`).toBeLessThanOrEqual(0);
      }
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }
}
