import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// Checks our responses against the published OpenAPI 3.1 subset of the Plexsphere contract, as the
// facts scripts/contract/extract-contract.ts took from it (paths, methods, statuses, content types,
// headers, schemas; no prose) into a data file of this repository. Without that file the conformance
// test fails rather than silently checking nothing.

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CONTRACT_PATH = resolve(REPO_ROOT, 'test/contract/plexsphere-v1-subset.data.json');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const SCHEMA_ID = 'https://plexsphere.invalid/contract/components';

type Json = Record<string, unknown>;

interface MediaType {
  schema?: Json;
}

interface ResponseObject {
  content?: Record<string, MediaType>;
  headers?: Record<string, { required?: boolean; $ref?: string }>;
}

export interface ContractOperation {
  method: string;
  /** The path as the contract spells it (its parameter names may differ from ours). */
  path: string;
  responses: Record<string, ResponseObject>;
  /** True when the effective security requirement is non-empty (a caller must authenticate). */
  authenticated: boolean;
  /** True when the operation declares a request body. */
  hasBody: boolean;
  hasPathParams: boolean;
}

/** Statuses the contract README adds to one operation. */
const README_ADDED_BY_OPERATION: Record<string, number[]> = {
  // The same Idempotency-Key with another body → 409 idempotency_key_reused.
  'POST /v1/projects/{}/resources': [409],
};

/**
 * Statuses the contract README adds to every operation of a kind, beyond what the YAML lists per
 * operation. Each is still checked against the Problem schema.
 * - 413 `request_body_too_large`: every request body is capped before the route reads it, so any
 *   POST, PUT or PATCH may answer it (also those documented without a body, e.g. approve).
 * - 429: throttling (the sign-in throttle; on AWS the HttpApi stage throttle can answer any route).
 * - 400 `invalid_<thing>_id`: malformed path ids are refused before lookup, on every path with an id.
 * - 401: every authenticated operation refuses a missing or bad credential.
 * Anything else a documented operation answers must be listed in the YAML.
 */
function readmeAddedStatus(op: ContractOperation, status: number): boolean {
  if (README_ADDED_BY_OPERATION[`${op.method} ${normalizePath(op.path)}`]?.includes(status)) return true;
  if (status === 413) return op.hasBody || ['POST', 'PUT', 'PATCH'].includes(op.method);
  if (status === 429) return true;
  if (status === 400) return op.hasPathParams;
  if (status === 401) return op.authenticated;
  return false;
}

/** `/v1/projects/{project_id}/resources` and `/v1/projects/{id}/resources` name the same route. */
export function normalizePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

const mediaTypeOf = (contentType: string | null | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Turns an OpenAPI schema into plain JSON Schema 2020-12 for ajv: component refs point into one
 * registered schema, `nullable: true` (a 3.0 leftover the published document still uses) becomes
 * "or null", and annotation-only vendor keys (`x-*`, `example`) are dropped. Schema-aware, so a
 * property that happens to be named `example` or `nullable` is left alone.
 */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    if (key.startsWith('x-') || key === 'example' || key === 'nullable' || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith('#/components/schemas/') ? `${SCHEMA_ID}#/$defs/${value.slice('#/components/schemas/'.length)}` : value;
    } else if (['properties', 'patternProperties', '$defs', 'dependentSchemas'].includes(key) && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else if (['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else'].includes(key)) {
      out[key] = toJsonSchema(value);
    } else if (['allOf', 'anyOf', 'oneOf', 'prefixItems'].includes(key)) {
      out[key] = toJsonSchema(value);
    } else {
      out[key] = value;
    }
  }
  return (schema as Json).nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath || '(body)';
  if (e.keyword === 'required') return `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${at}: ${e.message} ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  if (e.keyword === 'additionalProperties') return `${at}: unexpected field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${at}: ${e.message}`;
}

export interface Contract {
  operations: ContractOperation[];
  /** The contract's operation for our method and path template, if it documents one. */
  find(method: string, pathTemplate: string): ContractOperation | undefined;
  /**
   * Validates one response. Returns readable errors (empty when it conforms): an undocumented
   * operation or status, a content type other than the documented one, a body where none is
   * documented (or none where one is), and every schema violation with its JSON pointer. With
   * `headers`, also the response headers the contract requires.
   */
  checkResponse(method: string, pathTemplate: string, status: number, contentType: string | null | undefined, body: unknown, headers?: Headers): string[];
}

export function loadContract(path = CONTRACT_PATH): Contract {
  if (!existsSync(path)) {
    throw new Error(
      `The published contract's data is missing: expected ${path}. The conformance test cannot run without it; ` +
        'regenerate it from the contract YAML with scripts/contract/extract-contract.ts.',
    );
  }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
  const components = (doc.components ?? {}) as Json;
  const globalSecurity = (doc.security ?? []) as unknown[];

  /** Follows a local `$ref` (e.g. to `#/components/responses/...`) to the object it names. */
  const deref = <T>(node: unknown): T => {
    let current = node as Json;
    for (let hops = 0; current && typeof current.$ref === 'string'; hops++) {
      if (hops > 16 || !current.$ref.startsWith('#/')) throw new Error(`cannot resolve ${String(current.$ref)}`);
      let target: unknown = doc;
      for (const part of current.$ref.slice(2).split('/')) target = (target as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (target === undefined) throw new Error(`unresolved $ref ${current.$ref}`);
      current = target as Json;
    }
    return current as T;
  };

  const operations: ContractOperation[] = [];
  for (const [p, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    const pathItem = deref<Json>(item);
    for (const method of HTTP_METHODS) {
      const op = pathItem[method] as Json | undefined;
      if (!op) continue;
      const responses = Object.fromEntries(Object.entries((op.responses ?? {}) as Json).map(([s, r]) => [s, deref<ResponseObject>(r)]));
      const security = (op.security ?? globalSecurity) as unknown[];
      operations.push({
        method: method.toUpperCase(),
        path: p,
        responses,
        authenticated: security.length > 0 && !security.some((req) => req && typeof req === 'object' && Object.keys(req).length === 0),
        hasBody: op.requestBody !== undefined,
        hasPathParams: p.includes('{'),
      });
    }
  }

  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, validateFormats: true });
  addFormats(ajv);
  // OpenAPI's own formats that JSON Schema does not define.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  const defs = Object.fromEntries(Object.entries((components.schemas ?? {}) as Json).map(([name, schema]) => [name, toJsonSchema(schema)]));
  ajv.addSchema({ $id: SCHEMA_ID, $defs: defs });

  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: Json): ValidateFunction => {
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile(toJsonSchema(schema) as Json);
      validators.set(key, v);
    }
    return v;
  };
  const problemSchema: Json = { $ref: '#/components/schemas/Problem' };

  const byKey = new Map(operations.map((op) => [`${op.method} ${normalizePath(op.path)}`, op]));
  const find = (method: string, pathTemplate: string) => byKey.get(`${method.toUpperCase()} ${normalizePath(pathTemplate)}`);

  return {
    operations,
    find,
    checkResponse(method, pathTemplate, status, contentType, body, headers) {
      const where = `${method.toUpperCase()} ${pathTemplate} → ${status}`;
      const op = find(method, pathTemplate);
      if (!op) return [`${where}: the contract documents no such operation`];
      const code = String(status);
      const declared = op.responses[code] ?? op.responses[`${code[0]}XX`] ?? op.responses.default;
      let response: ResponseObject;
      if (declared) response = declared;
      else if (readmeAddedStatus(op, status)) response = { content: { 'application/problem+json': { schema: problemSchema } } };
      else return [`${where}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`];

      const missing = headers ? missingHeaders(response, headers).map((h) => `${where}: missing the ${h} header`) : [];
      return [...missing, ...checkBody(where, response, code, op, contentType, body)];
    },
  };

  function checkBody(where: string, response: ResponseObject, code: string, op: ContractOperation, contentType: string | null | undefined, body: unknown): string[] {
    const media = mediaTypeOf(contentType);
    const content = response.content ?? {};
    const empty = body === undefined || body === '' || body === null;
    if (Object.keys(content).length === 0) {
      return empty ? [] : [`${where}: the contract documents no body, got ${media || 'a body'}`];
    }
    const mediaType = content[media];
    if (!mediaType) return [`${where}: content type ${media || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
    // Only JSON bodies are schema-checked (the event stream's 200 is text/event-stream).
    if (!mediaType.schema || !media.endsWith('json')) return [];
    if (empty) return [`${where}: the contract documents a ${media} body, got none`];
    const validate = validatorFor(`${op.method} ${op.path} ${code} ${media}`, mediaType.schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${where}: ${describeError(e)}`);
  }
}

/**
 * Headers a response must carry: those the contract marks required, and `Location` wherever it
 * documents one (the contract README has every create answer with the new thing's read URL).
 */
function missingHeaders(response: ResponseObject, headers: Headers): string[] {
  return Object.entries(response.headers ?? {})
    .filter(([name, h]) => h.required === true || name.toLowerCase() === 'location')
    .map(([name]) => name)
    .filter((name) => !headers.get(name));
}
