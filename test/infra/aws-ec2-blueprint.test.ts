import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ENV_PATH,
  PLEXD_BINARY,
  PLEXD_UNIT_PATH,
  parseCloudInit,
  plexdInstallRecipe,
  recipeFor,
  renderCloudInit,
  TOKEN_PATH,
} from '../../functions/core/user-data.ts';

interface CloudConfig {
  write_files: { path: string; permissions: string; owner: string; content: string }[];
  runcmd: string[][];
}

const TOKEN = 'psb_dev_ABCDEFGH_node_0123456789ABCDEFGHIJKLMNOPQRSTUV';
const boot = {
  apiUrl: 'https://api.example.com',
  projectId: '019100c0-0000-7000-8000-000000000001',
  resourceHandle: 'r-1',
  bootstrapToken: TOKEN,
};

const PLEXD_URL = 'https://downloads.example.com/plexd/linux-amd64/plexd';
const PLEXD_BYTES = Buffer.from('#!/bin/sh\necho plexd\n');
const PLEXD_SHA256 = createHash('sha256').update(PLEXD_BYTES).digest('hex');

describe('aws-ec2-instance user data', () => {
  const text = renderCloudInit(boot, plexdInstallRecipe(PLEXD_URL, PLEXD_SHA256));
  const config = parse(text) as CloudConfig;
  const file = (path: string) => config.write_files.find((f) => f.path === path);

  it('is a cloud-config that writes the token root-only and the plexd environment pointing at it', () => {
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(file(TOKEN_PATH)).toMatchObject({ permissions: '0600', owner: 'root:root', content: TOKEN });
    const env = Object.fromEntries(
      (file(ENV_PATH)?.content ?? '')
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env).toEqual({
      PLEXD_API: boot.apiUrl,
      PLEXD_PROJECT_ID: boot.projectId,
      PLEXD_RESOURCE_HANDLE: boot.resourceHandle,
      PLEXD_BOOTSTRAP_TOKEN_FILE: TOKEN_PATH,
    });
    // The local agent (and plexd's stand-ins) still read it back.
    expect(parseCloudInit(text)).toEqual(boot);
  });

  it('downloads plexd, checks the pinned sha256, installs it, then the unit, and starts it, in that order', () => {
    const unit = file(PLEXD_UNIT_PATH)?.content ?? '';
    expect(unit).toContain(`EnvironmentFile=${ENV_PATH}`);
    expect(unit).toContain(`ExecStart=${PLEXD_BINARY}`);
    expect(unit).toContain(`ConditionFileIsExecutable=${PLEXD_BINARY}`);
    const [fetch, ...rest] = config.runcmd;
    expect(fetch?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(fetch?.slice(3)).toEqual(['plexd-install', PLEXD_URL, PLEXD_SHA256, PLEXD_BINARY]);
    const script = fetch?.[2] ?? '';
    const at = (needle: string) => script.indexOf(needle);
    expect(at('curl -fsSL')).toBeGreaterThan(at('set -eu'));
    expect(script).toContain('--proto =https --proto-redir =https');
    expect(at('sha256sum -c')).toBeGreaterThan(at('curl -fsSL'));
    expect(at('chmod 0755')).toBeGreaterThan(at('sha256sum -c'));
    expect(at('mv -f "$tmp" "$3"')).toBeGreaterThan(at('chmod 0755'));
    expect(rest.map((c) => c.join(' '))).toEqual(['systemctl daemon-reload', 'systemctl enable --now plexd']);
  });

  it('carries nothing long-lived: the bootstrap token is the only credential, and it appears once', () => {
    expect(text.split(TOKEN)).toHaveLength(2);
    expect(text).not.toMatch(/nsk_|AKIA|aws_secret|secret_access_key|BEGIN [A-Z ]*PRIVATE KEY/i);
    for (const f of config.write_files.filter((f) => f.path !== TOKEN_PATH)) expect(f.content).not.toContain('psb_');
  });
});

describe('the plexd download check, run', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Runs the user data's fetch entry as cloud-init would, with `curl` on PATH replaced by a stub
   * that "downloads" `served` (no network), and the destination moved into a temporary folder.
   */
  async function runFetch(served: Buffer, sha256: string) {
    const dir = mkdtempSync(join(tmpdir(), 'plexd-fetch-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'served'), served);
    const curl = join(dir, 'curl');
    writeFileSync(
      curl,
      `#!/bin/sh\nwhile [ "$#" -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; shift; fi; shift; done\ncp "${join(dir, 'served')}" "$out"\n`,
    );
    chmodSync(curl, 0o755);
    const [entry] = (parse(renderCloudInit(boot, plexdInstallRecipe(PLEXD_URL, sha256))) as CloudConfig).runcmd;
    const argv = [...(entry ?? [])];
    const destination = join(dir, 'plexd');
    argv[argv.length - 1] = destination;
    const [command, ...args] = argv;
    const outcome = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(command as string, args, { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } }, (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    return { ...outcome, destination, left: readdirSync(dir).sort() };
  }

  it('installs a download that matches the pin, executable', async () => {
    const run = await runFetch(PLEXD_BYTES, PLEXD_SHA256);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(run.destination)).toEqual(PLEXD_BYTES);
    expect(statSync(run.destination).mode & 0o777).toBe(0o755);
    expect(run.left).toEqual(['curl', 'plexd', 'served']);
  });

  it('refuses a download that does not match: non-zero exit, nothing installed, nothing left behind', async () => {
    const run = await runFetch(Buffer.from('#!/bin/sh\necho not plexd\n'), PLEXD_SHA256);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('does not match sha256');
    expect(existsSync(run.destination)).toBe(false);
    expect(run.left).toEqual(['curl', 'served']);
  });

  it('is never rendered without a pin, or for a plain-http download', () => {
    expect(() => plexdInstallRecipe(PLEXD_URL, '')).toThrow(expect.objectContaining({ code: 'plexd_unpinned' }));
    expect(() => plexdInstallRecipe(PLEXD_URL, 'AB'.repeat(32))).toThrow(expect.objectContaining({ code: 'plexd_unpinned' }));
    expect(() => plexdInstallRecipe(PLEXD_URL, PLEXD_SHA256.slice(1))).toThrow(expect.objectContaining({ code: 'plexd_unpinned' }));
    expect(() => plexdInstallRecipe('http://downloads.example.com/plexd', PLEXD_SHA256)).toThrow(
      expect.objectContaining({ code: 'insecure_endpoint' }),
    );
    expect(() => recipeFor({ recipe: 'plexd-download', plexd_url: PLEXD_URL })).toThrow(
      expect.objectContaining({ code: 'plexd_unpinned' }),
    );
    expect(recipeFor({ recipe: 'plexd-download', plexd_url: PLEXD_URL, plexd_sha256: PLEXD_SHA256 }).install[0]).toContain(PLEXD_SHA256);
  });
});
