// Helpers the command modules share: paging through lists, checking a request body against the
// broker's own schema before it is sent, and the commands that only differ in what they name
// (list, get, delete). Paths are the typed templates of the OpenAPI document, never built strings.
import type * as z from 'zod';
import type { DataOf, Method, ParamsOf, PathsWith, QueryOf, RequestOf } from '../../client/broker.ts';
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

/** A path template that names one thing by its id alone, e.g. '/v1/resources/{id}'. */
export type IdPath<M extends Method> = {
  [P in PathsWith<M>]: ParamsOf<P, M> extends { path: { id: string } } ? (keyof ParamsOf<P, M>['path'] extends 'id' ? P : never) : never;
}[PathsWith<M>];

/** A collection read a page at a time with limit and cursor, e.g. '/v1/projects/{id}/resources'. */
export type ListPath = {
  [P in PathsWith<'get'>]: DataOf<P, 'get'> extends ListBody<unknown>
    ? 'cursor' extends keyof QueryOf<P, 'get'>
      ? P
      : never
    : never;
}[PathsWith<'get'>];

/** One item of a collection. */
export type ItemOf<P extends ListPath> = DataOf<P, 'get'> extends ListBody<infer T> ? T : never;

/** The parameters of a collection other than the paging ones, which the list helpers set. */
export type ListParams<P extends ListPath> = Omit<ParamsOf<P, 'get'>, 'query'> & {
  query?: Omit<QueryOf<P, 'get'>, 'limit' | 'cursor'>;
};

export const LIST_FLAGS: Readonly<Record<string, FlagSpec>> = {
  limit: { type: 'string', placeholder: 'n', description: 'fetch one page of at most n items (1-200) instead of every page' },
  cursor: { type: 'string', placeholder: 'cursor', description: 'continue from the next_cursor of an earlier page' },
};

/** --limit as the number the broker takes (the broker judges the range). */
function limitFlag(args: Args): number | undefined {
  const raw = stringFlag(args, 'limit');
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`--limit takes a whole number of items (1-200), not "${raw}"`);
  return Number(raw);
}

/** Every page (following next_cursor), or the one page --limit/--cursor asks for. */
export async function listItems<P extends ListPath>(api: ApiClient, path: P, params: ListParams<P>, args: Args): Promise<ListBody<ItemOf<P>>> {
  const limit = limitFlag(args);
  const cursor = stringFlag(args, 'cursor');
  const page = async (paging: { limit?: number | undefined; cursor?: string | undefined }) => {
    // P is generic here, so the request is checked against every collection path at once (each takes
    // its own params, limit and cursor); the callers' params were checked against P itself.
    const options = { params: { ...params, query: { ...params.query, ...paging } } } as RequestOf<ListPath, 'get'>;
    return (await api.GET<ListPath>(path, options)).body as ListBody<ItemOf<P>>;
  };
  if (limit !== undefined || cursor !== undefined) return page({ limit, cursor });
  const items: ItemOf<P>[] = [];
  let next: string | undefined;
  do {
    const body = await page({ limit: 200, cursor: next });
    items.push(...body.items);
    next = body.next_cursor;
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

export function result(data: unknown, human: string): Result {
  return { data, human };
}

/** A kind of thing the broker keeps, as the commands name it. */
export interface Noun<P extends IdPath<'get'> = IdPath<'get'>> {
  /** The command words before the verb, e.g. ['cloud', 'credential']. */
  words: readonly string[];
  /** Its name in help, e.g. "CloudCredential". */
  label: string;
  /** Where one lives, e.g. '/v1/cloud-credentials/{id}'. */
  path: P;
}

/** A Noun, its path template checked against the document. */
export function noun<P extends IdPath<'get'>>(words: readonly string[], label: string, path: P): Noun<P> {
  return { words, label, path };
}

/** The path parameters naming one thing by its id. */
export function byId(id: string): { params: { path: { id: string } } } {
  return { params: { path: { id } } };
}

/** The one positional naming an existing one, e.g. <credential-id> "the CloudCredential". */
export function idArg(noun: Pick<Noun, 'words' | 'label'>): PositionalSpec[] {
  return [{ name: `${noun.words.at(-1)}-id`, description: `the ${noun.label}` }];
}

/** `<noun> get <id>`: fetch one and show it (as of `now`, for what counts down, like a lease). */
export function getCommand<P extends IdPath<'get'>>(
  noun: Noun<P>,
  summary: string,
  render: (item: DataOf<P, 'get'>, now: Date) => string,
  examples?: readonly string[],
): Command {
  return {
    path: [...noun.words, 'get'],
    summary,
    positionals: idArg(noun),
    ...(examples && { examples }),
    async run(ctx, args) {
      // Checked against every get-by-id path (P is generic here); the answer is P's own view.
      const item = (await ctx.api().GET<IdPath<'get'>>(noun.path, byId(args.positionals[0] ?? ''))).body as DataOf<P, 'get'>;
      return result(item, render(item, new Date(ctx.now())));
    },
  };
}

/** `<noun> delete <id> --yes`: the deletion cannot be undone, so it is never the default. */
export function deleteCommand(noun: Noun<IdPath<'get'> & IdPath<'delete'>>, summary: string, more: Pick<Command, 'description' | 'examples'> = {}): Command {
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
      await ctx.api().DELETE(noun.path, byId(id));
      return result({ id, deleted: true }, `Deleted ${noun.words.at(-1)} ${id}.\n`);
    },
  };
}

/** How the command line chooses a collection's parameters: required when its path has ids. */
type ListParamsSpec<P extends ListPath> = Record<never, never> extends ListParams<P>
  ? { params?: (args: Args, ctx: Context) => ListParams<P> }
  : { params: (args: Args, ctx: Context) => ListParams<P> };

export type ListSpec<P extends ListPath> = Pick<Command, 'path' | 'summary' | 'description' | 'examples'> &
  ListParamsSpec<P> & {
    /** This list's own flags, shown before --limit and --cursor. */
    flags?: Readonly<Record<string, FlagSpec>>;
    /** The collection, e.g. '/v1/projects/{id}/resources'. */
    endpoint: P;
    columns: readonly Field<ItemOf<P>>[];
    /** The table's text when there is nothing to list. */
    empty: string;
  };

/** A list command: every page (or the one asked for) as a table, with the hint to the next page. */
export function listCommand<P extends ListPath>(spec: ListSpec<P>): Command {
  const { flags, endpoint, columns, empty, params, ...command } = spec as ListSpec<P> & { params?: (args: Args, ctx: Context) => ListParams<P> };
  const header = columnsOf(columns);
  return {
    ...command,
    flags: { ...flags, ...LIST_FLAGS },
    async run(ctx, args) {
      // The parameters first: a missing flag is a usage error even when nobody is signed in.
      const given = params ? params(args, ctx) : ({} as ListParams<P>);
      const body = await listItems(ctx.api(), endpoint, given, args);
      return result(body, table(body.items, header, empty) + moreHint(body));
    },
  };
}
