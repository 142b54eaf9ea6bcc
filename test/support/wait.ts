/**
 * Polls until `probe` returns a value (not undefined), or fails after `timeoutMs` naming what it
 * waited for. Tests wait on facts this way, never on fixed sleeps.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, opts: { timeoutMs?: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
