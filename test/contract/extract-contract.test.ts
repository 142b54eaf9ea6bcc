import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTRACT_DATA_PATH, extractContract } from '../../scripts/contract/extract-contract.ts';
import { CONTRACT_PATH, loadContract } from '../support/contract.ts';

// The repository carries the contract's facts, never its prose: these check the extractor drops
// every annotation and the committed data file has none left.

const PROSE_KEYS = new Set(['description', 'summary', 'title', 'example', 'examples', 'externalDocs', '$comment']);
/** Keys whose entries are named by the document (paths, statuses, media types, field names), not keywords. */
const NAMED_ENTRIES = new Set(['paths', 'responses', 'content', 'headers', 'schemas', 'properties', 'patternProperties', '$defs', 'dependentSchemas', 'mapping']);

/** Every annotation keyword left anywhere (as `where.key`), skipping the names of named entries. */
function annotationsIn(node: unknown, where = '', namedEntries = false): string[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => annotationsIn(v, `${where}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const here = `${where}.${key}`;
    const found = !namedEntries && (PROSE_KEYS.has(key) || key.startsWith('x-')) ? [here] : [];
    return [...found, ...annotationsIn(value, here, !namedEntries && NAMED_ENTRIES.has(key))];
  });
}

/** Every string value with a space in it: the data holds names, codes, formats and patterns, never sentences. */
function sentencesIn(node: unknown): string[] {
  if (typeof node === 'string') return node.includes(' ') ? [node] : [];
  if (node === null || typeof node !== 'object') return [];
  return Object.values(node).flatMap(sentencesIn);
}

describe('the contract extractor', () => {
  const doc = {
    openapi: '3.1.0',
    info: { title: 'Made-up API', version: 'v9', description: 'Words.', license: { name: 'X', identifier: 'MIT' } },
    security: [{ bearer: [] }],
    paths: {
      '/v9/things/{id}': {
        summary: 'Words.',
        parameters: [{ in: 'path', name: 'id', description: 'Words.', schema: { type: 'string' } }],
        get: {
          operationId: 'GetThing',
          summary: 'Words.',
          description: 'More words.',
          tags: ['things'],
          'x-internal': true,
          responses: {
            '200': {
              description: 'Words.',
              headers: { Location: { description: 'Words.', required: true, schema: { type: 'string', description: 'Words.' } } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' }, example: { id: 'a' } } },
            },
            '404': {
              description: 'Words.',
              content: {
                'application/problem+json': {
                  schema: { $ref: '#/components/schemas/Problem' },
                  example: { code: 'thing_not_found', detail: 'Words.' },
                  examples: { gone: { summary: 'Words.', value: { code: 'thing_gone' } } },
                },
              },
            },
          },
        },
        post: {
          security: [],
          requestBody: { required: true, description: 'Words.', content: { 'application/json': { schema: { type: 'object' }, example: {} } } },
          responses: { '204': { description: 'Words.' } },
        },
      },
    },
    components: {
      parameters: { Limit: { in: 'query', name: 'limit', description: 'Words.' } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Words.' } },
      schemas: {
        Thing: {
          type: 'object',
          title: 'A thing',
          description: 'Words.',
          required: ['id', 'title'],
          'x-enum-varnames': ['A'],
          properties: {
            id: { type: 'string', format: 'uuid', description: 'Words.', example: 'x' },
            title: { type: 'string', maxLength: 10, description: 'A field named like a keyword.' },
            description: { type: ['string', 'null'], nullable: true },
            example: { enum: ['a', 'b'], default: 'a', examples: ['a'] },
            parts: { type: 'array', items: { type: 'integer', minimum: 0, description: 'Words.' } },
            either: { oneOf: [{ type: 'string', description: 'Words.' }, { $ref: '#/components/schemas/Problem' }] },
          },
          additionalProperties: false,
        },
        Problem: { type: 'object', properties: { code: { type: 'string', description: 'Words.' } } },
      },
    },
  };
  const data = extractContract(doc, { file: '../elsewhere/api.yaml', sha256: 'ab'.repeat(32) });

  it('drops every description, summary, title, example and vendor key, and keeps the names that look like them', () => {
    expect(annotationsIn(data)).toEqual([]);
    expect(sentencesIn(data)).toEqual([]);
    expect(data.components.schemas.Thing).toEqual({
      type: 'object',
      required: ['id', 'title'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        title: { type: 'string', maxLength: 10 },
        description: { type: ['string', 'null'], nullable: true },
        example: { enum: ['a', 'b'], default: 'a' },
        parts: { type: 'array', items: { type: 'integer', minimum: 0 } },
        either: { oneOf: [{ type: 'string' }, { $ref: '#/components/schemas/Problem' }] },
      },
      additionalProperties: false,
    });
  });

  it('keeps methods, security, statuses, content types, required headers, request bodies and the error codes of examples', () => {
    expect(data.source).toEqual({ file: '../elsewhere/api.yaml', sha256: 'ab'.repeat(32), openapi: '3.1.0', version: 'v9', license: 'MIT' });
    expect(data.security).toEqual([{ bearer: [] }]);
    expect(data.paths['/v9/things/{id}']).toEqual({
      get: {
        responses: {
          '200': {
            headers: { Location: { required: true, schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          '404': { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, codes: ['thing_gone', 'thing_not_found'] } } },
        },
      },
      post: { security: [], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } }, responses: { '204': {} } },
    });
  });

  it('refuses what is not an OpenAPI document', () => {
    expect(() => extractContract({ paths: {} }, { file: 'x', sha256: '' })).toThrow(/not an OpenAPI document/);
  });
});

describe('the committed contract data', () => {
  const data = JSON.parse(readFileSync(CONTRACT_PATH, 'utf8'));

  it('is where the extractor writes it, and names the YAML it came from and its sha256', () => {
    expect(CONTRACT_PATH).toBe(CONTRACT_DATA_PATH);
    expect(data.source).toMatchObject({ file: expect.stringMatching(/plexsphere-v1-subset\.yaml$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(data.extractedBy).toBe('scripts/contract/extract-contract.ts');
  });

  it('has no description, summary, title, example or vendor key, and no sentence, left', () => {
    expect(annotationsIn(data)).toEqual([]);
    expect(sentencesIn(data)).toEqual([]);
  });

  it('still holds what the conformance test checks against', () => {
    const contract = loadContract();
    expect(contract.operations.length).toBeGreaterThan(40);
    expect(contract.find('GET', '/v1/resources/{id}')?.responses['404']?.content?.['application/problem+json']).toMatchObject({ codes: ['resource_not_found'] });
  });
});
