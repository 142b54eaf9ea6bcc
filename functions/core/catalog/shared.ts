// What every part of the platform catalog uses: its small value schemas, the operator-only
// access checks and the turning of a failed field check into the contract's error codes.
import * as z from 'zod';
import { requireAllowed } from '../access.ts';
import type { Authorizer, AuthzSubject } from '../authz/model.ts';
import { type FieldError, InvalidInputError, type UnprocessableError } from '../errors.ts';

/** The contract's kebab-case slug: no leading, trailing or doubled dashes. */
export const CatalogSlugSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters and digits in dash-separated words, at most 63 characters');

export const DisplayNameSchema = z.string().trim().min(1, 'must not be blank').max(256);
export const JsonObjectSchema = z.record(z.string(), z.unknown());
export const TimestampSchema = z.string();

/** A request body, parsed only once the caller is known to be allowed: a refused caller learns nothing from validation. */
export type Input<T> = () => T;

const PLATFORM = { type: 'Platform' } as const;

export const mayRead = (ports: { authorizer: Authorizer }, subject: AuthzSubject) =>
  requireAllowed(ports.authorizer, subject, 'catalog_read', PLATFORM);
export const mayManage = (ports: { authorizer: Authorizer }, subject: AuthzSubject) =>
  requireAllowed(ports.authorizer, subject, 'catalog_manage', PLATFORM);

/** Parses one field and turns a failure into `code`, naming the field path. */
export function field<S extends z.ZodType>(schema: S, value: unknown, path: string, code: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw fieldError(
    code,
    parsed.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message })),
  );
}

export function fieldError(
  code: string,
  errors: FieldError[],
  error: typeof InvalidInputError | typeof UnprocessableError = InvalidInputError,
) {
  return new error(code, `Invalid ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}
