// The shape of a command: its words, flags, positionals and help, and what it runs.
import type { Context } from './context.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  /** Shown in help as `--flag <placeholder>`. */
  placeholder?: string;
  required?: boolean;
  /** A string flag that may be given more than once; its value is every one given, in order. */
  multiple?: boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
}

export interface Args {
  values: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
}

/** What a command hands back: the wire data for `--output json`, and its human rendering. */
export interface Result {
  data: unknown;
  human: string;
}

export interface Command {
  /** The words that name it, e.g. ['credential', 'assignment', 'request']. */
  path: readonly string[];
  summary: string;
  description?: string;
  positionals?: readonly PositionalSpec[];
  flags?: Readonly<Record<string, FlagSpec>>;
  examples?: readonly string[];
  run(ctx: Context, args: Args): Promise<Result | undefined>;
}

export function stringFlag(args: Args, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(args: Args, name: string): boolean {
  return args.values[name] === true;
}

/** Every value of a repeatable flag, in the order given (none: empty). */
export function listFlag(args: Args, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
