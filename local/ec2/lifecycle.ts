// What runs in this process for each instance. An instance is whatever the InstanceRunner starts
// from its user data (locally: a node agent), and its state follows that runner: pending until
// launch resolved, running, shutting-down until stop resolved, terminated. Each change is saved.
import { setTimeout as sleep } from 'node:timers/promises';
import { gmt, type InstanceRunner, type LaunchedInstance, type StoredInstance } from './model.ts';

/** Drops every longer word of the user data from a message: a runner error must not leak the token. */
function redact(message: string, userData: string): string {
  let result = message;
  for (const word of new Set(userData.split(/[\s"'`=:,;{}[\]()<>]+/))) {
    if (word.length >= 12) result = result.replaceAll(word, '[redacted]');
  }
  return result.slice(0, 512);
}

export function logFailure(message: string, instanceId: string, error: unknown): void {
  // The error's name only: a runner's message could carry what it was given.
  const name = error instanceof Error ? error.name : typeof error;
  console.error(JSON.stringify({ level: 'error', message: `ec2 emulator: ${message}`, instanceId, error: name }));
}

/** What runs in this process for one instance. */
interface Live {
  booting?: Promise<void>;
  handle?: LaunchedInstance;
  stopping?: Promise<void>;
}

export class InstanceLifecycle {
  private readonly live = new Map<string, Live>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly aborts = new AbortController();
  private closing = false;

  constructor(
    private readonly runner: InstanceRunner,
    private readonly bootDelayMs: number,
    /** Persists the instances' state as it now is. */
    private readonly save: () => Promise<void>,
  ) {}

  private liveOf(instanceId: string): Live {
    let live = this.live.get(instanceId);
    if (!live) {
      live = {};
      this.live.set(instanceId, live);
    }
    return live;
  }

  /** Runs a background step; close() waits for every one of them. */
  private track(what: string, instanceId: string, step: () => Promise<void>): Promise<void> {
    const task = step().catch((error) => logFailure(what, instanceId, error));
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
    return task;
  }

  boot(instance: StoredInstance, restarted: boolean): void {
    const live = this.liveOf(instance.instanceId);
    live.booting = this.track('launch bookkeeping failed', instance.instanceId, async () => {
      if (this.bootDelayMs > 0) {
        try {
          await sleep(this.bootDelayMs, undefined, { signal: this.aborts.signal });
        } catch {
          return;
        }
      }
      // Terminated during the boot delay, or the emulator is closing: nothing to launch.
      if (this.closing || (instance.state !== 'pending' && instance.state !== 'running')) return;
      const userData = Buffer.from(instance.userData, 'base64').toString('utf8');
      let handle: LaunchedInstance;
      try {
        handle = await this.runner.launch({ instanceId: instance.instanceId, userData, tags: { ...instance.tags }, restarted });
      } catch (error) {
        // A terminate that arrived meanwhile keeps its own reason; the shutdown step finishes it.
        if (instance.state !== 'pending' && instance.state !== 'running') return;
        const detail = error instanceof Error ? redact(error.message, userData) : 'launch failed';
        instance.state = 'terminated';
        instance.stateReason = { code: 'Server.InternalError', message: `Server.InternalError: Internal error on launch: ${detail}` };
        instance.stateTransitionReason = `Server error (${gmt(new Date())})`;
        await this.save();
        return;
      }
      live.handle = handle;
      if (instance.state === 'pending') {
        instance.state = 'running';
        await this.save();
      }
    });
  }

  shutDown(instance: StoredInstance): void {
    const live = this.liveOf(instance.instanceId);
    if (live.stopping) return;
    live.stopping = this.track('stop failed; the instance stays shutting-down', instance.instanceId, async () => {
      try {
        // A launch in flight must finish first, or its agent would outlive the instance.
        await live.booting;
        if (live.handle) {
          await live.handle.stop();
          live.handle = undefined;
        }
        instance.state = 'terminated';
        await this.save();
      } finally {
        live.stopping = undefined;
      }
    });
  }

  /** Stops what runs here without recording it: the instances stay as they are, to be relaunched on restart. */
  async close(): Promise<void> {
    this.closing = true;
    this.aborts.abort();
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
    for (const [instanceId, live] of this.live) {
      if (!live.handle) continue;
      try {
        await live.handle.stop();
      } catch (error) {
        logFailure('stop on close failed', instanceId, error);
      }
      live.handle = undefined;
    }
  }
}
