import * as z from 'zod';
import { InvalidInputError } from './errors.ts';

export interface Page<T> {
  items: T[];
  /**
   * Where the next page starts, present only when more may follow: the last item returned, or the
   * last one read when a filtered page stopped at its read budget (it may then be short, even empty).
   */
  lastId?: string;
}

export interface PageRequest {
  limit: number;
  afterId?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** Parses `?limit=`: 1..200, default 50; anything else is refused, not clamped. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  if (!/^\d+$/.test(raw)) throw new InvalidInputError('invalid_limit', `limit must be an integer from 1 to ${MAX_LIMIT}.`);
  const limit = Number(raw);
  if (limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidInputError('invalid_limit', `limit must be an integer from 1 to ${MAX_LIMIT}.`);
  }
  return limit;
}

/** A list answer on the wire: one page of views, and a cursor when more follow. */
export const pageViewSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next_cursor: z.string().optional() });
