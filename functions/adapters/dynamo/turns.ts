// Writers racing for one item. Writers of one process that would race for one item (a domain's event counter, its audit chain
// head) take turns instead: racing would only burn attempts, since the item admits one writer at
// a time anyway. Writers in other processes still race, and the item's condition settles it.

const turns = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier piece of work under `key` in this process has settled. */
export function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = turns.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const settled = run.catch(() => undefined);
  turns.set(key, settled);
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return run;
}

/** A cancellation that says nothing about our conditions: a concurrent transaction held an item. */
export function isTransactionConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

/** Full jitter under a ceiling that grows, then stays: racing writers spread out instead of colliding again. */
export function raceBackOff(attempt: number): Promise<void> {
  const ceiling = Math.min(400, 10 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ceiling * Math.random()));
}
