import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, vi } from 'vitest';
import { startSecretsManager } from '../../local/secrets-manager/api.ts';
export { rejection } from './sdk-rejection.ts';

// The local Secrets Manager emulator of test/unit/secrets-manager-*.test.ts: a fresh one on a fresh
// data dir for every test, and the helpers those files share.

type Emulator = Awaited<ReturnType<typeof startSecretsManager>>;

export const TOKEN_1 = '11111111-1111-4111-8111-111111111111';
export const TOKEN_2 = '22222222-2222-4222-8222-222222222222';
export const TOKEN_3 = '33333333-3333-4333-8333-333333333333';

export let dataDir: string;
export let emulator: Emulator;
export let client: SecretsManagerClient;

function clientFor(url: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Closes the emulator and starts another on the same data dir, optionally with a clock of the test's. */
export async function restart(opts: { now?: () => Date } = {}): Promise<void> {
  client.destroy();
  await emulator.close();
  emulator = await startSecretsManager({ dataDir, port: 0, ...(opts.now ? { clock: { now: opts.now } } : {}) });
  client = clientFor(emulator.url);
}

/** Gives each test of the calling file its own emulator, data dir and client, and undoes its mocks and env stubs. */
export function useSecretsManager(): void {
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'secrets-manager-'));
    emulator = await startSecretsManager({ dataDir, port: 0 });
    client = clientFor(emulator.url);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    client.destroy();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  });
}
