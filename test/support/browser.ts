import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, headless; CHROMIUM_PATH points elsewhere when it lives somewhere else. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * What a person does with the URL plexctl login prints: open it in a fresh browser profile, sign
 * in on the page and approve the code it shows. Resolves once the page says the device is approved.
 */
export async function approveInBrowser(browser: Browser, verificationUrl: string, email: string, password: string): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(verificationUrl);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { name: 'Device approved' }).waitFor({ state: 'visible' });
  } finally {
    await context.close();
  }
}
