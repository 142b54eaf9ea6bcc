import { type Cloud, cloudRegions } from './catalog/clouds.ts';
import {
  type BlueprintParameter,
  constraintBreach,
  isOfType,
  type ParameterContext,
  type ParameterValue,
} from './catalog/parameter-schema.ts';
import type { FieldError } from './errors.ts';
import { UnprocessableError } from './errors.ts';

export type { ParameterContext } from './catalog/parameter-schema.ts';

/** One refused parameter: the wire's path and message, and which parameter and why, for people. */
export interface ParameterError extends FieldError {
  name: string;
  reason: string;
}

function refused(name: string, message: string): ParameterError {
  return { path: `parameters.${name}`, message, name, reason: `Parameter "${name}" ${message}.` };
}

/** What the values of a Resource on `cloud` are checked against. */
export function parameterContext(cloud: Cloud): ParameterContext {
  return { cloudRegions: cloudRegions(cloud) };
}

/**
 * Validates a Resource's parameters against its blueprint version's schema and fills defaults.
 * Every refused parameter is reported at once, each once (its first problem), with its path. A
 * parameter drawing its values from the cloud's regions needs them in `context`.
 *
 * Names are looked up as own properties only (a parameter named `constructor` or `toString` must
 * not read an inherited function when it is not supplied) and the result is built from a Map
 * with Object.fromEntries, which defines own data properties, so even `__proto__` is kept as a
 * value rather than setting the prototype.
 */
export function validateParameters(
  schema: readonly BlueprintParameter[],
  given: Record<string, unknown> | undefined,
  context: ParameterContext = {},
): Record<string, ParameterValue> {
  const errors: ParameterError[] = [];
  const input = given ?? {};
  const out = new Map<string, ParameterValue>();
  const declared = new Map(schema.map((p) => [p.name, p]));
  for (const name of Object.keys(input)) {
    if (!declared.has(name)) errors.push(refused(name, 'is not a parameter of this blueprint version'));
  }
  for (const param of schema) {
    const supplied = Object.hasOwn(input, param.name) ? input[param.name] : undefined;
    const value = supplied ?? param.default;
    if (value === undefined) {
      if (param.required) errors.push(refused(param.name, `is required (${param.type})`));
      continue;
    }
    if (!isOfType(param.type, value)) {
      const expected =
        param.type === 'integer' ? `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}` : `a ${param.type}`;
      errors.push(refused(param.name, `must be ${expected}`));
      continue;
    }
    // Defaults too: one drawn from the cloud's regions is known to fit only once the cloud is.
    const breach = constraintBreach(param, value, context);
    if (breach) errors.push(refused(param.name, breach));
    else out.set(param.name, value);
  }
  if (errors.length) {
    throw new UnprocessableError(
      'invalid_parameters',
      `The parameters do not match the blueprint version: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
      { errors },
    );
  }
  return Object.fromEntries(out);
}
