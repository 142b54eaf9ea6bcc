import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConfig } from '../../cli/config.ts';
import { eventDraft } from '../../functions/core/events/event.ts';
import { deps } from '../../functions/shared/composition.ts';
import { type LoopbackProxy, startLoopbackProxy } from '../support/loopback-proxy.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { seedTenant, type Tenant } from '../support/tenant.ts';
import { waitFor } from '../support/wait.ts';

// `plexctl events --follow` as a person runs it: the real bin/plexctl process, reading the broker
// through a loopback proxy that the test takes down, brings back failing with 503s, and restores.
// Every event is printed once, in seq order, across the outage; Ctrl-C ends it with exit 0.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let stack: TestStack;
let hooli: Tenant;
let proxy: LoopbackProxy;
let configHome: string;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  stack = await startTestStack({}, { startAgents: false });
  hooli = await seedTenant(stack, { tag: '0000f0f0', slug: 'hooli', people: { admin: 'admin' } });
  proxy = await startLoopbackProxy(stack.url);
  configHome = mkdtempSync(join(tmpdir(), 'plexctl-events-'));
  const profile = { url: proxy.url, token: hooli.token('admin'), token_expires_at: new Date(Date.now() + 3_600_000).toISOString(), domain_id: hooli.domainId };
  saveConfig({ profiles: { default: profile } }, { XDG_CONFIG_HOME: configHome });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await proxy?.stop();
  await stack?.close();
  if (configHome) rmSync(configHome, { recursive: true, force: true });
});

/** Writes `n` events to Hooli's log, as the broker would. */
async function write(n: number): Promise<void> {
  const place = { domain_id: hooli.domainId, subject: { kind: 'project' as const, id: hooli.domainId } };
  const at = new Date().toISOString();
  await deps().events.append(Array.from({ length: n }, () => eventDraft(place, 'resource.create_refused', at, { code: 'quota_exceeded' })));
}

/** The seqs printed so far, one per line. */
const printed = () => [...stdout.matchAll(/^\S+ {2}#(\d+) /gm)].map((m) => Number(m[1]));

const untilPrinted = (count: number) =>
  waitFor(async () => (printed().length >= count ? printed() : undefined), { what: `${count} events printed (stdout: ${stdout}, stderr: ${stderr})`, timeoutMs: 30_000 });

describe('plexctl events --follow', () => {
  it('prints events as they come, rides out an outage and 503s without a duplicate or a gap, and exits 0 on Ctrl-C', async () => {
    child = spawn(join(ROOT, 'bin/plexctl'), ['events', '--follow', '--interval', '200ms'], {
      env: { ...process.env, XDG_CONFIG_HOME: configHome, PLEXSPHERE_URL: proxy.url, PLEXSPHERE_PROFILE: 'default' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child?.on('exit', (code) => done(code)));

    await write(3);
    expect(await untilPrinted(3)).toEqual([1, 2, 3]);

    // The broker goes away; plexctl notices and keeps trying. Three events are written meanwhile.
    await proxy.stop();
    await waitFor(async () => (stderr.includes('reconnecting in') ? true : undefined), { what: `a reconnect note (stderr: ${stderr})` });
    await write(3);
    // It comes back failing twice with 503, then answers.
    proxy.failNext(2);
    const before = proxy.seen.length;
    await proxy.start();
    expect(await untilPrinted(6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stderr).toContain('events: reconnected; resuming after seq 3');
    // Every poll after the outage asked from the last event printed, 503s included.
    const resumed = proxy.seen.slice(before).map((path) => new URL(path, proxy.url).searchParams.get('after_seq'));
    expect(resumed.slice(0, 3)).toEqual(['3', '3', '3']);

    await write(2);
    expect(await untilPrinted(8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stdout.trim().split('\n')).toHaveLength(8);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
