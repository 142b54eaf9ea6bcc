// Extracts the facts our conformance test checks from the published OpenAPI subset of the Plexsphere
// contract: paths, methods, security, status codes, content types, headers, schemas and the error
// codes of its error examples. Every description, summary, title, example and vendor note is left
// behind, so the repository carries facts from the contract and none of its prose.
//
//   npx tsx scripts/contract/extract-contract.ts <path to plexsphere-v1-subset.yaml> [--out <file>]
//
// The output names its source (path and sha256) so that a later run can tell whether it changed.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CONTRACT_DATA_PATH = resolve(REPO_ROOT, 'test/contract/plexsphere-v1-subset.data.json');

type Json = Record<string, unknown>;

export interface ContractSource {
  /** The published YAML it was extracted from, by file name (the sha256 pins the exact copy). */
  file: string;
  sha256: string;
}

export interface ContractData {
  source: ContractSource & { openapi: string; version: string; license: string | null };
  extractedBy: string;
  security: unknown[];
  paths: Record<string, Json>;
  components: { schemas: Record<string, unknown> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** JSON Schema keywords that state a fact about the value. Anything else (prose, examples, x-*) is dropped. */
const SCHEMA_VALUE_KEYS = new Set([
  '$ref',
  'type',
  'format',
  'enum',
  'const',
  'default',
  'required',
  'nullable',
  'readOnly',
  'writeOnly',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
  'dependentRequired',
  'contentEncoding',
  'contentMediaType',
]);
/** Keywords whose value is one subschema. */
const SUBSCHEMA_KEYS = new Set([
  'items',
  'additionalProperties',
  'not',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
  'unevaluatedProperties',
  'unevaluatedItems',
]);
/** Keywords whose value is a list of subschemas. */
const SUBSCHEMA_LIST_KEYS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value maps names (kept as they are) to subschemas. */
const SUBSCHEMA_MAP_KEYS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A schema with only its fact keywords, recursively; property names survive whatever they are called. */
export function stripSchema(schema: unknown): unknown {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema)) return undefined;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SCHEMA_VALUE_KEYS.has(key)) out[key] = value;
    else if (SUBSCHEMA_KEYS.has(key)) out[key] = stripSchema(value);
    else if (SUBSCHEMA_LIST_KEYS.has(key) && Array.isArray(value)) out[key] = value.map(stripSchema);
    else if (SUBSCHEMA_MAP_KEYS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripSchema(sub)]));
    } else if (key === 'discriminator' && isObject(value)) {
      out[key] = { propertyName: value.propertyName, ...(isObject(value.mapping) && { mapping: value.mapping }) };
    }
  }
  return out;
}

/** The `code` of each error example of a media type (`example` or `examples.*.value`). */
function exampleCodes(media: Json): string[] {
  const samples = [media.example, ...(isObject(media.examples) ? Object.values(media.examples).map((e) => (isObject(e) ? e.value : undefined)) : [])];
  const codes = samples.flatMap((s) => (isObject(s) && typeof s.code === 'string' ? [s.code] : []));
  return [...new Set(codes)].sort();
}

function stripContent(content: unknown, withCodes: boolean): Json | undefined {
  if (!isObject(content)) return undefined;
  return Object.fromEntries(
    Object.entries(content).map(([mediaType, media]) => {
      const m = isObject(media) ? media : {};
      const codes = withCodes ? exampleCodes(m) : [];
      return [mediaType, { ...(m.schema !== undefined && { schema: stripSchema(m.schema) }), ...(codes.length > 0 && { codes }) }];
    }),
  );
}

function stripResponse(response: unknown): Json {
  if (!isObject(response)) return {};
  if (typeof response.$ref === 'string') return { $ref: response.$ref };
  const out: Json = {};
  if (isObject(response.headers)) {
    out.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, h]) => {
        const header = isObject(h) ? h : {};
        if (typeof header.$ref === 'string') return [name, { $ref: header.$ref }];
        return [name, { ...(header.required !== undefined && { required: header.required }), ...(header.schema !== undefined && { schema: stripSchema(header.schema) }) }];
      }),
    );
  }
  const content = stripContent(response.content, true);
  if (content) out.content = content;
  return out;
}

function stripOperation(op: Json): Json {
  const out: Json = {};
  if (Array.isArray(op.security)) out.security = op.security;
  if (isObject(op.requestBody)) {
    const body = op.requestBody;
    out.requestBody =
      typeof body.$ref === 'string'
        ? { $ref: body.$ref }
        : { ...(body.required !== undefined && { required: body.required }), content: stripContent(body.content, false) ?? {} };
  }
  out.responses = Object.fromEntries(Object.entries(isObject(op.responses) ? op.responses : {}).map(([status, r]) => [status, stripResponse(r)]));
  return out;
}

/** The data file's content for a parsed OpenAPI document. */
export function extractContract(doc: unknown, source: ContractSource): ContractData {
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !isObject(doc.paths)) throw new Error('not an OpenAPI document: no openapi version or paths');
  const info = isObject(doc.info) ? doc.info : {};
  const license = isObject(info.license) ? (info.license.identifier ?? info.license.name) : undefined;
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!isObject(item)) continue;
    if (typeof item.$ref === 'string') {
      paths[path] = { $ref: item.$ref };
      continue;
    }
    paths[path] = Object.fromEntries(HTTP_METHODS.filter((m) => isObject(item[m])).map((m) => [m, stripOperation(item[m] as Json)]));
  }
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  return {
    source: { ...source, openapi: doc.openapi, version: String(info.version ?? ''), license: typeof license === 'string' ? license : null },
    extractedBy: 'scripts/contract/extract-contract.ts',
    security: Array.isArray(doc.security) ? doc.security : [],
    paths,
    components: { schemas: Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, stripSchema(s)])) },
  };
}

/** Reads the YAML at `yamlPath` and writes the data file; returns what it wrote. */
export function extractContractFile(yamlPath: string, outPath = CONTRACT_DATA_PATH): ContractData {
  const text = readFileSync(yamlPath);
  const source = { file: basename(yamlPath), sha256: createHash('sha256').update(text).digest('hex') };
  const data = extractContract(parse(text.toString('utf8')), source);
  writeFileSync(outPath, `${JSON.stringify(data, null, 2)}\n`);
  return data;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
  const [yamlPath] = positionals;
  if (!yamlPath || positionals.length > 1) {
    console.error('usage: npx tsx scripts/contract/extract-contract.ts <plexsphere-v1-subset.yaml> [--out <file>]');
    process.exit(2);
  }
  const out = values.out ? resolve(values.out) : CONTRACT_DATA_PATH;
  const data = extractContractFile(yamlPath, out);
  const operations = Object.values(data.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(`${relative(process.cwd(), out)}: ${operations} operations, ${Object.keys(data.components.schemas).length} schemas (sha256 ${data.source.sha256.slice(0, 12)}…)`);
}
