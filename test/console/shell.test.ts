import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../scripts/build-console.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type ConsoleHarness, checkPageEverywhere, consoleAs, expectAccessible, openConsole, screenshot, startConsole, visit, SETTLE } from '../support/console.ts';

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
});
afterAll(async () => {
  await h?.close();
});

describe('the console is served by the broker', () => {
  it('answers its page at /console/ with a strict CSP, and its hashed files as immutable', async () => {
    const page = await fetch(`${h.stack.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = html.match(/src="(\/console\/assets\/console-[0-9a-f]{12}\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${h.stack.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    // API Gateway does not compress, so the function sends the encoding the browser accepts.
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect((await asset.text()).length).toBeGreaterThan(1000);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
  });

  it('answers an unknown file with a problem, and / leads to the console', async () => {
    // The page is not a file of assets/: asking for it there is a miss, not the page cached forever.
    expect((await fetch(`${h.stack.url}/console/assets/index.html`)).status).toBe(404);
    const missing = await fetch(`${h.stack.url}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(((await missing.json()) as { code: string }).code).toBe('asset_not_found');
    const root = await fetch(`${h.stack.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
  });

  it('keeps its script under 150 KiB gzipped', async () => {
    const built = await buildConsole(join(mkdtempSync(join(tmpdir(), 'plexsphere-console-size-')), 'dist'));
    expect(built.scriptGzipBytes + built.stylesheetGzipBytes).toBeLessThan(150 * 1024);
  });
});

describe('signing in to the console', () => {
  it('says why a wrong password is refused, then signs in with the right one, under the CSP', async () => {
    const { page, context, problems } = await openConsole(h, { bypassCSP: false });
    const violations: string[] = [];
    await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window.reportCspViolation as (v: string) => void)(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.reload();
    try {
      await page.getByLabel('Email').fill(FIXTURES.admin.email);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent(), SETTLE).toContain('invalid_credentials');
      await page.getByLabel('Password').fill(FIXTURES.devPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('holds the session in an HttpOnly cookie: no token is readable by script or kept in storage', async () => {
    const { page, context } = await consoleAs(h, 'admin');
    try {
      const seen = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify({ ...localStorage }) }));
      expect(seen.cookie).not.toContain('plexsphere_session');
      expect(seen.cookie).toContain('plexsphere_csrf');
      expect(seen.storage).not.toMatch(/eyJ|session|token/i);
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'plexsphere_session');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Strict');
    } finally {
      await context.close();
    }
  });

  it('refuses a write from the session without the CSRF header, and accepts it with one', async () => {
    const { page, context } = await consoleAs(h, 'admin');
    try {
      const body = JSON.stringify({ domain_id: FIXTURES.domain.id, name: 'CSRF probe', slug: 'csrf-probe' });
      const bare = await page.evaluate(
        (b) => fetch('/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: b }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: string } })),
        body,
      );
      expect(bare.status).toBe(403);
      expect(bare.body.code).toBe('csrf_token_mismatch');
      const withHeader = await page.evaluate(async (b) => {
        const csrf = document.cookie.split('; ').find((c) => c.startsWith('plexsphere_csrf='))?.split('=')[1] ?? '';
        const r = await fetch('/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json', 'x-plexsphere-csrf': csrf }, body: b });
        return { status: r.status };
      }, body);
      expect(withHeader.status).toBe(201);
    } finally {
      await context.close();
    }
  });

  it('signs out: the session ends on the broker and the sign-in view comes back', async () => {
    const { page, context } = await consoleAs(h, 'operator');
    try {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in to the Plexsphere console' }).waitFor();
      const status = await page.evaluate(() => fetch('/v1/auth/whoami').then((r) => r.status));
      expect(status).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('keeps "You are signed out." when a read still on its way comes back 401 after signing out', async () => {
    const { page, context, problems } = await consoleAs(h, 'operator');
    try {
      // The queue's first read is held until the session is gone, then reaches the broker: 401.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route('**/v1/approvals?*', async (route) => {
        await held;
        await route.continue();
      });
      await visit(page, '/approvals', 'Approvals');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You are signed out.').waitFor();
      const late = page.waitForResponse((r) => r.url().includes('/v1/approvals?'));
      release();
      expect((await late).status()).toBe(401);
      // Two frames for the console to hear of it.
      const frame = () => new Promise((r) => (globalThis as unknown as { requestAnimationFrame: (f: () => void) => void }).requestAnimationFrame(() => r(0)));
      for (let i = 0; i < 2; i++) await page.evaluate(frame);
      expect(await page.getByText('You are signed out.').count()).toBe(1);
      expect(await page.getByText(/Your session has ended/).count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('says why signing out failed, and stays signed in', async () => {
    const { page, context } = await consoleAs(h, 'operator');
    try {
      await page.route('**/v1/auth/whoami', (route) =>
        route.request().method() === 'DELETE'
          ? route.fulfill({
              status: 503,
              contentType: 'application/problem+json',
              body: JSON.stringify({ type: 'about:blank', title: 'Unavailable', status: 503, code: 'unavailable', detail: 'The broker is restarting.' }),
            })
          : route.continue(),
      );
      await page.getByRole('button', { name: 'Sign out' }).click();
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent(), SETTLE).toContain('Signing out failed; the session is still open: The broker is restarting. (unavailable)');
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  it('says "Not found" for an address with a broken escape, rather than a blank page', async () => {
    const { page, context, problems } = await consoleAs(h, 'operator');
    try {
      await visit(page, '/projects/%E0', 'Not found');
      expect(await page.getByText('The console has no page at').count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is accessible and readable on the sign-in view and the start page, at both widths and in dark mode', async () => {
    for (const width of ['wide', 'narrow'] as const) {
      const { page, context } = await openConsole(h, { width });
      await page.getByRole('heading', { level: 1, name: 'Sign in to the Plexsphere console' }).waitFor();
      await expectAccessible(page, `sign-in at ${width}`);
      await screenshot(page, 'sign-in', width);
      await context.close();
    }
    await checkPageEverywhere(h, 'admin', 'home', async (page) => {
      await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
    });
  });
});
