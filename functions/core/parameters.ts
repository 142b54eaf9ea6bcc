import type { BlueprintParameter } from './catalog.ts';
import type { FieldError } from './errors.ts';
import { UnprocessableError } from './errors.ts';

type Value = string | number | boolean;

function matches(type: BlueprintParameter['type'], value: unknown): value is Value {
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  return typeof value === 'string';
}

/**
 * Validates a Resource's parameters against its blueprint version's schema and fills defaults.
 * Every problem is reported at once, each with its field path.
 */
export function validateParameters(schema: readonly BlueprintParameter[], given: Record<string, unknown> | undefined): Record<string, Value> {
  const errors: FieldError[] = [];
  const input = given ?? {};
  const out: Record<string, Value> = {};
  const declared = new Map(schema.map((p) => [p.name, p]));
  for (const name of Object.keys(input)) {
    if (!declared.has(name)) errors.push({ path: `parameters.${name}`, message: 'is not a parameter of this blueprint version' });
  }
  for (const param of schema) {
    const value = input[param.name];
    if (value === undefined || value === null) {
      if (param.default !== undefined) out[param.name] = param.default;
      else if (param.required) errors.push({ path: `parameters.${param.name}`, message: `is required (${param.type})` });
      continue;
    }
    if (!matches(param.type, value)) {
      errors.push({ path: `parameters.${param.name}`, message: `must be ${param.type === 'integer' ? 'an integer' : `a ${param.type}`}` });
      continue;
    }
    out[param.name] = value;
  }
  if (errors.length) {
    throw new UnprocessableError('invalid_parameters', `The parameters do not match the blueprint version: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, {
      errors,
    });
  }
  return out;
}
