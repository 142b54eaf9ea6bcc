import type { BlueprintParameter } from './catalog/parameter-schema.ts';
import type { FieldError } from './errors.ts';
import { UnprocessableError } from './errors.ts';

type Value = string | number | boolean;

function matches(type: BlueprintParameter['type'], value: unknown): value is Value {
  if (type === 'boolean') return typeof value === 'boolean';
  // Safe integers only: a larger one (1e200) is not exactly representable, and DynamoDB (through
  // the document client) refuses it, so it must be refused here, before anything is written.
  if (type === 'integer') return typeof value === 'number' && Number.isSafeInteger(value);
  return typeof value === 'string';
}

/**
 * Validates a Resource's parameters against its blueprint version's schema and fills defaults.
 * Every problem is reported at once, each with its field path.
 *
 * Names are looked up as own properties only (a parameter named `constructor` or `toString` must
 * not read an inherited function when it is not supplied) and the result is built from a Map
 * with Object.fromEntries, which defines own data properties, so even `__proto__` is kept as a
 * value rather than setting the prototype.
 */
export function validateParameters(
  schema: readonly BlueprintParameter[],
  given: Record<string, unknown> | undefined,
): Record<string, Value> {
  const errors: FieldError[] = [];
  const input = given ?? {};
  const out = new Map<string, Value>();
  const declared = new Map(schema.map((p) => [p.name, p]));
  for (const name of Object.keys(input)) {
    if (!declared.has(name)) errors.push({ path: `parameters.${name}`, message: 'is not a parameter of this blueprint version' });
  }
  for (const param of schema) {
    const value = Object.hasOwn(input, param.name) ? input[param.name] : undefined;
    if (value === undefined || value === null) {
      if (param.default !== undefined) out.set(param.name, param.default);
      else if (param.required) errors.push({ path: `parameters.${param.name}`, message: `is required (${param.type})` });
      continue;
    }
    if (!matches(param.type, value)) {
      const expected =
        param.type === 'integer' ? `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}` : `a ${param.type}`;
      errors.push({ path: `parameters.${param.name}`, message: `must be ${expected}` });
      continue;
    }
    out.set(param.name, value);
  }
  if (errors.length) {
    throw new UnprocessableError(
      'invalid_parameters',
      `The parameters do not match the blueprint version: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      {
        errors,
      },
    );
  }
  return Object.fromEntries(out);
}
