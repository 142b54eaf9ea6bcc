import type * as z from 'zod';
import { InvalidInputError } from '../core/errors.ts';

/** Parses a body with a strict schema; the problem lists each offending field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(body)',
    message: issue.message,
  }));
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw new InvalidInputError('invalid_body', `The request body is invalid: ${summary}`, { errors });
}
