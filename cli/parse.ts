// Command-line parsing on node:util parseArgs: find the command by its words, then parse the
// global and the command's flags strictly, so a typo is a usage error and never a silent no-op.
import { parseArgs } from 'node:util';
import type { Args, Command, FlagSpec } from './command.ts';
import type { OutputFormat } from './context.ts';
import { UsageError } from './errors.ts';

export const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  profile: { type: 'string', placeholder: 'name', description: 'profile to act as (default "default", or $PLEXSPHERE_PROFILE)' },
  output: { type: 'string', short: 'o', placeholder: 'table|json', description: 'table for people (default), json for scripts (the wire form)' },
  insecure: { type: 'boolean', description: 'allow an http:// broker URL that is not this machine (your token travels in clear)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export type Parsed =
  | { kind: 'help'; path: string[]; command?: Command; toStderr?: boolean; problem?: string }
  | { kind: 'run'; command: Command; args: Args; profile: string; output: OutputFormat; insecure: boolean };

interface Node {
  children: Map<string, Node>;
  command?: Command;
}

export function commandTree(commands: readonly Command[]): Node {
  const root: Node = { children: new Map() };
  for (const command of commands) {
    let node = root;
    for (const word of command.path) {
      let next = node.children.get(word);
      if (!next) {
        next = { children: new Map() };
        node.children.set(word, next);
      }
      node = next;
    }
    node.command = command;
  }
  return root;
}

/** Global flags that take a value, so the word after them is not a command word. */
const VALUE_FLAGS = new Set(['--profile', '--output', '-o']);

export function parseCommandLine(argv: readonly string[], commands: readonly Command[], env: NodeJS.ProcessEnv = {}): Parsed {
  const tree = commandTree(commands);
  let node = tree;
  const path: string[] = [];
  const consumed = new Set<number>();
  let helpWord = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') break;
    if (token.startsWith('-')) {
      if (VALUE_FLAGS.has(token)) i++;
      continue;
    }
    if (path.length === 0 && token === 'help' && !helpWord) {
      helpWord = true;
      consumed.add(i);
      continue;
    }
    const next = node.children.get(token);
    if (!next || node.command) break;
    node = next;
    path.push(token);
    consumed.add(i);
  }
  const rest = argv.filter((_, i) => !consumed.has(i));
  const wantsHelp = helpWord || rest.includes('--help') || rest.includes('-h');

  if (!node.command) {
    if (wantsHelp) return { kind: 'help', path };
    const stray = rest.find((t) => !t.startsWith('-'));
    if (stray !== undefined) {
      const where = path.length ? `plexctl ${path.join(' ')}` : 'plexctl';
      throw new UsageError(`unknown command "${[...path, stray].join(' ')}"; ${where} has: ${[...node.children.keys()].join(', ')}`, path.join(' ') || undefined);
    }
    return { kind: 'help', path, toStderr: true, problem: path.length ? `"plexctl ${path.join(' ')}" needs a subcommand` : 'no command given' };
  }

  const command = node.command;
  const name = command.path.join(' ');
  if (wantsHelp) return { kind: 'help', path, command };
  const flags = { ...GLOBAL_FLAGS, ...command.flags };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [flag, spec] of Object.entries(flags)) {
    options[flag] = { type: spec.type, ...(spec.short && { short: spec.short }), ...(spec.multiple && { multiple: true }) };
  }

  let parsed: { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(firstSentence((err as Error).message), name);
  }

  const expected = command.positionals ?? [];
  if (parsed.positionals.length < expected.length) {
    const missing = expected.slice(parsed.positionals.length).map((p) => `<${p.name}>`);
    throw new UsageError(`${name} needs ${missing.join(' ')}`, name);
  }
  if (parsed.positionals.length > expected.length) {
    throw new UsageError(`${name} takes ${expected.length === 0 ? 'no arguments' : expected.map((p) => `<${p.name}>`).join(' ')}, got "${parsed.positionals.slice(expected.length).join(' ')}"`, name);
  }
  for (const [flag, spec] of Object.entries(command.flags ?? {})) {
    const value = parsed.values[flag];
    if (spec.required && (value === undefined || value === '')) throw new UsageError(`${name} needs --${flag} <${spec.placeholder ?? 'value'}>`, name);
  }

  const output = (parsed.values.output as string | undefined) ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output must be table or json, not "${output}"`, name);
  const profile = (parsed.values.profile as string | undefined) ?? (env.PLEXSPHERE_PROFILE?.trim() || 'default');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(profile)) throw new UsageError(`a profile name is 1-64 letters, digits, dots, dashes or underscores, not "${profile}"`, name);

  const insecure = parsed.values.insecure === true;
  const values = { ...parsed.values };
  delete values.profile;
  delete values.output;
  delete values.insecure;
  delete values.help;
  return { kind: 'run', command, args: { values, positionals: parsed.positionals }, profile, output, insecure };
}

function firstSentence(message: string): string {
  const cut = message.indexOf('. ');
  return cut > 0 ? message.slice(0, cut) : message.replace(/\.$/, '');
}
