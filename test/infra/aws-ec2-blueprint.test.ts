import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ENV_PATH,
  PLEXD_BINARY,
  PLEXD_UNIT_PATH,
  parseCloudInit,
  plexdInstallRecipe,
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

describe('aws-ec2-instance user data', () => {
  const text = renderCloudInit(boot, plexdInstallRecipe('https://downloads.example.com/plexd/linux-amd64/plexd'));
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

  it('installs plexd, a unit that reads that environment, and starts it, in that order', () => {
    const unit = file(PLEXD_UNIT_PATH)?.content ?? '';
    expect(unit).toContain(`EnvironmentFile=${ENV_PATH}`);
    expect(unit).toContain(`ExecStart=${PLEXD_BINARY}`);
    const commands = config.runcmd.map((c) => c.join(' '));
    const at = (re: RegExp) => commands.findIndex((c) => re.test(c));
    expect(at(/^curl .*-o \/usr\/local\/bin\/plexd https:\/\//)).toBe(0);
    expect(at(/^chmod 0755 /)).toBeGreaterThan(at(/^curl /));
    expect(at(/^systemctl daemon-reload$/)).toBeGreaterThan(at(/^chmod /));
    expect(commands.at(-1)).toBe('systemctl enable --now plexd');
  });

  it('carries nothing long-lived: the bootstrap token is the only credential, and it appears once', () => {
    expect(text.split(TOKEN)).toHaveLength(2);
    expect(text).not.toMatch(/nsk_|AKIA|aws_secret|secret_access_key|BEGIN [A-Z ]*PRIVATE KEY/i);
    for (const f of config.write_files.filter((f) => f.path !== TOKEN_PATH)) expect(f.content).not.toContain('psb_');
  });
});
