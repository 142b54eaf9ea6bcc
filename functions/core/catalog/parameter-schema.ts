// The parameters a blueprint version declares, and the checks a declaration must pass before
// it is published (a Resource's values are checked against it in ../parameters.ts).
import * as z from 'zod';
import type { FieldError } from '../errors.ts';
import { anchoredPattern, patternProblem } from './pattern-safety.ts';
import { fieldError } from './shared.ts';

export const PARAMETER_TYPES = ['boolean', 'integer', 'string'] as const;
export const ParameterTypeSchema = z.enum(PARAMETER_TYPES);
type ParameterType = z.infer<typeof ParameterTypeSchema>;
export type ParameterValue = string | number | boolean;

const ValueSchema = z.union([z.boolean(), z.number(), z.string()]);
/** Enough for any allowlist a person maintains; keeps a version item small. */
const MAX_ALLOWED_VALUES = 256;

export const BlueprintParameterSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a letter or underscore, then letters, digits or underscores (at most 63)'),
  type: ParameterTypeSchema,
  required: z.boolean(),
  default: ValueSchema.optional(),
  description: z.string().max(500).optional(),
  allowed_values: z.array(ValueSchema).min(1, 'must list at least one value').max(MAX_ALLOWED_VALUES).optional(),
  /** The value must be one of the Resource's Cloud's regions. */
  allowed_values_from: z.literal('cloud_regions').optional(),
  /** Implicitly anchored: the whole value must match. */
  pattern: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
});
export type BlueprintParameter = z.infer<typeof BlueprintParameterSchema>;

/** What a value is checked against beside its parameter: the Cloud the Resource runs on. */
export interface ParameterContext {
  cloudRegions?: readonly string[];
}

export function isOfType(type: ParameterType, value: unknown): value is ParameterValue {
  if (type === 'boolean') return typeof value === 'boolean';
  // Safe integers only: a larger one (1e200) is not exactly representable, and DynamoDB (through
  // the document client) refuses it, so it must be refused before anything is written.
  if (type === 'integer') return typeof value === 'number' && Number.isSafeInteger(value);
  return typeof value === 'string';
}

const CONSTRAINT_TYPES = {
  allowed_values: PARAMETER_TYPES,
  allowed_values_from: ['string'],
  pattern: ['string'],
  minimum: ['integer'],
  maximum: ['integer'],
} as const satisfies Record<string, readonly ParameterType[]>;

function listed(values: readonly ParameterValue[]): string {
  const shown = values.slice(0, 20).map((v) => String(v));
  return values.length > shown.length ? `${shown.join(', ')}, …` : shown.join(', ');
}

/**
 * The first constraint a value of the parameter's type breaks, as "must …", or undefined. A
 * cloud-region parameter is refused when the context names no regions: it cannot be checked.
 */
export function constraintBreach(p: BlueprintParameter, value: ParameterValue, context: ParameterContext): string | undefined {
  if (p.allowed_values && !p.allowed_values.includes(value)) return `must be one of ${listed(p.allowed_values)}`;
  if (p.allowed_values_from === 'cloud_regions') {
    // Unknown only at admission without an approved assignment (refused anyway, and a project may
    // not learn a Cloud it was not granted); the substrate step always checks it.
    if (!context.cloudRegions) return undefined;
    if (!context.cloudRegions.includes(String(value))) return `must be one of the cloud's regions (${listed(context.cloudRegions)})`;
  }
  if (p.pattern !== undefined && !anchoredPattern(p.pattern).test(String(value))) return `must match the pattern ${p.pattern}`;
  if (p.minimum !== undefined && typeof value === 'number' && value < p.minimum) return `must be at least ${p.minimum}`;
  if (p.maximum !== undefined && typeof value === 'number' && value > p.maximum) return `must be at most ${p.maximum}`;
  return undefined;
}

/** What is wrong with a parsed parameter's constraints and default, each keyed by its field. */
function declarationErrors(p: BlueprintParameter): Array<[string, string]> {
  const errors: Array<[string, string]> = [];
  for (const [key, types] of Object.entries(CONSTRAINT_TYPES)) {
    const fits = (types as readonly ParameterType[]).includes(p.type);
    if (!fits && p[key as keyof typeof CONSTRAINT_TYPES] !== undefined)
      errors.push([key, `applies to ${types.join(' or ')} parameters only`]);
  }
  p.allowed_values?.forEach((v, j) => {
    if (!isOfType(p.type, v)) errors.push([`allowed_values.${j}`, `must be of type ${p.type}`]);
    else if (p.allowed_values?.indexOf(v) !== j) errors.push([`allowed_values.${j}`, 'repeats a value']);
  });
  if (p.allowed_values && p.allowed_values_from) errors.push(['allowed_values_from', 'cannot be combined with allowed_values']);
  for (const key of ['minimum', 'maximum'] as const) {
    const bound = p[key];
    if (bound !== undefined && !Number.isSafeInteger(bound)) errors.push([key, 'must be an integer']);
  }
  if (p.minimum !== undefined && p.maximum !== undefined && p.minimum > p.maximum)
    errors.push(['maximum', 'must not be less than minimum']);
  const problem = p.pattern === undefined ? undefined : patternProblem(p.pattern);
  if (problem) errors.push(['pattern', `the pattern ${problem}`]);
  if (p.default !== undefined) {
    if (p.required) errors.push(['default', 'a required parameter takes no default']);
    else if (!isOfType(p.type, p.default)) errors.push(['default', `must be of type ${p.type}`]);
    else if (errors.length === 0) {
      // The cloud's regions are known only when a Resource names its cloud: checked then.
      const breach = constraintBreach({ ...p, allowed_values_from: undefined }, p.default, {});
      if (breach) errors.push(['default', `${breach}, as the parameter's own constraints say`]);
    }
  }
  return errors;
}

/**
 * Names a parameter may not take: every plain object inherits them (`constructor`, `toString`,
 * `__proto__` …), so parameter maps built from JSON would confuse them with the prototype's.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Names the parameter in a message (the path gives its index only). */
function named(item: unknown, message: string): string {
  const name = (item as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `${message} (parameter ${JSON.stringify(name)})` : message;
}

/**
 * Parses a parameter schema (the `{"parameters": [...]}` document, or the bare list) and checks
 * what a per-field schema cannot: unique names that no object inherits, a default only on
 * optional parameters, constraints that fit the type (a pattern that is linear-time safe), and a
 * default of the declared type that keeps them. Every problem is reported with its path.
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
    const error = (path: string, message: string) =>
      errors.push({ path: `${base}.${i}${path && `.${path}`}`, message: named(item, message) });
    const parsed = BlueprintParameterSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) error(issue.path.map(String).join('.'), issue.message);
      return;
    }
    const p = parsed.data;
    if (INHERITED_NAMES.has(p.name)) error('name', `must not be "${p.name}", a name every JavaScript object inherits`);
    const first = seen.get(p.name);
    if (first !== undefined) error('name', `duplicates the name of ${base}.${first}`);
    else seen.set(p.name, i);
    for (const [path, message] of declarationErrors(p)) error(path, message);
    params.push(p);
  });
  if (errors.length > 0) throw fieldError('invalid_parameter_schema', errors);
  return params;
}
