// Runs what `npm start` runs (local/main.ts) as a process of its own, and tells what became of it.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface MainRun {
  child: ChildProcess;
  /** Every line it printed so far, stdout and stderr. */
  lines: string[];
  /** The banner once it says it is ready; rejects with what it printed if it exits first. */
  ready: Promise<string>;
  /** The exit code of `child`. */
  exited: Promise<number | null>;
}

export interface MainOptions {
  dataDir: string;
  port: number;
  ec2Port: number;
  /** Its own process group, so a test can kill the whole group. */
  detached?: boolean;
  /**
   * Run under a parent that never reaps it (`sh` that execs `sleep`): killed, the stack stays a
   * zombie, as under an init that does not wait. `child` is then that parent; the stack prints its pid.
   */
  unreapedUnder?: boolean;
}

export function runMain(opts: MainOptions): MainRun {
  const node = [process.execPath, '--import', 'tsx', 'local/main.ts'];
  const [command, args] = opts.unreapedUnder
    ? ['sh', ['-c', '"$@" & echo "stack pid $!"; exec sleep 3600', 'sh', ...node]]
    : [node[0] as string, node.slice(1)];
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: opts.detached ?? false,
    env: { ...process.env, PORT: String(opts.port), PLEXSPHERE_EC2_PORT: String(opts.ec2Port), PLEXSPHERE_DATA_DIR: opts.dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const lines: string[] = [];
  const ready = new Promise<string>((done, failed) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('Press Ctrl-C')) done(lines.join('\n'));
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
    void exited.then((code) => failed(new Error(`npm start exited with ${code} before it was ready:\n${lines.join('\n')}`)));
  });
  // A refusal is awaited through `exited`; this only keeps an unawaited one from going unhandled.
  ready.catch(() => undefined);
  return { child, lines, ready, exited };
}

/** Linux's word on a process: 'R', 'S', 'Z' (exited, not yet reaped), …; undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
