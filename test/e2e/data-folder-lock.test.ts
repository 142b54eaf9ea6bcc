import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, type MainRun, processState, runMain } from '../support/npm-start.ts';
import { waitFor } from '../support/wait.ts';

// One stack per data folder, decided by a lock the operating system drops when its holder dies:
// not by a pid, which a zombie, an unrelated process or a reused pid can answer for.
const IN_USE = /error: the data folder .* is in use by another running npm start.*Stop it, or use another folder with PLEXSPHERE_DATA_DIR=/;
const folders: string[] = [];
const leftovers: ChildProcess[] = [];

function freshFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plexsphere-lock-'));
  folders.push(dir);
  return dir;
}

function started(run: MainRun): MainRun {
  leftovers.push(run.child);
  return run;
}

async function ports(): Promise<{ port: number; ec2Port: number }> {
  return { port: await freePort(), ec2Port: await freePort() };
}

async function stop(run: MainRun): Promise<void> {
  run.child.kill('SIGINT');
  const code = await run.exited;
  expect(code, `${run.child.signalCode} ${run.lines.slice(-4).join(' | ')}`).toBe(0);
}

afterEach(() => {
  for (const child of leftovers.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('npm start takes its data folder with a lock', () => {
  it('starts although the pid file names a live process that is no stack', async () => {
    const dataDir = freshFolder();
    const unrelated = spawn('sleep', ['3600'], { stdio: 'ignore' });
    leftovers.push(unrelated);
    writeFileSync(join(dataDir, 'npm-start.pid'), String(unrelated.pid));
    const run = started(runMain({ dataDir, ...(await ports()) }));
    await run.ready;
    expect(unrelated.exitCode).toBeNull();
    await stop(run);
  }, 120_000);

  it('refuses a second start while one runs, in one clear line, and the first runs on', async () => {
    const dataDir = freshFolder();
    const first = started(runMain({ dataDir, ...(await ports()) }));
    await first.ready;
    const second = started(runMain({ dataDir, ...(await ports()) }));
    expect(await second.exited).toBe(1);
    expect(second.lines.join('\n')).toMatch(IN_USE);
    expect(second.lines.join('\n')).toContain(`its pid file names process ${first.child.pid}`);
    // Refused before it started anything.
    expect(second.lines.join('\n')).not.toContain('Starting the embedded local stack');
    expect(first.child.exitCode).toBeNull();
    await stop(first);
  }, 120_000);

  it('starts at once after the whole process group of a stack was killed with SIGKILL', async () => {
    const dataDir = freshFolder();
    const at = await ports();
    const killed = started(runMain({ dataDir, ...at, detached: true }));
    await killed.ready;
    process.kill(-(killed.child.pid as number), 'SIGKILL');
    await killed.exited;
    const again = started(runMain({ dataDir, ...at }));
    await again.ready;
    await stop(again);
  }, 120_000);

  it.skipIf(!existsSync('/proc/self/stat'))('starts while the killed stack is still an unreaped process (a zombie)', async () => {
    const dataDir = freshFolder();
    const at = await ports();
    const parent = started(runMain({ dataDir, ...at, unreapedUnder: true }));
    await parent.ready;
    const pid = Number(/^stack pid (\d+)$/m.exec(parent.lines.join('\n'))?.[1]);
    process.kill(pid, 'SIGKILL');
    // The pid still answers a signal probe: exactly what fooled the pid file.
    await waitFor(async () => (processState(pid) === 'Z' ? true : undefined), { what: `process ${pid} to be a zombie` });
    const again = started(runMain({ dataDir, ...at }));
    await again.ready;
    expect(processState(pid)).toBe('Z');
    await stop(again);
  }, 120_000);

  it('lets exactly one of two starts at the same moment on a fresh folder run', async () => {
    const dataDir = freshFolder();
    const runs = [started(runMain({ dataDir, ...(await ports()) })), started(runMain({ dataDir, ...(await ports()) }))];
    // The loser's exit settles one, the winner's banner the other.
    const outcomes = await Promise.allSettled(runs.map((r) => r.ready));
    const winners = runs.filter((_, i) => outcomes[i]?.status === 'fulfilled');
    const losers = runs.filter((_, i) => outcomes[i]?.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const [winner, loser] = [winners[0] as MainRun, losers[0] as MainRun];
    expect(await loser.exited).toBe(1);
    expect(loser.lines.join('\n')).toMatch(IN_USE);
    expect(loser.lines.join('\n')).not.toContain('Starting the embedded local stack');
    await stop(winner);
  }, 120_000);
});
