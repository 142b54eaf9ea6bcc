// The parameters a blueprint version declares, and the checks a declaration must pass before
// it is published (a Resource's values are checked against it in ../parameters.ts).
import { z } from 'zod';
import type { FieldError } from '../errors.ts';
import { fieldError } from './shared.ts';

export const PARAMETER_TYPES = ['boolean', 'integer', 'string'] as const;
export const ParameterTypeSchema = z.enum(PARAMETER_TYPES);

export const BlueprintParameterSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a letter or underscore, then letters, digits or underscores (at most 63)'),
  type: ParameterTypeSchema,
  required: z.boolean(),
  default: z.union([z.boolean(), z.number(), z.string()]).optional(),
});
export type BlueprintParameter = z.infer<typeof BlueprintParameterSchema>;

const DEFAULT_MATCHES: Record<BlueprintParameter['type'], (v: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  string: (v) => typeof v === 'string',
};

/**
 * Names a parameter may not take: every plain object inherits them (`constructor`, `toString`,
 * `__proto__` …), so parameter maps built from JSON would confuse them with the prototype's.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Parses a parameter schema (the `{"parameters": [...]}` document, or the bare list) and checks
 * what a per-field schema cannot: unique names that no object inherits, a default only on
 * optional parameters, and a default of the declared type. Every problem is reported with its path.
 */
export function parseParameterSchema(raw: unknown): BlueprintParameter[] {
  const doc = z.union([z.array(z.unknown()), z.strictObject({ parameters: z.array(z.unknown()) })]).safeParse(raw);
  if (!doc.success) {
    throw fieldError('invalid_parameter_schema', [
      { path: 'parameter_schema', message: 'must be {"parameters": [...]} or a list of parameters' },
    ]);
  }
  const base = Array.isArray(doc.data) ? 'parameter_schema' : 'parameter_schema.parameters';
  const items = Array.isArray(doc.data) ? doc.data : doc.data.parameters;
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  const params: BlueprintParameter[] = [];
  items.forEach((item, i) => {
    const parsed = BlueprintParameterSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({ path: [`${base}.${i}`, ...issue.path.map(String)].join('.'), message: issue.message });
      return;
    }
    const p = parsed.data;
    if (INHERITED_NAMES.has(p.name)) {
      errors.push({ path: `${base}.${i}.name`, message: `must not be "${p.name}", a name every JavaScript object inherits` });
    }
    const first = seen.get(p.name);
    if (first !== undefined) errors.push({ path: `${base}.${i}.name`, message: `duplicates the name of ${base}.${first}` });
    else seen.set(p.name, i);
    if (p.default !== undefined) {
      if (p.required) errors.push({ path: `${base}.${i}.default`, message: 'a required parameter takes no default' });
      else if (!DEFAULT_MATCHES[p.type](p.default)) errors.push({ path: `${base}.${i}.default`, message: `must be of type ${p.type}` });
    }
    params.push(p);
  });
  if (errors.length > 0) throw fieldError('invalid_parameter_schema', errors);
  return params;
}
