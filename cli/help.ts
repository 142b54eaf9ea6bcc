// Help text, generated from the command specs so it cannot drift from what is parsed.
import type { Command, FlagSpec } from './command.ts';
import { DEFAULT_URL } from './config.ts';
import { EXIT_CODE_HELP } from './errors.ts';
import { GLOBAL_FLAGS } from './parse.ts';

const SECTIONS: ReadonlyArray<[string, string[]]> = [
  ['Sign in', ['login', 'whoami', 'logout']],
  ['Catalog (the platform operator\'s)', ['cloud', 'blueprint']],
  ['Projects and credential governance', ['project', 'credential', 'approval']],
  ['Audit', ['audit']],
  ['Events', ['events']],
  ['Resources', ['resource']],
  ['Webhooks', ['webhook']],
];

export function usageLine(command: Command): string {
  const parts = ['plexctl', ...command.path];
  for (const p of command.positionals ?? []) parts.push(`<${p.name}>`);
  for (const [name, spec] of Object.entries(command.flags ?? {})) if (spec.required) parts.push(flagSyntax(name, spec));
  if (Object.values(command.flags ?? {}).some((f) => !f.required)) parts.push('[flags]');
  return parts.join(' ');
}

function flagSyntax(name: string, spec: FlagSpec): string {
  return spec.type === 'boolean' ? `--${name}` : `--${name} <${spec.placeholder ?? 'value'}>`;
}

function flagLines(flags: Readonly<Record<string, FlagSpec>>): string[] {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : '    '}${flagSyntax(name, spec)}`;
    return [left, `${spec.required ? '(required) ' : ''}${spec.description}${spec.multiple ? ' (repeatable)' : ''}`] as const;
  });
  return aligned(rows);
}

function aligned(rows: ReadonlyArray<readonly [string, string]>, indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}   ${right}`);
}

const ENVIRONMENT: ReadonlyArray<readonly [string, string]> = [
  ['PLEXSPHERE_URL', `the broker (default ${DEFAULT_URL}; a profile remembers the URL it signed in to)`],
  ['PLEXSPHERE_PROFILE', 'the profile used when --profile is not given (default "default")'],
  ['XDG_CONFIG_HOME', 'profiles are kept in $XDG_CONFIG_HOME/plexsphere/config.json (default ~/.config), mode 0600'],
];

export function rootHelp(commands: readonly Command[]): string {
  const lines = [
    'plexctl: the Plexsphere provisioning broker from the command line.',
    '',
    'Usage:',
    '  plexctl <command> [arguments] [flags]',
    '',
  ];
  for (const [title, roots] of SECTIONS) {
    lines.push(`${title}:`);
    const rows = commands.filter((c) => roots.includes(c.path[0] ?? '')).map((c) => [c.path.join(' '), c.summary] as const);
    lines.push(...aligned(rows), '');
  }
  lines.push('Global flags (on every command):', ...flagLines(GLOBAL_FLAGS), '');
  lines.push('Environment:', ...aligned(ENVIRONMENT), '');
  lines.push('Exit codes:', ...aligned(EXIT_CODE_HELP.map(([code, text]) => [String(code), text] as const)), '');
  lines.push(
    'Errors are one line on stderr, e.g.',
    '  error: self_approval_denied: You cannot decide a request you made yourself. (403)',
    'With --output json, results are JSON on stdout and errors stay on stderr.',
    '',
    'Run "plexctl <command> --help" for its flags and examples.',
  );
  return `${lines.join('\n')}\n`;
}

export function groupHelp(path: readonly string[], commands: readonly Command[]): string {
  const under = commands.filter((c) => path.every((w, i) => c.path[i] === w));
  const lines = [`Usage: plexctl ${path.join(' ')} <command> [flags]`, '', 'Commands:'];
  lines.push(...aligned(under.map((c) => [c.path.join(' '), c.summary] as const)), '');
  lines.push('Run "plexctl <command> --help" for its flags and examples.');
  return `${lines.join('\n')}\n`;
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  if (command.positionals?.length) {
    lines.push('', 'Arguments:', ...aligned(command.positionals.map((p) => [`<${p.name}>`, p.description] as const)));
  }
  if (command.flags && Object.keys(command.flags).length) lines.push('', 'Flags:', ...flagLines(command.flags));
  lines.push('', 'Global flags:', ...flagLines(GLOBAL_FLAGS));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
