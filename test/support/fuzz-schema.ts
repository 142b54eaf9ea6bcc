// Values from the JSON Schemas of our own OpenAPI document: a plausible valid body, and bodies
// that break it one way at a time. Everything is drawn from a seeded generator, so a failing
// case replays the same on every run.

export type Schema = Record<string, unknown>;

/** mulberry32: small, fast and good enough to pick cases; the same seed gives the same run. */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)] as never,
  };
}

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export const SAMPLE_UUID = '019100c0-0d00-7000-8000-0000000000ee';

/** Strings that have broken parsers, logs and stores before. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202egnp.exe',
  '\ud800',
  '\udfff\ud800',
  '😀👩‍👩‍👧‍👦',
  'e\u0301',
  '\u00e9',
  'ﬃ',
  '\ufeff',
  '\r\nSet-Cookie: x=1',
  '../../../etc/passwd',
  '%00%2e%2e%2f',
  "' OR '1'='1",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, sent as a literal
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'DOMAIN#x',
  'PK',
  '\u0085\u2028\u2029',
  'x'.repeat(300),
  '١٢٣',
  '-1',
  'NaN',
  'null',
  'true',
];

/** JSON values of every type, to put where the schema wants another. */
const VALUES_BY_TYPE: Record<string, unknown[]> = {
  string: ['x', '', '0'],
  integer: [0, -1, 2 ** 53 + 1],
  number: [1.5, -0, 1e308],
  boolean: [true, false],
  null: [null],
  array: [[], [1], ['x']],
  object: [{}, { a: 1 }],
};

function typesOf(schema: Schema): string[] {
  const t = schema.type;
  if (typeof t === 'string') return t === 'integer' ? ['integer', 'number'] : t === 'number' ? ['number', 'integer'] : [t];
  if (Array.isArray(t)) return t as string[];
  if (schema.const !== undefined) return [typeof schema.const];
  return [];
}

/** Values of a type the schema cannot accept; none when the schema takes any type. */
export function wrongTypes(schema: Schema): unknown[] {
  const allowed = typesOf(schema);
  if (allowed.length === 0) return [];
  return Object.entries(VALUES_BY_TYPE)
    .filter(([type]) => !allowed.includes(type))
    .flatMap(([, values]) => values);
}

/** The first branch of a oneOf/anyOf: one valid shape is enough to mutate from. */
export function branch(schema: Schema): Schema {
  const options = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  return options?.[0] ?? schema;
}

/** A value the schema accepts, as far as a schema can say (ids are a sample, not a real one). */
export function sampleOf(schema: Schema, ids: Record<string, string> = {}, name = ''): unknown {
  const s = branch(schema);
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const type = typesOf(s)[0];
  if (type === 'object') {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required ?? []) as string[]);
    // Required fields, and optional ones the caller has a real value for (a domain to sign in to).
    return Object.fromEntries(Object.entries(props).filter(([k]) => required.has(k) || ids[k] !== undefined).map(([k, v]) => [k, sampleOf(v, ids, k)]));
  }
  if (type === 'array') return Array.from({ length: Number(s.minItems ?? 0) }, () => sampleOf((s.items ?? {}) as Schema, ids, name));
  if (type === 'integer' || type === 'number') return Number(s.minimum ?? 1);
  if (type === 'boolean') return false;
  if (type === 'string') return sampleString(s, ids, name);
  return {};
}

function sampleString(s: Schema, ids: Record<string, string>, name: string): string {
  if (ids[name]) return ids[name] as string;
  const pattern = String(s.pattern ?? '');
  if (pattern.includes('[0-9a-f]{8}-')) return SAMPLE_UUID;
  if (s.format === 'date-time' || pattern.includes('T(?:')) return new Date(Date.now() + 3_600_000).toISOString();
  if (pattern.includes('\\/\\d{1,2}')) return '10.0.0.0/24';
  const base = `fuzz-${name || 'value'}`.replace(/_/g, '-');
  return base.slice(0, Number(s.maxLength ?? 64));
}

/** The properties of an object schema (its first branch), with which are required. */
export function fieldsOf(schema: Schema): { name: string; schema: Schema; required: boolean }[] {
  const s = branch(schema);
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries((s.properties ?? {}) as Record<string, Schema>).map(([name, fs]) => ({ name, schema: fs, required: required.has(name) }));
}

/** `[[[…]]]` `depth` levels deep, as text (JSON.stringify would itself recurse that deep). */
export function deepArrayText(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** `{"a":{"a":…}}` `depth` levels deep, as text. */
export function deepObjectText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A JSON object's text with one field's value replaced by raw JSON text (deep nesting, broken bytes). */
export function withRawField(body: Record<string, unknown>, field: string, rawValue: string): string {
  const rest = JSON.stringify({ ...body, [field]: '\u0001RAW\u0001' });
  return rest.replace('"\\u0001RAW\\u0001"', rawValue);
}
