// The console's figures: what the browser downloads (gzipped, as served) and how soon its first
// page is usable on the embedded stack, in Debian's headless Chromium. "Interactive" is taken
// inside the page, from the navigation's start to the moment the view's control exists in the
// DOM (the app has mounted and rendered it, so it takes input): the sign-in view's email field
// for a new visitor, and the start page's heading for someone signed in (which needs whoami).
import type { Browser } from 'playwright-core';
import { FIXTURES } from '../fixtures.ts';
import { buildConsole } from '../build-console.ts';
import { launchChromium } from '../../test/support/browser.ts';
import type { TestStack } from '../../test/support/stack.ts';
import type { Table } from './report.ts';
import { type Summary, summarize } from './stats.ts';

export interface ConsoleFigures {
  scriptGzipBytes: number;
  stylesheetGzipBytes: number;
  signInInteractiveMs: Summary;
  signedInInteractiveMs: Summary;
}

// Records, inside the page, when the watched element first appears (relative to navigation start).
const WATCH = `
  window.__readyAt = undefined;
  new MutationObserver((_, observer) => {
    if (document.querySelector(window.__watch)) { window.__readyAt = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`;

async function timeTo(browser: Browser, url: string, selector: string, signInFirst: boolean): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    if (signInFirst) {
      await page.goto(url);
      await page.getByLabel('Email').fill(FIXTURES.admin.email);
      await page.getByLabel('Password').fill(FIXTURES.devPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    }
    await page.addInitScript(`window.__watch = ${JSON.stringify(selector)};${WATCH}`);
    await page.goto(url);
    await page.locator(selector).first().waitFor();
    return Number(await page.evaluate('window.__readyAt'));
  } finally {
    await context.close();
  }
}

export async function consoleTable(stack: TestStack, runs: number, table: Table): Promise<ConsoleFigures> {
  const built = await buildConsole();
  const browser = await launchChromium();
  try {
    const url = `${stack.url}/console/?domain_id=${FIXTURES.domain.id}`;
    // One visit first, untimed: the console function's first request loads its files once per container.
    await timeTo(browser, url, 'input[name=email]', false);
    const signIn: number[] = [];
    const signedIn: number[] = [];
    for (let i = 0; i < runs; i++) {
      signIn.push(await timeTo(browser, url, 'input[name=email]', false));
      signedIn.push(await timeTo(browser, url, 'h1#page-title', true));
    }
    const figures: ConsoleFigures = {
      scriptGzipBytes: built.scriptGzipBytes,
      stylesheetGzipBytes: built.stylesheetGzipBytes,
      signInInteractiveMs: summarize(signIn),
      signedInInteractiveMs: summarize(signedIn),
    };
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const ms = (s: Summary) => `${s.p50.toFixed(0)} / ${s.max.toFixed(0)}`;
    table(
      `Web console (Chromium headless, ${runs} fresh visits each; ms from navigation start, p50 / max)`,
      ['figure', 'value'],
      [
        ['script, gzipped', kib(figures.scriptGzipBytes)],
        ['stylesheet, gzipped', kib(figures.stylesheetGzipBytes)],
        ['sign-in view interactive (new visitor)', ms(figures.signInInteractiveMs)],
        ['start page interactive (signed in: page, script, whoami)', ms(figures.signedInInteractiveMs)],
      ],
    );
    return figures;
  } finally {
    await browser.close();
  }
}
