// The cloud-init user data a provisioned machine boots with. It carries the short-lived
// bootstrap token and where to redeem it, and nothing long-lived: the node earns its own key
// (the NSK) by registering.

export const TOKEN_PATH = '/etc/plexd/bootstrap-token';
export const ENV_PATH = '/etc/plexd/plexd.env';

export interface NodeBootstrap {
  apiUrl: string;
  projectId: string;
  resourceHandle: string;
  bootstrapToken: string;
}

/** A file cloud-init writes before anything runs. */
export interface RecipeFile {
  path: string;
  permissions: string;
  content: string;
}

/** Install steps differ per blueprint: the cloudless one finds plexd on the image, a cloud one downloads it. */
export interface InstallRecipe {
  /** Files written beside the token and the environment (a service unit). */
  files?: RecipeFile[];
  /** Commands run before plexd starts (each an argv). */
  install: string[][];
  /** The command that starts plexd. */
  start: string[];
}

export const CLOUDLESS_RECIPE: InstallRecipe = {
  install: [],
  start: ['systemctl', 'enable', '--now', 'plexd'],
};

export const PLEXD_BINARY = '/usr/local/bin/plexd';
export const PLEXD_UNIT_PATH = '/etc/systemd/system/plexd.service';

/**
 * The aws-ec2-instance blueprint's recipe: a stock image has no plexd, so cloud-init downloads it,
 * installs a systemd unit that reads the environment file, and starts it. The unit holds no secret:
 * plexd reads the bootstrap token from its file and earns its own key by registering.
 */
export function plexdInstallRecipe(plexdUrl: string): InstallRecipe {
  const unit = [
    '[Unit]',
    'Description=Plexsphere node agent',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `EnvironmentFile=${ENV_PATH}`,
    `ExecStart=${PLEXD_BINARY}`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return {
    files: [{ path: PLEXD_UNIT_PATH, permissions: '0644', content: unit }],
    install: [
      ['curl', '-fsSL', '--retry', '5', '-o', PLEXD_BINARY, plexdUrl],
      ['chmod', '0755', PLEXD_BINARY],
      ['systemctl', 'daemon-reload'],
    ],
    start: ['systemctl', 'enable', '--now', 'plexd'],
  };
}

/** How plexd gets onto the machine: already on the cloudless image, or downloaded and installed as a unit. */
export function recipeFor(choice: { recipe: 'cloudless' | 'plexd-download'; plexd_url?: string | undefined }): InstallRecipe {
  if (choice.recipe === 'cloudless' || !choice.plexd_url) return CLOUDLESS_RECIPE;
  return plexdInstallRecipe(choice.plexd_url);
}

function yamlString(value: string): string {
  return JSON.stringify(value); // a JSON string is a valid YAML double-quoted scalar
}

export function renderCloudInit(boot: NodeBootstrap, recipe: InstallRecipe = CLOUDLESS_RECIPE): string {
  const env = [
    `PLEXD_API=${boot.apiUrl}`,
    `PLEXD_PROJECT_ID=${boot.projectId}`,
    `PLEXD_RESOURCE_HANDLE=${boot.resourceHandle}`,
    `PLEXD_BOOTSTRAP_TOKEN_FILE=${TOKEN_PATH}`,
  ];
  const argv = (cmd: string[]) => `  - [${cmd.map(yamlString).join(', ')}]`;
  return [
    '#cloud-config',
    'write_files:',
    `  - path: ${TOKEN_PATH}`,
    "    permissions: '0600'",
    '    owner: root:root',
    `    content: ${yamlString(boot.bootstrapToken)}`,
    `  - path: ${ENV_PATH}`,
    "    permissions: '0644'",
    '    owner: root:root',
    '    content: |',
    ...env.map((line) => `      ${line}`),
    ...(recipe.files ?? []).flatMap((f) => [
      `  - path: ${f.path}`,
      `    permissions: '${f.permissions}'`,
      '    owner: root:root',
      `    content: ${yamlString(f.content)}`,
    ]),
    'runcmd:',
    ...recipe.install.map(argv),
    argv(recipe.start),
    '',
  ].join('\n');
}

/**
 * Reads back what renderCloudInit wrote: the local node agent boots from it the way cloud-init
 * and plexd would. Only our own output is understood; anything else throws.
 */
export function parseCloudInit(userData: string): NodeBootstrap {
  const token = userData.match(new RegExp(`path: ${TOKEN_PATH}\\n(?:    .*\\n)*?    content: (".*")`))?.[1];
  const env = Object.fromEntries([...userData.matchAll(/^ {6}(PLEXD_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
  if (!token || !env.PLEXD_API || !env.PLEXD_PROJECT_ID || !env.PLEXD_RESOURCE_HANDLE) {
    throw new Error('user data is not a plexsphere node bootstrap');
  }
  return {
    apiUrl: env.PLEXD_API,
    projectId: env.PLEXD_PROJECT_ID,
    resourceHandle: env.PLEXD_RESOURCE_HANDLE,
    bootstrapToken: JSON.parse(token) as string,
  };
}
