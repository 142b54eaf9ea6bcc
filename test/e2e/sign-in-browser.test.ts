import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { launchChromium } from '../support/browser.ts';
import { pollDeviceToken, startDeviceCode } from '../support/sign-in.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// Set SIGN_IN_SCREENSHOTS=<dir> to keep a picture of each step of the page.
const SCREENSHOTS = process.env.SIGN_IN_SCREENSHOTS;

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A fresh browser profile (no cookies) that fails the test on any CSP violation or page error. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    // A 401 for a wrong password is logged as a failed load; that one is the point of a test.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return { page, problems };
}

async function shot(page: Page, name: string) {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function whoami(token: string) {
  return stack.call(null, 'GET', '/v1/auth/whoami', undefined, { authorization: `Bearer ${token}` });
}

describe('the sign-in page in a real browser', () => {
  it('signs a person in and approves the device; the device then holds a token for that person', async () => {
    const device = await startDeviceCode(stack.url);
    const { page, problems } = await openPage();
    await page.goto(device.verification_uri_complete);

    await expect.poll(() => page.getByText(device.user_code, { exact: true }).first().isVisible()).toBe(true);
    await shot(page, '1-sign-in');

    await page.getByLabel('Email').fill(FIXTURES.admin.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const signInError = page.locator('#sign-in-error');
    await signInError.waitFor({ state: 'visible' });
    expect(await signInError.textContent()).toContain('do not match');
    await shot(page, '2-wrong-password');

    await page.getByLabel('Password').fill(FIXTURES.devPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor({ state: 'visible' });
    expect(await page.locator('#who').textContent()).toBe(FIXTURES.admin.email);
    await shot(page, '3-approve');

    // The session cookie is out of the script's reach; the CSRF cookie is meant to be read.
    const visibleToScript = String(await page.evaluate('document.cookie'));
    expect(visibleToScript).toMatch(/^plexsphere_csrf=[^;]+$/);
    const jar = await page.context().cookies();
    expect(jar.find((c) => c.name === 'plexsphere_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });

    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device approved' }).waitFor({ state: 'visible' });
    expect(await page.getByRole('status').first().textContent()).toContain('Return to your terminal');
    await shot(page, '4-approved');

    const token = await pollDeviceToken(stack.url, device);
    const me = await whoami(token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ principal_type: 'user', subject: FIXTURES.admin.id, email: FIXTURES.admin.email });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('lets a person type the code by hand, and says plainly when a code is unknown', async () => {
    const device = await startDeviceCode(stack.url);
    const { page, problems } = await openPage();
    await page.goto(device.verification_uri);
    await shot(page, '5-enter-code');

    await page.getByLabel('Code from your terminal').fill('ABCD-EFGH');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor({ state: 'visible' });
    expect(await page.getByRole('alert').textContent()).toContain('We do not recognise that code');
    await shot(page, '6-unknown-code');

    // Lower case, no dash: the page takes it as typed.
    await page.getByLabel('Code from your terminal').fill(device.user_code.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Email').waitFor({ state: 'visible' });
    expect(await page.locator('#user-code').textContent()).toBe(device.user_code);

    await page.getByLabel('Email').fill(FIXTURES.operator.email);
    await page.getByLabel('Password').fill(FIXTURES.devPassword);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('heading', { name: 'Request denied' }).waitFor({ state: 'visible' });
    const res = await stack.call(null, 'POST', '/v1/auth/device-token', { device_code: device.device_code });
    expect(res.body.code).toBe('access_denied');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
