// What the local emulators share about their persistence and their HTTP bodies.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type * as z from 'zod';
import { jsonOrUndefined } from '../functions/core/json-or-undefined.ts';

/**
 * A JSON state file saved whole, one save at a time in call order. Each save goes to an
 * owner-only temp file (state may hold secrets or user data), is fsynced, then renamed over the
 * file: a crash leaves the old state or the new one, never half of one.
 */
export class StateFile {
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Saves the state as it is when this write runs (so a burst of saves ends with the latest). */
  save(state: () => unknown): Promise<void> {
    const write = this.saving.then(() => this.write(JSON.stringify(state())));
    this.saving = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every save asked for so far is on disk (or has failed). */
  settled(): Promise<void> {
    return this.saving;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/**
 * Reads what a StateFile saved; no file yet is `empty()`. A corrupt file must not be silently
 * replaced, so it throws, without the parser's message: it could quote secrets or user data.
 */
export async function readState<T>(path: string, schema: z.ZodType<T>, empty: () => T, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw error;
  }
  const parsed = schema.safeParse(jsonOrUndefined(text));
  if (!parsed.success) throw new Error(`${path} is not a valid ${what} state file; repair or remove it`);
  return parsed.data;
}

/**
 * An emulator's whole state, one JSON file under its dataDir (made if missing): read once at
 * start (`loadStateIn`), changed in memory, saved whole after each change.
 */
export abstract class PersistedState<S> {
  private readonly stateFile: StateFile;

  protected constructor(
    file: string,
    protected readonly state: S,
  ) {
    this.stateFile = new StateFile(file);
  }

  save(): Promise<void> {
    return this.stateFile.save(() => this.state);
  }

  /** Waits for pending writes, so a restart sees everything that was acknowledged. */
  flush(): Promise<void> {
    return this.stateFile.settled();
  }
}

/** Reads `fileName` under `dataDir` (see readState), making the folder first. */
export async function loadStateIn<T>(
  dataDir: string,
  fileName: string,
  schema: z.ZodType<T>,
  empty: () => T,
  what: string,
): Promise<{ file: string; state: T }> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, fileName);
  return { file, state: await readState(file, schema, empty, what) };
}

/** A request body as text; `tooLarge` throws the emulator's own error past `maxBytes`. */
export async function readBodyText(req: IncomingMessage, maxBytes: number, tooLarge: () => never): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
