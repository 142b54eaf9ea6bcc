// Helpers the command modules share: paging through lists, checking a request body against the
// broker's own schema before it is sent, and the flags every list takes.
import type { z } from 'zod';
import { type Args, type FlagSpec, type Result, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import type { ApiClient } from '../http.ts';

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

/** A path segment from user input. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function result(data: unknown, human: string): Result {
  return { data, human };
}
