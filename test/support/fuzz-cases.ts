import type { RouteDef } from '../../functions/api/routes.ts';
import type { FuzzRequest } from './fuzz-http.ts';
import { fieldsOf, ODD_STRINGS, type Rng, type Schema, sampleOf, wrongTypes, withRawField, deepArrayText, deepObjectText } from './fuzz-schema.ts';
import type { FuzzWorld } from './fuzz-world.ts';
import { UNKNOWN_ID } from './route-cases.ts';

// The cases for one operation of our OpenAPI document. A case is `refused` when it must be
// refused whatever the broker's state (bad credentials, a body its schema cannot accept, a path
// id that is not one or not the caller's, a page size out of range): those batches are checked
// by a table diff. The rest (odd but well-formed input) may be served; only the answer's shape
// is checked for them.

export interface FuzzCase {
  family: string;
  refused: boolean;
  req: FuzzRequest;
}

export interface Operation {
  route: RouteDef;
  op: Schema;
  body?: Schema;
  /** The body schema's component name. */
  bodyName?: string;
  bodyRequired: boolean;
  query: string[];
  /** The methods the document has for this path. */
  methodsOfPath: string[];
  /** 5xx statuses the operation documents as its own answer (a 501 for what is not provisioned). */
  documented: number[];
}

export const MIN_CASES = 200;

/** Path segments that are not ids, some with broken percent-encoding (sent raw). */
const NOT_IDS = ['nope', '0', '-1', 'null', '__proto__', 'constructor', UNKNOWN_ID.toUpperCase(), `{${UNKNOWN_ID}}`, `${UNKNOWN_ID}x`, 'x'.repeat(5000), '%00', '%E0%A4%A', '%zz', '%', '%2e%2e', '%ED%A0%80', '😀', "'%20OR%201=1"];
const RAW = /%/;
/** Creates under a real parent whose success changes nothing another case relies on. */
const HARMLESS_POSTS = /\/(cloud-credentials|versions|credential-assignments|webhooks|lease)$/;
const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]);
const OVER_GATEWAY_LIMIT = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);

const JSON_TYPE = { 'content-type': 'application/json' };
const WRONG_MEDIA = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp', 'text/json'];
const NOT_JSON = ['{', '{"a":}', "{'a':1}", 'NaN', '[1,]', '\u0000', '\ufeff{}', '{"a":1}{"b":2}', 'undefined'];
const BAD_LIMITS = ['-1', '0', '201', '1e9', '1000000000', 'abc', '1.5', '0x10', '%00', '1&limit=2'];
const BAD_CURSORS = ['garbage', 'a.b', '', '..', 'x'.repeat(3000), `${Buffer.from('{"v":1,"a":"x","b":"y"}').toString('base64url')}.AAAA`];

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) goes as its raw, invalid UTF-8 bytes. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

function segment(value: string): string {
  return RAW.test(value) ? value : encode(value);
}

function collection(path: string): string {
  return path.split('/')[2] ?? '';
}

/** The path with ids of `ids` (or `fill` for any param it has none for). */
function pathWith(route: RouteDef, ids: Record<string, string>, fill?: string): string {
  return route.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => segment(fill ?? (name === 'delivery_id' ? ids.delivery : ids[collection(route.path)]) ?? UNKNOWN_ID));
}

/** The credential a route's valid caller presents. */
function validAuth(route: RouteDef, w: FuzzWorld): Record<string, string> {
  if (route.auth === 'user') return { authorization: `Bearer ${route.group === 'catalog' ? w.tokens.operator : w.tokens.admin}` };
  if (route.auth === 'node') return { authorization: `Bearer ${w.journey.node.bearer}` };
  if (route.auth === 'session') return { cookie: w.session.cookie, 'x-plexsphere-csrf': w.session.csrf };
  return {};
}

function badAuths(route: RouteDef, w: FuzzWorld): [string, Record<string, string>][] {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  if (route.auth === 'user') {
    return [
      ['no-token', {}],
      ['basic', { authorization: 'Basic YWRtaW46cGFzc3dvcmQ=' }],
      ['bearer-no-value', { authorization: 'Bearer' }],
      ['garbage-cookie', { cookie: 'plexsphere_session=garbage%zz' }],
      ['signed-out-session', { cookie: w.signedOut.cookie, 'x-plexsphere-csrf': w.signedOut.csrf }],
      ...Object.entries(w.badUserTokens).map(([k, t]): [string, Record<string, string>] => [`token-${k}`, bearer(t)]),
    ];
  }
  if (route.auth === 'node') {
    return [['no-nsk', {}], ...Object.entries(w.badNodeBearers).map(([k, t]): [string, Record<string, string>] => [`nsk-${k}`, bearer(t)])];
  }
  if (route.auth === 'session') {
    const { cookie, csrf } = w.session;
    return [
      ['no-session', {}],
      ['session-no-csrf', { cookie }],
      ['session-wrong-csrf', { cookie, 'x-plexsphere-csrf': `${csrf}x` }],
      ['csrf-no-session', { 'x-plexsphere-csrf': csrf }],
      ['garbage-session', { cookie: 'plexsphere_session=garbage; plexsphere_csrf=x', 'x-plexsphere-csrf': 'x' }],
      ['bearer-instead', bearer(w.tokens.admin)],
      ['signed-out-session', { cookie: w.signedOut.cookie, 'x-plexsphere-csrf': w.signedOut.csrf }],
    ];
  }
  return [];
}

export function buildCases(o: Operation, w: FuzzWorld, rng: Rng): FuzzCase[] {
  const { route } = o;
  const cases: FuzzCase[] = [];
  const auth = validAuth(route, w);
  const hasParams = route.path.includes('{');
  const realPath = pathWith(route, w.ids);
  const unknownPath = hasParams ? pathWith(route, w.ids, UNKNOWN_ID) : route.path;
  const sample = o.body ? { ...(sampleOf(o.body, w.fieldIds) as Record<string, unknown>), ...w.bodies[o.bodyName ?? ''] } : undefined;
  const sampleText = sample ? JSON.stringify(sample) : undefined;
  const fields = o.body ? fieldsOf(o.body) : [];
  // Where a case that may be served goes: the real thing when serving it harms nothing later
  // cases need (a read, an edit, a create under it, a node's own calls), an unknown id otherwise.
  const harmless = ['GET', 'PATCH', 'PUT'].includes(route.method) || route.auth === 'node' || HARMLESS_POSTS.test(route.path);
  const servedPath = harmless ? realPath : unknownPath;
  const add = (family: string, refused: boolean, path: string, headers: Record<string, string>, body?: string | Buffer) =>
    cases.push({ family, refused, req: { method: route.method, path, headers, ...(body !== undefined && { body: Buffer.isBuffer(body) ? body : Buffer.from(body) }) } });
  // A body that may be served goes where serving it harms nothing (see servedPath).
  const withBody = (family: string, refused: boolean, text: string | Buffer, headers: Record<string, string> = { ...auth, ...JSON_TYPE }, path?: string) =>
    add(family, refused, path ?? (refused ? realPath : servedPath), headers, text);

  // Credentials: none, garbage, forged, expired, replayed across nodes; the rest of the request is valid.
  for (const [name, headers] of badAuths(route, w)) {
    const h = sampleText ? { ...headers, ...JSON_TYPE } : headers;
    add(`auth:${name}`, true, realPath, h, sampleText);
    if (hasParams) add(`auth:${name}:unknown-id`, true, unknownPath, h, sampleText);
  }

  // The sample body of these two is itself a replay: a device code already exchanged, a bootstrap token already used.
  if (sampleText && (route.path === '/v1/auth/device-token' || route.path === '/v1/register')) {
    for (let i = 0; i < 5; i++) withBody('replay', true, sampleText);
  }

  // Guessing: passwords of a real account, user codes from a real session. Each is refused, and
  // each may move a throttle counter (the diff leaves those out, see the test).
  if (route.path === '/v1/auth/sign-in' && sample) {
    for (let i = 0; i < 10; i++) withBody('guess:password', true, JSON.stringify({ ...sample, password: `guess-${rng.int(1e9)}` }));
  }
  if (route.auth === 'session') {
    for (let i = 0; i < 10; i++) withBody('guess:user-code', true, JSON.stringify({ user_code: `${rng.int(1e4)}`.padStart(4, 'B').concat('-WXYZ') }));
  }

  if (o.body && sample) {
    for (const f of fields) {
      for (const v of wrongTypes(f.schema)) withBody(`body:wrong-type:${f.name}`, true, JSON.stringify({ ...sample, [f.name]: v }));
      if (f.required) {
        const { [f.name]: _gone, ...rest } = sample;
        withBody(`body:missing:${f.name}`, true, JSON.stringify(rest));
      }
      if (wrongTypes(f.schema).length > 0) {
        withBody(`body:deep-array:${f.name}`, true, withRawField(sample, f.name, deepArrayText(3000)));
        withBody(`body:huge-string:${f.name}`, true, JSON.stringify({ ...sample, [f.name]: 'x'.repeat(1024 * 1024) }));
      } else {
        withBody(`body:deep-object:${f.name}`, false, withRawField(sample, f.name, deepObjectText(1200)));
      }
      // A free-form object may be stored as given: deeper than DynamoDB's 32 levels, and much deeper.
      if (f.schema.type === 'object' && !f.schema.properties) {
        for (const depth of [33, 40, 1200]) withBody(`body:deep-free-form:${f.name}`, false, withRawField(sample, f.name, deepObjectText(depth)));
      }
      const [head = '', tail = ''] = withRawField(sample, f.name, '"\u0002"').split('\u0002');
      withBody(`body:invalid-utf8:${f.name}`, false, Buffer.concat([Buffer.from(head), INVALID_UTF8, Buffer.from(tail)]));
      // Each with its own slug, so a create gets past the slug's uniqueness to the odd value.
      const fresh = (n: number) => (typeof sample.slug === 'string' && f.name !== 'slug' ? { slug: `${sample.slug}-${rng.int(1e9)}-${n}` } : {});
      ODD_STRINGS.forEach((s, n) => {
        if (typeof sample[f.name] === 'string' || f.schema.type === 'string') withBody(`body:odd-string:${f.name}`, false, JSON.stringify({ ...sample, ...fresh(n), [f.name]: s }));
      });
    }
    if (route.auth === 'user' && typeof sample.domain_id === 'string') {
      withBody('body:other-tenants-id:domain_id', true, JSON.stringify({ ...sample, domain_id: w.otherIds.domains }));
    }
    for (const extra of ['surprise', '__proto__', 'constructor', 'PK', '', 'GSI1PK']) withBody(`body:extra-field:${extra || 'empty'}`, true, JSON.stringify({ ...sample, [extra]: 1 }));
    for (const whole of ['null', '[]', '"x"', '1', 'true']) withBody(`body:not-an-object:${whole}`, o.bodyRequired || whole !== 'null', whole);
    for (const text of NOT_JSON) withBody('body:not-json', true, text);
    for (const type of WRONG_MEDIA) withBody(`body:media-type:${type}`, true, sampleText as string, { ...auth, 'content-type': type });
    withBody('body:no-media-type', true, sampleText as string, { ...auth });
    withBody('body:deep-10k', true, deepArrayText(10_000));
    withBody('body:deep-10k-object', true, deepObjectText(10_000));
    withBody('body:over-gateway-limit', true, OVER_GATEWAY_LIMIT);
    withBody('body:1mib-json', true, JSON.stringify({ ...sample, padding: 'x'.repeat(1024 * 1024) }));
  } else if (route.method !== 'GET') {
    // A body where the operation reads none: it may be ignored, never a failure.
    for (const text of ['{}', '{"surprise":1}', 'null', '{', deepArrayText(3000)]) withBody('body:unread', false, text);
    withBody('body:unread-media-type', false, '{}', { ...auth, 'content-type': 'text/plain' });
  }
  if (route.method === 'GET') add('body:on-get', false, servedPath, { ...auth, ...JSON_TYPE }, '{"a":1}');

  if (hasParams) {
    for (const id of NOT_IDS) add(`path:not-an-id:${id.slice(0, 12)}`, true, pathWith(route, w.ids, id), sampleText ? { ...auth, ...JSON_TYPE } : auth, sampleText);
    add('path:unknown-id', true, unknownPath, sampleText ? { ...auth, ...JSON_TYPE } : auth, sampleText);
    const otherId = w.otherIds[collection(route.path)];
    if (otherId && route.auth !== 'node') {
      // The second tenant's real id, asked for by our domain admin.
      add('path:other-tenants-id', true, pathWith(route, w.ids, otherId), { authorization: `Bearer ${w.tokens.admin}`, ...(sampleText && JSON_TYPE) }, sampleText);
    }
    if (otherId && route.auth === 'node') add('path:other-tenants-node', true, pathWith(route, w.ids, otherId), sampleText ? { ...auth, ...JSON_TYPE } : auth, sampleText);
    if (route.auth === 'user') {
      // Our real ids, asked for by the second tenant's admin; the shared catalog may be read by anyone signed in.
      const catalogRead = route.method === 'GET' && route.group === 'catalog';
      add('path:ours-by-other-tenant', !catalogRead, realPath, { authorization: `Bearer ${w.tokens.otherAdmin}`, ...(sampleText && JSON_TYPE) }, sampleText);
    }
  }

  // A method the path does not answer: 405 from the gateway, before any function runs.
  for (const method of ['OPTIONS', 'TRACE', 'HEAD', 'PATCH', 'PUT', 'DELETE', 'POST', 'GET'].filter((m) => !o.methodsOfPath.includes(m))) {
    cases.push({ family: `method:${method}`, refused: true, req: { method, path: realPath, headers: auth } });
  }

  const listed = o.query.includes('limit');
  const join = (path: string, q: string) => `${path}${path.includes('?') ? '&' : '?'}${q}`;
  const baseQuery = o.query.includes('domain_id') && route.path !== '/v1/auth/idp-bindings' ? `?domain_id=${w.ids.domains}` : '';
  if (listed) {
    for (const l of BAD_LIMITS) add(`query:limit:${l}`, true, join(`${realPath}${baseQuery}`, `limit=${l}`), auth);
  }
  if (o.query.includes('cursor')) {
    for (const c of BAD_CURSORS.filter(Boolean)) add('query:cursor-garbage', true, join(`${realPath}${baseQuery}`, `cursor=${encodeURIComponent(c)}`), auth);
    add('query:cursor-of-another-caller-or-query', route.path !== '/v1/projects' || route.auth !== 'user', join(`${realPath}${baseQuery}`, `cursor=${encodeURIComponent(w.foreignCursor)}`), auth);
    if (route.path === '/v1/projects') {
      add('query:cursor-of-another-caller', true, `${realPath}?domain_id=${w.ids.domains}&cursor=${encodeURIComponent(w.foreignCursor)}`, { authorization: `Bearer ${w.tokens.operator}` });
      add('query:cursor-of-another-domain-query', true, `${realPath}?domain_id=${w.otherIds.domains}&cursor=${encodeURIComponent(w.foreignCursor)}`, auth);
    }
  }
  for (const q of o.query.filter((n) => n !== 'limit' && n !== 'cursor')) {
    for (const s of ['nope', '-1', '%00', '%zz', 'x'.repeat(4000), UNKNOWN_ID]) add(`query:${q}`, false, join(servedPath, `${q}=${s}`), auth);
  }
  if (o.query.includes('domain_id')) {
    // Another tenant's domain as a filter: a caller with no role in it reads nothing of it (issue #14, item 3).
    add('query:domain_id:other-tenant', route.auth === 'user', join(realPath, `domain_id=${w.otherIds.domains}`), auth);
  }
  for (const q of ['%zz=1', 'a=%00', '__proto__[x]=1', `x=${'y'.repeat(4000)}`, 'limit=1&limit=2&limit=3', '=&&=']) add('query:odd', false, join(servedPath, q), auth);

  return pad(cases, o, w, rng, { auth, realPath, unknownPath, servedPath, sample, fields, hasParams, add, withBody });
}

interface PadKit {
  auth: Record<string, string>;
  realPath: string;
  unknownPath: string;
  servedPath: string;
  sample: Record<string, unknown> | undefined;
  fields: ReturnType<typeof fieldsOf>;
  hasParams: boolean;
  add: (family: string, refused: boolean, path: string, headers: Record<string, string>, body?: string | Buffer) => void;
  withBody: (family: string, refused: boolean, text: string | Buffer, headers?: Record<string, string>, path?: string) => void;
}

/** Random draws from the families until the operation has MIN_CASES. */
function pad(cases: FuzzCase[], o: Operation, w: FuzzWorld, rng: Rng, k: PadKit): FuzzCase[] {
  const { route } = o;
  const sampleText = k.sample ? JSON.stringify(k.sample) : undefined;
  const headersFor = (h: Record<string, string>) => (sampleText ? { ...h, ...JSON_TYPE } : h);
  const randomText = () => Array.from({ length: 1 + rng.int(40) }, () => String.fromCharCode(rng.int(0xffff))).join('');
  const draws: (() => void)[] = [
    () => k.add('random:odd-path-id', true, route.path.includes('{') ? pathWith(route, w.ids, `${rng.pick(ODD_STRINGS)}${rng.int(1000)}`) : `${route.path}/${segment(randomText())}`, headersFor(k.auth), sampleText),
    () => route.auth !== 'none' && k.add('random:garbage-credential', true, k.realPath, headersFor({ authorization: `Bearer ${Buffer.from(randomText()).toString('base64url')}` }), sampleText),
    () => k.add('random:query', false, `${k.servedPath}?${encode(randomText())}=${encode(randomText())}`, k.auth),
    () => k.add('random:correlation-id', false, k.servedPath, { ...k.auth, 'x-correlation-id': encode(randomText()).slice(0, 200) }),
  ];
  if (k.sample && k.fields.length > 0) {
    const sample = k.sample;
    draws.push(
      () => {
        const f = rng.pick(k.fields);
        const wrong = wrongTypes(f.schema);
        if (wrong.length) k.withBody(`random:wrong-type:${f.name}`, true, JSON.stringify({ ...sample, [f.name]: rng.pick(wrong) }));
        else k.withBody(`random:any-value:${f.name}`, false, JSON.stringify({ ...sample, [f.name]: randomText() }), undefined, k.servedPath);
      },
      () => {
        const f = rng.pick(k.fields);
        k.withBody(`random:text:${f.name}`, false, JSON.stringify({ ...sample, [f.name]: randomText() }), undefined, k.servedPath);
      },
    );
  }
  while (cases.length < MIN_CASES) rng.pick(draws)();
  return cases;
}
