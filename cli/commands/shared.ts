// Helpers the command modules share: paging through lists, checking a request body against the
// broker's own schema before it is sent, and the commands that only differ in what they name
// (list, get, delete).
import type { z } from 'zod';
import { type Args, boolFlag, type Command, type FlagSpec, type PositionalSpec, type Result, stringFlag } from '../command.ts';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { ApiClient } from '../http.ts';
import { table } from '../render.ts';
import { columnsOf, type Field } from './fields.ts';

export interface ListBody<T> {
  items: T[];
  next_cursor?: string;
}

export const LIST_FLAGS: Readonly<Record<string, FlagSpec>> = {
  limit: { type: 'string', placeholder: 'n', description: 'fetch one page of at most n items (1-200) instead of every page' },
  cursor: { type: 'string', placeholder: 'cursor', description: 'continue from the next_cursor of an earlier page' },
};

/** Every page (following next_cursor), or the one page --limit/--cursor asks for. */
export async function listItems<T>(api: ApiClient, path: string, args: Args, query: Record<string, string | undefined> = {}): Promise<ListBody<T>> {
  const limit = stringFlag(args, 'limit');
  const cursor = stringFlag(args, 'cursor');
  if (limit !== undefined || cursor !== undefined) {
    return (await api.get<ListBody<T>>(path, { query: { ...query, limit, cursor } })).body;
  }
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = (await api.get<ListBody<T>>(path, { query: { ...query, limit: '200', cursor: next } })).body;
    items.push(...page.items);
    next = page.next_cursor;
  } while (next);
  return { items };
}

/** The human hint printed under a page that has more. */
export function moreHint(body: ListBody<unknown>): string {
  return body.next_cursor ? `More: repeat with --cursor ${body.next_cursor}\n` : '';
}

/**
 * Checks a body with the broker's request schema (functions/core), so a malformed flag is a usage
 * error naming the flag, before anything is sent. The server checks again; it stays the authority.
 */
export function checkBody<S extends z.ZodType>(schema: S, body: unknown, flagOf: Record<string, string>, command: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const flag = flagOf[field];
    return `${flag ?? (field || 'body')}: ${issue.message}`;
  });
  throw new UsageError(problems.join('; '), command);
}

/** The --domain-id flag of the commands about one Domain, the profile's when left out. */
export const DOMAIN_FLAG = { 'domain-id': { type: 'string', placeholder: 'id', description: "the Domain (default: the profile's)" } } as const;

/** The Domain a command names, or the profile's. */
export function domainOf(args: Args, ctx: Context, command: string): string {
  const domainId = stringFlag(args, 'domain-id') ?? ctx.profile()?.domain_id;
  if (!domainId) throw new UsageError(`${command} needs --domain-id <id>`, command);
  return domainId;
}

/** A path segment from user input. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function result(data: unknown, human: string): Result {
  return { data, human };
}

/** A kind of thing the broker keeps, as the commands name it. */
export interface Noun {
  /** The command words before the verb, e.g. ['cloud', 'credential']. */
  words: readonly string[];
  /** Its name in help, e.g. "CloudCredential". */
  label: string;
  /** Where one lives: `<endpoint>/<id>`. */
  endpoint: string;
}

/** The one positional naming an existing one, e.g. <credential-id> "the CloudCredential". */
export function idArg(noun: Noun): PositionalSpec[] {
  return [{ name: `${noun.words.at(-1)}-id`, description: `the ${noun.label}` }];
}

/** `<noun> get <id>`: fetch one and show it (as of `now`, for what counts down, like a lease). */
export function getCommand<T>(noun: Noun, summary: string, render: (item: T, now: Date) => string, examples?: readonly string[]): Command {
  return {
    path: [...noun.words, 'get'],
    summary,
    positionals: idArg(noun),
    ...(examples && { examples }),
    async run(ctx, args) {
      const item = (await ctx.api().get<T>(`${noun.endpoint}/${seg(args.positionals[0] ?? '')}`)).body;
      return result(item, render(item, new Date(ctx.now())));
    },
  };
}

/** `<noun> delete <id> --yes`: the deletion cannot be undone, so it is never the default. */
export function deleteCommand(noun: Noun, summary: string, more: Pick<Command, 'description' | 'examples'> = {}): Command {
  const name = [...noun.words, 'delete'].join(' ');
  return {
    path: [...noun.words, 'delete'],
    summary,
    ...more,
    positionals: idArg(noun),
    flags: { yes: { type: 'boolean', description: `confirm: the ${noun.label} is deleted for good` } },
    async run(ctx, args) {
      const id = args.positionals[0] ?? '';
      if (!boolFlag(args, 'yes')) throw new UsageError(`${name} is permanent; add --yes to delete ${noun.words.at(-1)} ${id}`, name);
      await ctx.api().delete(`${noun.endpoint}/${seg(id)}`);
      return result({ id, deleted: true }, `Deleted ${noun.words.at(-1)} ${id}.\n`);
    },
  };
}

export interface ListSpec<T> extends Pick<Command, 'path' | 'summary' | 'description' | 'examples'> {
  /** This list's own flags, shown before --limit and --cursor. */
  flags?: Readonly<Record<string, FlagSpec>>;
  /** The collection's path, or how the command line chooses it. */
  endpoint: string | ((args: Args, ctx: Context) => string);
  query?: (args: Args) => Record<string, string | undefined>;
  columns: readonly Field<T>[];
  /** The table's text when there is nothing to list. */
  empty: string;
}

/** A list command: every page (or the one asked for) as a table, with the hint to the next page. */
export function listCommand<T>({ flags, endpoint, query, columns, empty, ...command }: ListSpec<T>): Command {
  const header = columnsOf(columns);
  return {
    ...command,
    flags: { ...flags, ...LIST_FLAGS },
    async run(ctx, args) {
      // The path first: a missing flag is a usage error even when nobody is signed in.
      const path = typeof endpoint === 'string' ? endpoint : endpoint(args, ctx);
      const body = await listItems<T>(ctx.api(), path, args, query?.(args));
      return result(body, table(body.items, header, empty) + moreHint(body));
    },
  };
}
