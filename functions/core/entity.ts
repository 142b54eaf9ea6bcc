// What stored entities and their wire views share.
import * as z from 'zod';
import { IdSchema } from './ids.ts';

/** When an entity was created and last changed (ISO 8601): spread into its schema, in place. */
export const TIMESTAMPS = { created_at: z.string(), updated_at: z.string() };

/** The ids of what a domain holds: its own and its domain's. */
export const IN_DOMAIN = { id: IdSchema, domain_id: IdSchema };

/** The ids of what a project holds: its own, its project's and that project's domain's. */
export const IN_PROJECT = { id: IdSchema, project_id: IdSchema, domain_id: IdSchema };

/**
 * The fields a view schema names, taken from `value` in the schema's key order (the order the wire
 * shows them in); a field without a value is left out, not sent as undefined.
 */
export function pickView<S extends z.ZodObject>(schema: S, value: z.output<S>): z.output<S> {
  const from = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(schema.shape).flatMap((k) => (from[k] === undefined ? [] : [[k, from[k]]]))) as z.output<S>;
}
