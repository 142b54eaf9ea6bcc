// Profiles live in $XDG_CONFIG_HOME/plexsphere/config.json (default ~/.config): the file holds
// bearer tokens, so it is written 0600 inside a 0700 directory, atomically (write, then rename).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './errors.ts';

export interface Profile {
  url: string;
  token?: string;
  /** RFC 3339; when the token stops working. */
  token_expires_at?: string;
  domain_id?: string;
  idp_binding_id?: string;
  email?: string;
  subject?: string;
}

export interface Config {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';
export const DEFAULT_URL = 'http://localhost:8080';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), '.config');
  return join(base, 'plexsphere');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, EXIT.other);
  }
  try {
    const parsed = JSON.parse(text) as Partial<Config>;
    const profiles = parsed && typeof parsed.profiles === 'object' && parsed.profiles !== null ? parsed.profiles : {};
    return { profiles };
  } catch {
    throw new CliError(`${path} is not valid JSON; fix or delete it, then run plexctl login again`, EXIT.other);
  }
}

export function saveConfig(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is masked by the umask and ignored for an existing directory.
  chmodSync(dir, 0o700);
  const path = configPath(env);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

/** Reads, changes one profile, writes back. */
export function updateProfile(name: string, change: (current: Profile | undefined) => Profile | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const config = loadConfig(env);
  const next = change(config.profiles[name]);
  if (next) config.profiles[name] = next;
  else delete config.profiles[name];
  saveConfig(config, env);
}
