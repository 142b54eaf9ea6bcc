// What keeps a transaction all-or-nothing: the front's locks, so nothing else writes or reads in
// between, and the journal of before-images, so a crash half-way is undone on the next start.
import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StateFile } from '../state-file.ts';
import type { Item } from './protocol.ts';

/**
 * The front's locks, callback-style so the ordinary path allocates nothing. Writes (single-item,
 * batch, transactions) take `write` one at a time. Reads share `read`; a transaction, already
 * holding `write`, takes `exclusive` only while it applies or rolls back, so no read sees half of
 * it and reads are held for those moments only.
 */
export class Gate {
  private writing = false;
  private readonly writers: Array<() => void> = [];
  private readers = 0;
  private excluding = false;
  private drained: (() => void) | undefined;
  private readonly heldReaders: Array<() => void> = [];

  write(run: () => void): void {
    if (this.writing) this.writers.push(run);
    else {
      this.writing = true;
      run();
    }
  }

  releaseWrite(): void {
    const next = this.writers.shift();
    if (next) next();
    else this.writing = false;
  }

  read(run: () => void): void {
    if (this.excluding) this.heldReaders.push(run);
    else {
      this.readers += 1;
      run();
    }
  }

  releaseRead(): void {
    this.readers -= 1;
    if (this.readers === 0 && this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }

  /** For the holder of `write`: holds new reads back and resolves once the reads in flight end. */
  exclusive(): Promise<void> {
    this.excluding = true;
    if (this.readers === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  releaseExclusive(): void {
    this.excluding = false;
    for (const run of this.heldReaders.splice(0)) {
      this.readers += 1;
      run();
    }
  }

  async withWrite<T>(work: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => this.write(resolve));
    try {
      return await work();
    } finally {
      this.releaseWrite();
    }
  }
}

/** An item as it was before a transaction touched it; no `Item` when there was none. */
export interface BeforeImage {
  TableName: string;
  Key: Item;
  Item?: Item;
}

/** Where the before-images of the transaction being applied wait until it is done. */
export interface Journal {
  /** The before-images of a transaction begun and not finished (after a crash, or a failed undo). */
  pending(): readonly BeforeImage[];
  record(images: readonly BeforeImage[]): Promise<void>;
  clear(): Promise<void>;
}

/** With no data dir there is nothing to recover after a restart; memory is enough. */
export class MemoryJournal implements Journal {
  private images: readonly BeforeImage[] = [];

  pending() {
    return this.images;
  }

  async record(images: readonly BeforeImage[]) {
    this.images = images;
  }

  async clear() {
    this.images = [];
  }
}

export const JOURNAL_FILE = 'transaction-journal.json';

/** The journal file a data dir keeps while a transaction applies: `{ "images": BeforeImage[] }`. */
export function journalPath(dataDir: string): string {
  return join(dataDir, JOURNAL_FILE);
}

/** A journal on disk, saved whole (temp file, fsync, rename) before any action is applied. */
export class FileJournal implements Journal {
  private readonly file: StateFile;

  private constructor(
    private readonly path: string,
    private images: readonly BeforeImage[],
  ) {
    this.file = new StateFile(path);
  }

  /** Reads a journal left by a crash, and drops temp files of a save the crash cut short. */
  static async open(path: string): Promise<FileJournal> {
    const dir = dirname(path);
    const temps = (await readdir(dir)).filter((name) => name.startsWith(`${basename(path)}.`) && name.endsWith('.tmp'));
    await Promise.all(temps.map((name) => rm(join(dir, name), { force: true })));
    let images: BeforeImage[] = [];
    try {
      images = (JSON.parse(await readFile(path, 'utf8')) as { images: BeforeImage[] }).images;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new FileJournal(path, images);
  }

  pending() {
    return this.images;
  }

  async record(images: readonly BeforeImage[]) {
    // Pending only once on disk: a save that failed stands for a transaction that never applied.
    await this.file.save(() => ({ images }));
    this.images = images;
  }

  async clear() {
    this.images = [];
    await this.file.settled();
    await rm(this.path, { force: true });
  }
}
