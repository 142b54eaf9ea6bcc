// Writers of one process that would race for one item (a domain's event counter, its audit chain
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
