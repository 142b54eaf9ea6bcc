import { describe, expect, it } from 'vitest';
import { type Cloud, cloudRegions } from '../../functions/core/catalog/clouds.ts';
import { type BlueprintParameter, parseParameterSchema } from '../../functions/core/catalog/parameter-schema.ts';
import { REGION_DEFAULTS_SCHEMAS } from '../../functions/core/catalog/provider-keys.ts';
import { parameterContext, validateParameters } from '../../functions/core/parameters.ts';

// Constrained blueprint parameters: what a declaration may say (checked when a version is
// published, 400 invalid_parameter_schema) and what a Resource's values must then keep (checked
// when it is created, 422 invalid_parameters, one entry per parameter).

interface Refusal {
  name: string;
  code: string;
  errors: Array<{ path: string; message: string; name?: string; reason?: string }>;
}

function refusal(run: () => unknown): Refusal {
  try {
    run();
  } catch (err) {
    const e = err as { name: string; code: string; extra: { errors: Refusal['errors'] } };
    return { name: e.name, code: e.code, errors: e.extra.errors };
  }
  throw new Error('expected a refusal');
}

/** Publishes `param` behind a plain one, so the errors' index (1) is checked too. */
const publish = (param: Record<string, unknown>) =>
  parseParameterSchema({ parameters: [{ name: 'plain', type: 'string', required: false }, { required: false, ...param }] });

function publishRefusal(param: Record<string, unknown>): Refusal['errors'] {
  const r = refusal(() => publish(param));
  expect(r).toMatchObject({ name: 'InvalidInputError', code: 'invalid_parameter_schema' });
  return r.errors;
}

describe('parseParameterSchema: constraints that fit the type are published', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a string allowlist with a default on it', { name: 'size', type: 'string', allowed_values: ['s', 'm'], default: 'm' }],
    ['an integer allowlist', { name: 'count', type: 'integer', allowed_values: [1, 2, 3] }],
    ['a boolean allowlist', { name: 'on', type: 'boolean', allowed_values: [true] }],
    ['a pattern with a default that matches it', { name: 'ami', type: 'string', pattern: 'ami-[0-9a-f]{8,17}', default: 'ami-0123abcd' }],
    ['a delimited repetition inside a repetition', { name: 'path', type: 'string', pattern: '/aws/service(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+' }],
    ['integer bounds around the default', { name: 'disk', type: 'integer', minimum: 8, maximum: 64, default: 8 }],
    ['equal bounds', { name: 'one', type: 'integer', minimum: 1, maximum: 1 }],
    ['a description', { name: 'note', type: 'boolean', description: 'x'.repeat(500) }],
    ['the cloud regions', { name: 'region', type: 'string', allowed_values_from: 'cloud_regions', default: 'eu-west-1' }],
  ])('%s', (_, param) => {
    expect(publish(param)[1]).toEqual({ required: false, ...param });
  });
});

describe('parseParameterSchema: invalid constraints are refused with the path, naming the parameter', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an empty allowlist', { name: 'size', type: 'string', allowed_values: [] }, 'allowed_values', /at least one/],
    ['an allowlist of the wrong type', { name: 'count', type: 'integer', allowed_values: [1, '2'] }, 'allowed_values.1', /type integer/],
    ['a non-integer in an integer allowlist', { name: 'count', type: 'integer', allowed_values: [1.5] }, 'allowed_values.0', /type integer/],
    ['a repeated allowed value', { name: 'size', type: 'string', allowed_values: ['s', 'm', 's'] }, 'allowed_values.2', /repeats/],
    ['a pattern on an integer', { name: 'count', type: 'integer', pattern: '[0-9]+' }, 'pattern', /string parameters only/],
    ['a minimum on a string', { name: 'size', type: 'string', minimum: 1 }, 'minimum', /integer parameters only/],
    ['a maximum on a boolean', { name: 'on', type: 'boolean', maximum: 1 }, 'maximum', /integer parameters only/],
    ['a fractional bound', { name: 'disk', type: 'integer', minimum: 0.5 }, 'minimum', /integer/],
    ['a minimum above the maximum', { name: 'disk', type: 'integer', minimum: 9, maximum: 8 }, 'maximum', /less than minimum/],
    ['a description over 500 characters', { name: 'note', type: 'string', description: 'x'.repeat(501) }, 'description', /500/],
    ['cloud regions on an integer', { name: 'region', type: 'integer', allowed_values_from: 'cloud_regions' }, 'allowed_values_from', /string/],
    ['another source of values', { name: 'region', type: 'string', allowed_values_from: 'zones' }, 'allowed_values_from', /cloud_regions/],
    ['cloud regions beside an allowlist', { name: 'region', type: 'string', allowed_values: ['a'], allowed_values_from: 'cloud_regions' }, 'allowed_values_from', /cannot be combined/],
    ['a default off the allowlist', { name: 'size', type: 'string', allowed_values: ['s', 'm'], default: 'xl' }, 'default', /must be one of s, m/],
    ['a default the pattern refuses', { name: 'ami', type: 'string', pattern: 'ami-[0-9a-f]{8}', default: 'ami-x' }, 'default', /must match the pattern/],
    ['a default below the minimum', { name: 'disk', type: 'integer', minimum: 8, default: 4 }, 'default', /at least 8/],
    ['a default above the maximum', { name: 'disk', type: 'integer', maximum: 8, default: 16 }, 'default', /at most 8/],
  ])('%s', (_, param, key, message) => {
    const errors = publishRefusal(param);
    expect(errors).toEqual([{ path: `parameter_schema.parameters.1.${key}`, message: expect.stringMatching(message) }]);
    expect(errors[0]?.message).toContain(`parameter "${param.name}"`);
  });

  it.each<[string, string, RegExp]>([
    ['nested repetition, anchored or not', '(a+)+$', /more than one way/],
    ['a repeated group that can match empty text', '(a*)*', /empty text/],
    ['a repeated alternation of the same text', '(a|a)*', /more than one way/],
    ['words and optional spaces, repeated', '(\\w+\\s?)*', /more than one way/],
    ['two overlapping repetitions side by side', '\\w*\\w*', /more than one way/],
    ['a lookahead', '(?=a)a', /lookahead or lookbehind/],
    ['a lookbehind', '(?<=a)b', /lookahead or lookbehind/],
    ['a backreference', '(a)\\1', /backreference/],
    ['a named backreference', '(?<x>a)\\k<x>', /backreference/],
    ['a pattern that does not compile', '[a-', /does not compile/],
    ['a pattern that would escape its anchors', 'a)|(b', /does not compile/],
    ['a pattern over 256 characters', 'a'.repeat(257), /longer than 256/],
    ['a pattern too large to prove safe', '[ab]{0,600}c', /too large/],
  ])('refuses a pattern with %s', (_, pattern, message) => {
    expect(publishRefusal({ name: 'text', type: 'string', pattern })).toEqual([
      { path: 'parameter_schema.parameters.1.pattern', message: expect.stringMatching(message) },
    ]);
  });

  it('names the parameter in the older checks too, and reports every problem at once', () => {
    const r = refusal(() =>
      parseParameterSchema([
        { name: 'size', type: 'integer', required: true, default: 1, pattern: 'x' },
        { name: 'size', type: 'string', required: false, pattern: '(a+)+' },
      ]),
    );
    expect(r.errors).toEqual([
      { path: 'parameter_schema.0.pattern', message: 'applies to string parameters only (parameter "size")' },
      { path: 'parameter_schema.0.default', message: 'a required parameter takes no default (parameter "size")' },
      { path: 'parameter_schema.1.name', message: 'duplicates the name of parameter_schema.0 (parameter "size")' },
      { path: 'parameter_schema.1.pattern', message: expect.stringMatching(/^the pattern can match the same text in more than one way.*\(parameter "size"\)$/) },
    ]);
  });
});

describe('validateParameters: constraints at creation (422 invalid_parameters)', () => {
  const schema: BlueprintParameter[] = [
    { name: 'size', type: 'string', required: false, default: 's', allowed_values: ['s', 'm'] },
    { name: 'ami', type: 'string', required: false, pattern: 'ami-[0-9a-f]{8}' },
    { name: 'disk', type: 'integer', required: false, minimum: 8, maximum: 64 },
    { name: 'region', type: 'string', required: false, allowed_values_from: 'cloud_regions' },
  ];
  const context = { cloudRegions: ['eu-west-1', 'us-east-1'] };

  it('takes values that keep every constraint, and fills the default', () => {
    expect(validateParameters(schema, { ami: 'ami-0123abcd', disk: 64, region: 'us-east-1' }, context)).toEqual({
      size: 's',
      ami: 'ami-0123abcd',
      disk: 64,
      region: 'us-east-1',
    });
    expect(validateParameters(schema, { disk: 8 }, context)).toEqual({ size: 's', disk: 8 });
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a value off the allowlist', { size: 'xl' }, 'size', 'must be one of s, m'],
    ['a value the pattern refuses', { ami: 'ami-0123abcd0' }, 'ami', 'must match the pattern ami-[0-9a-f]{8}'],
    ['a value the pattern only partly matches (it is anchored)', { ami: 'x ami-0123abcd' }, 'ami', 'must match the pattern ami-[0-9a-f]{8}'],
    ['a value below the minimum', { disk: 7 }, 'disk', 'must be at least 8'],
    ['a value above the maximum', { disk: 65 }, 'disk', 'must be at most 64'],
    ["a region that is not the cloud's", { region: 'ap-south-1' }, 'region', "must be one of the cloud's regions (eu-west-1, us-east-1)"],
  ])('refuses %s with its name and reason', (_, given, name, message) => {
    const r = refusal(() => validateParameters(schema, given, context));
    expect(r).toMatchObject({ name: 'UnprocessableError', code: 'invalid_parameters' });
    expect(r.errors).toEqual([{ path: `parameters.${name}`, message, name, reason: `Parameter "${name}" ${message}.` }]);
  });

  it('reports each offending parameter once, with its first broken constraint', () => {
    const r = refusal(() => validateParameters(schema, { size: 'xl', ami: 'nope', disk: 1, region: 'mars-1', extra: true }, context));
    expect(r.errors.map((e) => [e.name, e.message])).toEqual([
      ['extra', 'is not a parameter of this blueprint version'],
      ['size', 'must be one of s, m'],
      ['ami', 'must match the pattern ami-[0-9a-f]{8}'],
      ['disk', 'must be at least 8'],
      ['region', "must be one of the cloud's regions (eu-west-1, us-east-1)"],
    ]);
    for (const e of r.errors) expect(e).toMatchObject({ path: `parameters.${e.name}`, reason: expect.stringContaining(`"${e.name}"`) });
  });

  it("leaves a cloud-region value to the substrate step when the cloud's regions are not given, and checks a default against them", () => {
    // Admission without an approved assignment: no Cloud is read (the create is refused for that).
    expect(validateParameters(schema, { region: 'eu-west-1' })).toMatchObject({ region: 'eu-west-1' });
    const defaulted: BlueprintParameter[] = [{ name: 'region', type: 'string', required: false, default: 'eu-west-1', allowed_values_from: 'cloud_regions' }];
    expect(validateParameters(defaulted, {}, { cloudRegions: ['eu-west-1'] })).toEqual({ region: 'eu-west-1' });
    expect(refusal(() => validateParameters(defaulted, {}, { cloudRegions: ['us-east-1'] })).errors).toEqual([
      expect.objectContaining({ name: 'region', message: "must be one of the cloud's regions (us-east-1)" }),
    ]);
  });
});

describe("a cloud's regions", () => {
  const cloud = (region_defaults: Record<string, unknown>, provider: Cloud['provider'] = 'aws'): Cloud => ({
    id: '019100a0-2000-7000-8000-000000000001',
    display_name: 'c',
    slug: 'c',
    provider,
    endpoint: { region: 'eu-central-1' },
    region_defaults,
    external_id: 'x',
    created_at: '2026-03-01T00:00:00.000Z',
    updated_at: '2026-03-01T00:00:00.000Z',
  });

  it("are the endpoint's region and region_defaults.allowed_regions", () => {
    // The Cloud's own region is always in: a Resource that names none launches there.
    expect(cloudRegions(cloud({ allowed_regions: ['eu-west-1', 'us-east-2'] }))).toEqual(['eu-central-1', 'eu-west-1', 'us-east-2']);
    expect(cloudRegions(cloud({ allowed_regions: ['eu-central-1', 'us-east-2'] }))).toEqual(['eu-central-1', 'us-east-2']);
    expect(cloudRegions(cloud({ region: 'eu-west-1' }))).toEqual(['eu-central-1']);
    expect(parameterContext(cloud({}))).toEqual({ cloudRegions: ['eu-central-1'] });
    expect(cloudRegions(cloud({}, 'azure'))).toEqual([]);
  });

  it.each([[[]], [['eu-west-1', 'eu-west-1']], [['Europe']], ['eu-west-1']])('refuses allowed_regions %j on an aws cloud', (allowed_regions) => {
    expect(REGION_DEFAULTS_SCHEMAS.aws.safeParse({ allowed_regions }).success).toBe(false);
  });
});
