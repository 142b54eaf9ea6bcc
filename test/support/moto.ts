import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

// moto_server (moto 5, Python): one process on one port answers DynamoDB, Secrets Manager, EC2,
// Step Functions, S3, CloudFormation, IAM, STS, SSM, … It is an implementation we did not write, so
// the conformance tests hold the adapters and our emulators to it. Each test file starts its own
// on a free loopback port and stops it at the end.

export interface MotoServer {
  url: string;
  port: number;
  /** What moto printed, for a failure message. */
  output(): string;
  close(): Promise<void>;
}

const INSTALL_HINT = "moto_server is not installed: pip install 'moto[server]' (npm test's pretest does it when it can)";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves once moto answers its own API on `url`; rejects when the process exits first. */
async function answering(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `moto_server exited (${code ?? signal}) before it answered:\n${output()}`;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
    // Polling the fact (an answer), not sleeping a fixed time: the next probe follows this short pause.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts moto_server on a free loopback port and waits until it answers. Step Functions is set to
 * parse and run definitions (moto's ASL parser), as AWS validates them on CreateStateMachine.
 */
export async function startMoto(opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<MotoServer> {
  // A port picked free may be taken before moto binds it: try again on another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let log = '';
    const append = (chunk: Buffer) => {
      // Keep the tail only: moto logs every request.
      log = (log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new Error(INSTALL_HINT) : err));
    });
    await spawned;
    try {
      await answering(url, child, () => log, opts.timeoutMs ?? 30_000);
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      throw err;
    }
    const configured = await fetch(`${url}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
    });
    await configured.arrayBuffer();
    if (!configured.ok) throw new Error(`moto refused its configuration (${configured.status})`);
    return {
      url,
      port,
      output: () => log,
      async close() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      },
    };
  }
}
