import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DataFolderInUseError, lockDataDir, PID_FILE } from '../../local/data-lock.ts';

// The lock behind "one stack per data folder": an OS lock that its holder's death lets go, never a pid.
const ROOT = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'plexsphere-data-lock-'));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Contender {
  child: ChildProcess;
  /** The next line it prints. */
  next(): Promise<string>;
  exited: Promise<unknown>;
}

function contender(folder: string): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/data-lock-child.ts', folder], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const waiting: ((line: string) => void)[] = [];
  const said: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else said.push(line);
  });
  return {
    child,
    next: () => {
      const line = said.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((done) => waiting.push(done));
    },
    exited: new Promise((done) => child.on('exit', done)),
  };
}

describe('data folder lock', () => {
  it('is held once per folder, names the pid file holder as a hint, and is free again once released', async () => {
    const folder = join(dataDir, 'in-process');
    const held = await lockDataDir(folder);
    const refused = await lockDataDir(folder).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DataFolderInUseError);
    expect((refused as DataFolderInUseError).namedPid).toBe(process.pid);
    await held.release();
    expect(existsSync(join(folder, PID_FILE))).toBe(false);
    await (await lockDataDir(folder)).release();
  });

  it('a pid file never decides: a stale one naming a live process does not hold the folder', async () => {
    const folder = join(dataDir, 'stale-pid');
    await lockDataDir(folder).then((lock) => lock.release());
    writeFileSync(join(folder, PID_FILE), String(process.pid));
    await (await lockDataDir(folder)).release();
  });

  it('lets exactly one of several processes that try at the same moment win, and a SIGKILL frees it', async () => {
    const folder = join(dataDir, 'race');
    const racers = Array.from({ length: 6 }, () => contender(folder));
    // All are loaded and waiting before any tries, so the tries land together.
    for (const racer of racers) expect(await racer.next()).toBe('ready');
    for (const racer of racers) racer.child.stdin?.write('go\n');
    const outcomes = await Promise.all(racers.map((r) => r.next()));
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'lost')).toHaveLength(racers.length - 1);

    const winner = racers[outcomes.indexOf('won')] as Contender;
    await expect(lockDataDir(folder)).rejects.toBeInstanceOf(DataFolderInUseError);
    winner.child.kill('SIGKILL');
    await winner.exited;
    // Its pid file is left behind, naming a dead process; the lock went with the process.
    expect(existsSync(join(folder, PID_FILE))).toBe(true);
    await (await lockDataDir(folder)).release();
  }, 60_000);
});
