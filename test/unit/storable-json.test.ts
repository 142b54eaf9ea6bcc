import { describe, expect, it } from 'vitest';
import { PublishVersionBodySchema } from '../../functions/core/catalog/blueprints.ts';
import { CreateCloudBodySchema } from '../../functions/core/catalog/clouds.ts';
import { MAX_JSON_CONTAINER_DEPTH, unstorableJson } from '../../functions/core/catalog/storable-json.ts';
import { parseBody } from '../../functions/shared/validation.ts';

/** `levels` objects one in the other, the innermost holding a scalar. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('unstorableJson: what DynamoDB cannot store', () => {
  it('takes ordinary JSON', () => {
    expect(unstorableJson({ region: 'us-east-1', n: 1, f: -0.25, big: Number.MAX_SAFE_INTEGER, tiny: 1e-130, list: [1, 'a', null, true, {}] })).toEqual([]);
  });

  it('names every number out of range, with its path', () => {
    expect(unstorableJson({ n: 1e200, list: [1, -(2 ** 60)], deep: { tiny: 1e-200 } })).toEqual([
      { path: ['n'], message: expect.any(String) },
      { path: ['list', '1'], message: expect.any(String) },
      { path: ['deep', 'tiny'], message: expect.any(String) },
    ]);
  });

  it('allows 31 objects one in the other (32 levels with the leaf), not 32', () => {
    expect(unstorableJson(nested(MAX_JSON_CONTAINER_DEPTH))).toEqual([]);
    expect(unstorableJson(nested(MAX_JSON_CONTAINER_DEPTH + 1))).toEqual([{ path: Array(MAX_JSON_CONTAINER_DEPTH).fill('a'), message: expect.any(String) }]);
    expect(unstorableJson({ a: [[[]]] }, [], MAX_JSON_CONTAINER_DEPTH - 2)).toEqual([{ path: ['a', '0', '0'], message: expect.any(String) }]);
  });
});

describe('request bodies refuse unstorable JSON as invalid_body, with the field path', () => {
  const cloud = { display_name: 'C', slug: 'c', provider: 'aws', endpoint: { region: 'us-east-1' }, region_defaults: {}, external_id: '1' };

  it.each([
    [CreateCloudBodySchema, { ...cloud, endpoint: { region: 'us-east-1', n: 1e200 } }, 'endpoint.n'],
    [CreateCloudBodySchema, { ...cloud, region_defaults: { deep: nested(MAX_JSON_CONTAINER_DEPTH) } }, `region_defaults.deep${'.a'.repeat(MAX_JSON_CONTAINER_DEPTH - 1)}`],
    [PublishVersionBodySchema, { version: '1.0.0', provider_kinds: ['aws'], injection_strategy: 'helm-values', parameter_schema: [], xrd: { spec: { replicas: 1e300 } } }, 'xrd.spec.replicas'],
    [PublishVersionBodySchema, { version: '1.0.0', provider_kinds: ['aws'], injection_strategy: 'helm-values', parameter_schema: [], composition: { x: [2 ** 53] } }, 'composition.x.0'],
  ] as const)('%#', (schema, body, path) => {
    try {
      parseBody(schema, body);
    } catch (err) {
      expect(err).toMatchObject({ name: 'InvalidInputError', code: 'invalid_body', extra: { errors: [{ path, message: expect.any(String) }] } });
      return;
    }
    throw new Error('expected invalid_body');
  });
});
