import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { approveInBrowser, launchChromium } from '../support/browser.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The seed tutorial as a reader follows it: test/tutorial/provision-a-cloud-resource.sh runs each
// step with plexctl and jq and checks what it shows; this test gives it a fresh stack and plays
// the person at the browser for each `plexctl login`.
const SCRIPT = resolve(import.meta.dirname, '../tutorial/provision-a-cloud-resource.sh');
const IDENTITY_OF_PROFILE: Record<string, { email: string }> = { operator: FIXTURES.operator, default: FIXTURES.admin };

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  // The reconciler runs on its ticker, as under npm start; heartbeats are quick so teardown's
  // drain does not wait out a long interval.
  [stack, browser] = await Promise.all([startTestStack({}, { heartbeatIntervalMs: 500, reconcileIntervalMs: 2000 }), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface Run {
  code: number | null;
  configDir: string;
  output: string;
  signIns: string[];
}

/** Runs the script; each time plexctl login prints its URL, signs in as the profile's identity. */
function runTutorial(): Promise<Run> {
  const config = mkdtempSync(join(tmpdir(), 'plexctl-config-'));
  const child = spawn('bash', [SCRIPT], {
    env: { ...process.env, PLEXSPHERE_URL: stack.url, XDG_CONFIG_HOME: config, POLL_SECONDS: '0.5', DISPLAY: '', WAYLAND_DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const signIns: string[] = [];
  const approvals: Promise<void>[] = [];
  let profile: string | undefined;
  const onLine = (line: string) => {
    lines.push(line);
    const started = /^Sign in to Plexsphere at .* \(profile (\S+)\)\.$/.exec(line);
    if (started) profile = started[1];
    const url = /^\s+(http\S+\/v1\/auth\/device\S*)$/.exec(line)?.[1];
    if (url && profile) {
      const who = IDENTITY_OF_PROFILE[profile];
      if (!who) throw new Error(`the tutorial signed in to an unexpected profile ${profile}`);
      signIns.push(`${profile}:${who.email}`);
      approvals.push(approveInBrowser(browser, url, who.email, FIXTURES.devPassword));
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  return new Promise((done, failed) => {
    child.on('error', failed);
    child.on('close', (code) => {
      Promise.all(approvals).then(() => done({ code, configDir: config, output: lines.join('\n'), signIns }), failed);
    });
  });
}

describe('the seed tutorial, word for word with plexctl', () => {
  it('runs every step as the two identities and sees what the tutorial shows', async () => {
    const run = await runTutorial();
    expect(run.code, run.output).toBe(0);
    expect(run.signIns).toEqual([`operator:${FIXTURES.operator.email}`, `default:${FIXTURES.admin.email}`]);
    expect(run.output).toContain('TUTORIAL PASSED');
    // Each polled phase line is a real read; the way up must pass through Ready and end there.
    expect(run.output).toMatch(/\d\d:\d\d:\d\d Ready/);
    expect(run.output).toMatch(/\d\d:\d\d:\d\d Deleted/);
    // plexctl login kept both sessions in one config file only its owner can read.
    expect(statSync(join(run.configDir, 'plexsphere', 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(run.configDir, 'plexsphere')).mode & 0o777).toBe(0o700);
  }, 180_000);
});
