import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../scripts/build-console.ts';

let built: Promise<void> | undefined;

/**
 * Builds the console once per test process into a folder of its own (test files run two at a
 * time, and a shared console/dist rebuilt by one would be pulled from under the other; a fresh
 * clone has none at all), and points the in-process console function at it.
 */
export function useBuiltConsole(): Promise<void> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plexsphere-console-'));
    await buildConsole(join(dir, 'dist'));
    process.env.CONSOLE_ASSETS_DIR = join(dir, 'dist');
  })();
  return built;
}
