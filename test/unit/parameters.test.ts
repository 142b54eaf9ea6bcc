import { describe, expect, it } from 'vitest';
import type { BlueprintParameter } from '../../functions/core/catalog/parameter-schema.ts';
import { parseParameterSchema } from '../../functions/core/catalog/parameter-schema.ts';
import { validateParameters } from '../../functions/core/parameters.ts';

/** The BrokerError `run` throws: its class (the HTTP status follows from it), code and field errors. */
function refusal(run: () => unknown): { name: string; code: string; errors: unknown } {
  try {
    run();
  } catch (err) {
    const e = err as { name: string; code: string; extra: { errors?: unknown } };
    return { name: e.name, code: e.code, errors: e.extra.errors };
  }
  throw new Error('expected a refusal');
}

describe('validateParameters: integers', () => {
  const schema: BlueprintParameter[] = [{ name: 'count', type: 'integer', required: true }];

  it('takes safe integers, at both ends', () => {
    expect(validateParameters(schema, { count: Number.MAX_SAFE_INTEGER })).toEqual({ count: Number.MAX_SAFE_INTEGER });
    expect(validateParameters(schema, { count: Number.MIN_SAFE_INTEGER })).toEqual({ count: Number.MIN_SAFE_INTEGER });
  });

  it.each([1e200, 2 ** 53, -(2 ** 53), 1.5])('refuses %d with 422 invalid_parameters and the path', (count) => {
    const r = refusal(() => validateParameters(schema, { count }));
    expect(r).toMatchObject({ name: 'UnprocessableError', code: 'invalid_parameters' });
    expect(r.errors).toEqual([{ path: 'parameters.count', name: 'count', message: expect.stringContaining('integer'), reason: expect.stringContaining('"count"') }]);
  });
});

describe('validateParameters: names every object inherits', () => {
  it('does not read an inherited function for an optional parameter that is not supplied', () => {
    const schema: BlueprintParameter[] = [
      { name: 'constructor', type: 'string', required: false },
      { name: 'toString', type: 'boolean', required: false, default: true },
      { name: 'size', type: 'integer', required: false },
    ];
    expect(validateParameters(schema, {})).toEqual({ toString: true });
    expect(validateParameters(schema, undefined)).toEqual({ toString: true });
  });

  it('still requires a required one that is not supplied', () => {
    const r = refusal(() => validateParameters([{ name: 'valueOf', type: 'integer', required: true }], {}));
    expect(r.errors).toEqual([{ path: 'parameters.valueOf', name: 'valueOf', message: 'is required (integer)', reason: 'Parameter "valueOf" is required (integer).' }]);
  });

  it('keeps a supplied __proto__ as a value (own property), not as the prototype', () => {
    const given = JSON.parse('{"__proto__": "x", "constructor": "y"}') as Record<string, unknown>;
    const out = validateParameters(
      [
        { name: '__proto__', type: 'string', required: true },
        { name: 'constructor', type: 'string', required: true },
      ],
      given,
    );
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.constructor).toBe('y');
  });
});

describe('parseParameterSchema: names every object inherits', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('refuses %s (400 invalid_parameter_schema, with the path)', (name) => {
    const r = refusal(() => parseParameterSchema({ parameters: [{ name: 'ok', type: 'string', required: false }, { name, type: 'string', required: false }] }));
    expect(r).toMatchObject({ name: 'InvalidInputError', code: 'invalid_parameter_schema' });
    expect(r.errors).toEqual([{ path: 'parameter_schema.parameters.1.name', message: expect.stringContaining(name) }]);
  });

  it('still takes names that merely resemble them', () => {
    expect(parseParameterSchema([{ name: 'constructor_image', type: 'string', required: false }])).toHaveLength(1);
  });
});
