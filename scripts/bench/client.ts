import type { TestStack } from '../../test/support/stack.ts';

type Who = 'operator' | 'admin';

export interface Timed<T = unknown> {
  status: number;
  body: T;
  ms: number;
  /** Date.now() when the answer had been read. */
  at: number;
}

/**
 * The bench's HTTP client: times each call and counts the calls it makes, so that the bench's
 * own polling can be taken out of the local cloud's counters.
 */
export class BenchClient {
  calls = 0;
  private readonly tokens = new Map<Who, string>();

  constructor(readonly stack: TestStack) {}

  async warm(): Promise<void> {
    for (const who of ['operator', 'admin'] as const) this.tokens.set(who, await this.stack.tokenFor(who));
  }

  async call<T = unknown>(who: Who, method: string, path: string, body?: unknown): Promise<Timed<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.tokens.get(who) ?? (await this.stack.tokenFor(who))}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    this.calls += 1;
    const started = performance.now();
    const res = await fetch(`${this.stack.url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const text = await res.text();
    const ms = performance.now() - started;
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, ms, at: Date.now() };
  }

  async expect<T = unknown>(status: number, who: Who, method: string, path: string, body?: unknown): Promise<Timed<T>> {
    const res = await this.call<T>(who, method, path, body);
    if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }
}

/** Runs `total` calls of `one` with `concurrency` in flight; returns each call's latency (ms). */
export async function runConcurrent(total: number, concurrency: number, one: (i: number) => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      samples.push(await one(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return samples;
}
