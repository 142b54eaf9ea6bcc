import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deps } from '../../functions/shared/composition.ts';
import { type RunningStack, type StackOptions, startStack } from '../../local/stack.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { jsonOrUndefined } from './node-http.ts';

export interface TestStack extends RunningStack {
  dataDir: string;
  /** Mints an access token for a seeded identity without the browser flow (the flow has its own tests). */
  tokenFor(who: 'operator' | 'admin'): Promise<string>;
  /** Calls the API as `who` (or anonymously with null). */
  call(who: 'operator' | 'admin' | null, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/**
 * Starts a fresh embedded stack on a free port, with its data in a temporary folder (or in
 * `dataDir`). close() deletes the folder unless `keepDataDir` is set (a restart test reopens it).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  options: Omit<StackOptions, 'dataDir' | 'env'> & { dataDir?: string; keepDataDir?: boolean } = {},
): Promise<TestStack> {
  const { keepDataDir = false, ...stackOptions } = options;
  const dataDir = stackOptions.dataDir ?? mkdtempSync(join(tmpdir(), 'plexsphere-test-'));
  const stack = await startStack({ port: 0, reconcileIntervalMs: 0, webhookSweepIntervalMs: 0, ...stackOptions, dataDir, env: { LOG_LEVEL: 'silent', ...env } });
  const tokens = new Map<string, string>();
  const tokenFor = async (who: 'operator' | 'admin') => {
    let token = tokens.get(who);
    if (!token) {
      const f = FIXTURES[who];
      token = (await deps().tokens.issue({ subject: f.id, domainId: FIXTURES.domain.id, email: f.email })).token;
      tokens.set(who, token);
    }
    return token;
  };
  return {
    ...stack,
    dataDir,
    tokenFor,
    async call(who, method, path, body, headers = {}) {
      const sent: Record<string, string> = { ...headers };
      if (who) sent.authorization = `Bearer ${await tokenFor(who)}`;
      if (body !== undefined) sent['content-type'] ??= 'application/json';
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: sent,
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: jsonOrUndefined(text), text };
    },
    async close() {
      await stack.close();
      if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
