import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { type Profile, saveConfig } from '../../cli/config.ts';
import type { Io } from '../../cli/context.ts';
import { EXIT } from '../../cli/errors.ts';
import { run } from '../../cli/run.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import type { TestStack } from './stack.ts';

// plexctl in process: its own config folder, profiles written with tokens minted for the seeded
// identities (the device-code login has its own test), and what each invocation printed. Also
// plexctl offline, for the unit tests that hand it a fetch answering like the broker.

/** The broker URL of the offline profiles. */
export const OFFLINE_URL = 'https://broker.test';

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Plexctl {
  /** XDG_CONFIG_HOME (a fresh temporary folder) and PLEXSPHERE_URL (the stack). */
  env: NodeJS.ProcessEnv;
  /** One invocation; argv as typed after `plexctl`. */
  run(...argv: string[]): Promise<Outcome>;
  /** One invocation with some of the outside world replaced (stdin, fetch). */
  runWith(io: Partial<Pick<Io, 'stdin' | 'fetch'>>, ...argv: string[]): Promise<Outcome>;
  /** Replaces the config file's profiles. */
  writeProfiles(profiles: Record<string, unknown>): void;
  /** The tutorial's two profiles: the domain admin on default, the platform operator on operator. */
  writeSignedInProfiles(): Promise<void>;
  /** Runs a command that must succeed, with --output json; its wire form. */
  json(...argv: string[]): Promise<any>;
}

/** One line's value of a details view (`Label: value`), e.g. "Lease". */
export function detailLine(text: string, label: string): string | undefined {
  return text
    .split('\n')
    .find((l) => l.startsWith(`${label}:`))
    ?.slice(label.length + 1)
    .trim();
}

/** One plexctl invocation (argv as typed after `plexctl`) with `io`; its exit code and what it printed. */
export async function runCaptured(argv: readonly string[], io: Omit<Io, 'stdout' | 'stderr'>): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, ...io });
  return { code, stdout, stderr };
}

/**
 * For plexctl without a broker: each call makes a fresh config folder whose default profile is
 * `profile` (on https://broker.test); the folders go after the calling file's tests.
 */
export function offlineConfigs(prefix: string): (profile: Omit<Profile, 'url'>) => NodeJS.ProcessEnv {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return (profile) => {
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), prefix)), PLEXSPHERE_URL: OFFLINE_URL };
    dirs.push(env.XDG_CONFIG_HOME);
    saveConfig({ profiles: { default: { url: OFFLINE_URL, ...profile } } }, env);
    return env;
  };
}

export async function signedInPlexctl(stack: TestStack): Promise<Plexctl> {
  const env: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'plexctl-')), PLEXSPHERE_URL: stack.url };

  const runWith = (io: Partial<Pick<Io, 'stdin' | 'fetch'>>, ...argv: string[]): Promise<Outcome> =>
    runCaptured(argv, { env, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))), ...io });

  const writeProfiles = (profiles: Record<string, unknown>) => {
    const dir = join(env.XDG_CONFIG_HOME as string, 'plexsphere');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles }), { mode: 0o600 });
  };

  const writeSignedInProfiles = async () => {
    const profile = async (who: 'operator' | 'admin') => ({
      url: stack.url,
      token: await stack.tokenFor(who),
      token_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      domain_id: FIXTURES.domain.id,
    });
    writeProfiles({ default: await profile('admin'), operator: await profile('operator') });
  };

  await writeSignedInProfiles();
  const json = async (...argv: string[]) => {
    const out = await runWith({}, ...argv, '--output', 'json');
    expect(out.code, out.stderr).toBe(EXIT.ok);
    return JSON.parse(out.stdout);
  };

  return { env, run: (...argv) => runWith({}, ...argv), runWith, writeProfiles, writeSignedInProfiles, json };
}
