import type { Backend } from '../backend.ts';

// Running many writers at once against a backend, and tallying who won.

/**
 * Runs the contenders all at once, except on moto: its TransactWriteItems keeps a deep copy of the
 * whole table and puts it back when a condition fails, with no lock, so a failing transaction can
 * undo a concurrent one that committed (two winners, or a Resource without its count, seen here).
 * Its UpdateItem is no better: concurrent ADDs on one counter can read the same value (seen on a
 * loaded CI machine). AWS isolates writes and transactions serializably, as our local front does.
 * On moto the contenders go one
 * after another, which still catches a missing condition: the later ones see the first one's items.
 */
export async function contend<T>(backend: Backend, tasks: Array<() => Promise<T>>): Promise<PromiseSettledResult<T>[]> {
  if (backend.name !== 'moto') return Promise.allSettled(tasks.map((task) => task()));
  const outcomes: PromiseSettledResult<T>[] = [];
  for (const task of tasks) outcomes.push(await task().then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
  return outcomes;
}

export const values = <T>(outcomes: PromiseSettledResult<T>[]): T[] =>
  outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });

/** The codes of the rejected outcomes, sorted, and how many were fulfilled. */
export function tally(outcomes: PromiseSettledResult<unknown>[]) {
  const codes = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as { code?: string }).code ?? o.reason)] : []));
  return { won: outcomes.length - codes.length, codes: codes.sort() };
}
