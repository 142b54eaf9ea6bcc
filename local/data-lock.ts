// One stack per data folder, decided by a lock the operating system drops when its holder dies.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface LockDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

// dynalite's own LevelDB engine (classic-level, prebuilt, no install script). An open LevelDB
// holds an fcntl lock on its LOCK file (LockFileEx on Windows): the kernel drops it when the
// process ends, however it ends (SIGKILL too; a zombie holds none), and a second open, from any
// process, fails at once with LEVEL_LOCKED. Test and take are one system call, so two starts at
// the same moment cannot both win. Node itself has no flock.
const { Level } = createRequire(import.meta.resolve('dynalite'))('level') as { Level: new (path: string) => LockDatabase };

/** The LevelDB kept only for its lock, and the file naming the holder's pid (a hint, never the decision). */
export const LOCK_DIR = 'stack-lock';
export const PID_FILE = 'npm-start.pid';

export class DataFolderInUseError extends Error {
  override readonly name = 'DataFolderInUseError' as const;
  constructor(
    readonly dataDir: string,
    /** The pid the folder's pid file names: may be stale, so only ever shown. */
    readonly namedPid: number | undefined,
  ) {
    const who = namedPid ? `another running npm start (its pid file names process ${namedPid})` : 'another running npm start';
    super(`the data folder ${dataDir} is in use by ${who}. Stop it, or use another folder with PLEXSPHERE_DATA_DIR=….`);
  }
}

export interface DataLock {
  /** Lets the folder go (exiting does the same). */
  release(): Promise<void>;
}

/** Takes the data folder for this process, or throws DataFolderInUseError while another holds it. */
export async function lockDataDir(dataDir: string): Promise<DataLock> {
  await mkdir(dataDir, { recursive: true });
  const pidFile = join(dataDir, PID_FILE);
  const db = new Level(join(dataDir, LOCK_DIR));
  try {
    await db.open();
  } catch (err) {
    if (isLocked(err)) throw new DataFolderInUseError(dataDir, namedPid(pidFile));
    throw err;
  }
  writeFileSync(pidFile, String(process.pid));
  // Only the holder writes the pid file, so whatever it names now is ours to remove.
  const forget = () => rmSync(pidFile, { force: true });
  process.once('exit', forget);
  return {
    async release() {
      process.off('exit', forget);
      forget();
      await db.close();
    },
  };
}

function isLocked(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED';
}

function namedPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
