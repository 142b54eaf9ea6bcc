// The cloud-init user data a provisioned machine boots with. It carries the short-lived
// bootstrap token and where to redeem it, and nothing long-lived: the node earns its own key
// (the NSK) by registering.
import { UnprocessableError } from './errors.ts';

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

/** A plexd build pinned by its digest: the machine installs it only if the download hashes to it. */
export const PLEXD_SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Downloads plexd (argument 1) next to its destination (3), checks its sha256 (2), and only then
 * makes it executable and moves it into place: a mismatch leaves nothing at the destination and
 * exits non-zero. cloud-init runs each runcmd entry on its own, so this is one entry, and the unit
 * starts only when the binary is there (ConditionFileIsExecutable).
 */
export const PLEXD_FETCH_SCRIPT = [
  'set -eu',
  'tmp="$(mktemp "$3.download.XXXXXX")"',
  'trap \'rm -f "$tmp"\' EXIT',
  'curl -fsSL --retry 5 --proto =https --proto-redir =https -o "$tmp" "$1"',
  'if ! printf \'%s  %s\\n\' "$2" "$tmp" | sha256sum -c --status -; then',
  '  echo "plexd: the download from $1 does not match sha256 $2; not installing it" >&2',
  '  exit 1',
  'fi',
  'chmod 0755 "$tmp"',
  'mv -f "$tmp" "$3"',
].join('\n');

/** https as well as the pin: the pin refuses a swapped binary, https keeps it from being swapped (and the node from never starting). */
function checkedPlexdDownload(plexdUrl: string, sha256: string): void {
  let url: URL;
  try {
    url = new URL(plexdUrl);
  } catch {
    throw new UnprocessableError('plexd_url_invalid', `The plexd download URL "${plexdUrl}" is not a URL.`);
  }
  if (url.protocol !== 'https:')
    throw new UnprocessableError('insecure_endpoint', `The plexd download URL must be https, not "${plexdUrl}".`);
  if (!PLEXD_SHA256_PATTERN.test(sha256)) {
    throw new UnprocessableError(
      'plexd_unpinned',
      'The plexd download needs its sha256 (64 lowercase hex digits) to be checked before it is installed.',
    );
  }
}

/**
 * The aws-ec2-instance blueprint's recipe: a stock image has no plexd, so cloud-init downloads it,
 * checks it against the pinned sha256, installs a systemd unit that reads the environment file,
 * and starts it. The unit holds no secret: plexd reads the bootstrap token from its file and
 * earns its own key by registering.
 */
export function plexdInstallRecipe(plexdUrl: string, sha256: string): InstallRecipe {
  checkedPlexdDownload(plexdUrl, sha256);
  const unit = [
    '[Unit]',
    'Description=Plexsphere node agent',
    'Wants=network-online.target',
    'After=network-online.target',
    `ConditionFileIsExecutable=${PLEXD_BINARY}`,
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
      ['sh', '-c', PLEXD_FETCH_SCRIPT, 'plexd-install', plexdUrl, sha256, PLEXD_BINARY],
      ['systemctl', 'daemon-reload'],
    ],
    start: ['systemctl', 'enable', '--now', 'plexd'],
  };
}

/** How plexd gets onto the machine: already on the cloudless image, or downloaded (pinned) and installed as a unit. */
export function recipeFor(choice: {
  recipe: 'cloudless' | 'plexd-download';
  plexd_url?: string | undefined;
  plexd_sha256?: string | undefined;
}): InstallRecipe {
  if (choice.recipe === 'cloudless' || !choice.plexd_url) return CLOUDLESS_RECIPE;
  return plexdInstallRecipe(choice.plexd_url, choice.plexd_sha256 ?? '');
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
