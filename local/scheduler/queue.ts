// The emulator's schedules ordered by when they are due: a binary min-heap, so finding the next one
// and taking the due ones costs O(log n) each, whatever the number of schedules. Re-arming or
// deleting a schedule leaves its old entry in the heap, skipped when it surfaces (its time no longer
// matches), and the heap is rebuilt once such entries outnumber the live ones.

interface Entry {
  at: number;
  key: string;
}

export class DueQueue {
  private heap: Entry[] = [];
  /** Each queued key's current due time (ms since the epoch). */
  private readonly due = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  /** Queues `key` for `at`, replacing its earlier time. */
  set(key: string, at: number): void {
    if (this.due.get(key) === at) return;
    this.due.set(key, at);
    this.push({ at, key });
    this.compact();
  }

  delete(key: string): void {
    if (this.due.delete(key)) this.compact();
  }

  /** When the earliest queued key is due; undefined when none is queued. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Takes every key due at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    const taken: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) return taken;
      this.pop();
      this.due.delete(top.key);
      taken.push(top.key);
    }
  }

  private live(entry: Entry): boolean {
    return this.due.get(entry.key) === entry.at;
  }

  private dropStale(): void {
    while (this.heap[0] && !this.live(this.heap[0])) this.pop();
  }

  private compact(): void {
    if (this.heap.length <= 2 * this.due.size + 64) return;
    this.heap = [];
    for (const [key, at] of this.due) this.push({ at, key });
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && before(heap[left] as Entry, heap[least] as Entry)) least = left;
      if (right < heap.length && before(heap[right] as Entry, heap[least] as Entry)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least] as Entry, heap[i] as Entry];
      i = least;
    }
  }
}

/** Earlier first; at one time, by key, so the order does not depend on arrival. */
function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.key < b.key);
}
