import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { subjectOf } from '../core/access.ts';
import type { AuthzSubject } from '../core/authz/model.ts';
import { authenticateNode, type NodeIdentity } from '../core/enrolment/node-auth.ts';
import { InvalidInputError, PayloadTooLargeError, UnauthenticatedError, UnsupportedMediaTypeError } from '../core/errors.ts';
import type { User } from '../core/tenancy.ts';
import { type FunctionGroup, type RouteDef, routeKey, routesOf } from '../api/routes.ts';
import type { GroupSpec } from '../api/spec.ts';
import { type Deps, deps } from './composition.ts';
import type { ApiRequest, ApiResult } from './http.ts';
import { log } from './log.ts';
import { toProblem } from './problem.ts';
import { hasSessionCookie, sessionUser } from './session-auth.ts';

// The contract's ceiling for JSON bodies; a route may raise it (RouteDef.maxBodyBytes).
export const MAX_BODY_BYTES = 8 * 1024;

/** A request after authentication: `user` and `subject` are set on routes with auth 'user'. */
export interface AuthedRequest extends ApiRequest {
  user: User;
  subject: AuthzSubject;
}

export type Operation = (req: ApiRequest & Partial<Pick<AuthedRequest, 'user' | 'subject'>>, deps: Deps) => Promise<ApiResult>;
export type UserOperation = (req: AuthedRequest, deps: Deps) => Promise<ApiResult>;

/** A node call after its NSK envelope checked out (routes with auth 'node'). */
export interface NodeRequest extends ApiRequest {
  node: NodeIdentity;
}
export type NodeOperation = (req: NodeRequest, deps: Deps) => Promise<ApiResult>;

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

function parseCookies(event: Event): Record<string, string> {
  const pairs = (event.cookies ?? []).flatMap((c) => c.split(';'));
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = decodeCookieValue(pair.slice(eq + 1).trim());
  }
  return out;
}

/** A cookie value as sent; one that is not valid percent-encoding is kept raw rather than failing the request. */
function decodeCookieValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function lowerHeaders(headers: Event['headers']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function parseBody(event: Event, headers: Record<string, string | undefined>, maxBytes: number): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body);
  if (raw.byteLength > maxBytes) {
    throw new PayloadTooLargeError('request_body_too_large', `The request body exceeds ${maxBytes} bytes.`);
  }
  // A body must say it is JSON: a browser sends a cross-site "simple" request (a form, or a body
  // with no type) without asking first, so accepting those would let another site post here.
  const type = headers['content-type'];
  if (type === undefined || !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      'unsupported_media_type',
      'Send the request body as application/json (Content-Type: application/json).',
    );
  }
  let illFormed = false;
  try {
    // A lone surrogate (\ud800) is valid JSON but not Unicode: DynamoDB would refuse the write
    // with a 5xx-shaped error after the checks passed, so it is refused here, in keys and values.
    const body = JSON.parse(raw.toString('utf8'), (key, value) => {
      if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) illFormed = true;
      return value;
    });
    if (!illFormed) return body;
  } catch {
    throw new InvalidInputError('invalid_body', 'The request body is not valid JSON.');
  }
  throw new InvalidInputError('invalid_body', 'The request body holds text that is not well-formed Unicode (a lone surrogate).');
}

async function authenticate(req: ApiRequest, d: Deps): Promise<{ user: User; subject: AuthzSubject }> {
  const user = hasSessionCookie(req) ? await sessionUser(req, d) : await bearerUser(req, d);
  return { user, subject: subjectOf(user) };
}

async function bearerUser(req: ApiRequest, d: Deps): Promise<User> {
  const header = req.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1])
    throw new UnauthenticatedError('missing_token', 'Send an access token (Authorization: Bearer <token>), or sign in to the console.');
  const claims = await d.tokens.verify(match[1]);
  // Read the user on every request: roles granted or removed take effect at once.
  const user = await d.tenancy.getUser(claims.subject);
  if (!user || user.domain_id !== claims.domainId) throw new UnauthenticatedError('invalid_token', 'The access token is not valid.');
  return user;
}

/** A caller's correlation id is kept only when it cannot break a log line or a header. */
function correlationIdOf(given: string | undefined): string {
  return given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
}

function toResult(result: ApiResult, correlationId: string): Result {
  const headers: Record<string, string> = { 'x-correlation-id': correlationId, ...result.headers };
  if (result.body === undefined) return { statusCode: result.status, headers, ...(result.cookies && { cookies: result.cookies }) };
  const isJson = result.contentType === undefined;
  headers['content-type'] ??= result.contentType ?? 'application/json';
  return {
    statusCode: result.status,
    headers,
    body: isJson ? JSON.stringify(result.body) : String(result.body),
    ...(result.cookies && { cookies: result.cookies }),
  };
}

/**
 * An answer for one caller (by token or by session cookie): no shared cache may keep it, and one
 * that keeps it anyway must key it on who asked. An operation that says otherwise keeps its own.
 */
function personal(result: ApiResult): ApiResult {
  const headers = { ...result.headers };
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'cache-control')) headers['cache-control'] = 'private, no-cache';
  headers.vary = 'authorization, cookie';
  return { ...result, headers };
}

/**
 * Builds a function group's Lambda handler: the one middleware bundle (request parsing, body
 * cap, authentication, problem+json mapping) around a dispatch on the route key. Operations have
 * no try/catch of their own. `specs` is the group's <group>.spec.ts: an operation without one
 * would be served undocumented, so that fails at load, as does a spec of no route.
 */
export function createApiHandler(
  group: FunctionGroup,
  specs: GroupSpec,
  operations: Record<string, Operation | UserOperation | NodeOperation>,
) {
  const routes = new Map<string, RouteDef>(routesOf(group).map((r) => [routeKey(r), r]));
  for (const r of routes.values()) {
    if (!operations[r.operation]) throw new Error(`route ${routeKey(r)} names missing operation ${r.operation}`);
    if (!Object.hasOwn(specs, r.operation)) throw new Error(`route ${routeKey(r)} has no spec entry ${group}.${r.operation}`);
  }
  const routed = new Set([...routes.values()].map((r) => r.operation));
  for (const name of Object.keys(specs)) {
    if (!routed.has(name)) throw new Error(`spec entry ${group}.${name} names no route of the ${group} group`);
  }
  const requests = new WeakMap<Event, ApiRequest>();

  return middy<Event, Result, Error, Context>()
    .use({
      // One line per answered request; ids, route and status only, never bodies or headers.
      after: async (request) => {
        const correlationId = requests.get(request.event)?.correlationId;
        log('debug', 'request', { correlationId, route: request.event.routeKey, status: request.response?.statusCode });
      },
      onError: async (request) => {
        const apiReq = requests.get(request.event);
        const correlationId = apiReq?.correlationId ?? randomUUID();
        const problem = toProblem(request.error, request.event.rawPath ?? '', correlationId);
        if (problem.status >= 500) {
          log('error', 'request failed', {
            correlationId,
            route: request.event.routeKey,
            error: String(request.error?.stack ?? request.error),
          });
        } else {
          log('info', 'request refused', { correlationId, route: request.event.routeKey, status: problem.status, code: problem.code });
        }
        const retryAfter = typeof problem.retry_after_seconds === 'number' ? { 'retry-after': String(problem.retry_after_seconds) } : {};
        request.response = {
          statusCode: problem.status,
          headers: { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId, ...retryAfter },
          body: JSON.stringify(problem),
        };
      },
    })
    .handler(async (event) => {
      const headers = lowerHeaders(event.headers);
      const correlationId = correlationIdOf(headers['x-correlation-id']);
      const req: ApiRequest = {
        method: event.requestContext.http.method,
        path: event.rawPath,
        routeKey: event.routeKey,
        pathParams: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers,
        cookies: parseCookies(event),
        body: undefined,
        correlationId,
        sourceIp: event.requestContext.http.sourceIp,
      };
      requests.set(event, req);
      const route = routes.get(event.routeKey);
      if (!route) throw new InvalidInputError('unknown_route', `No route ${event.routeKey} in this function.`);
      req.body = parseBody(event, headers, route.maxBodyBytes ?? MAX_BODY_BYTES);
      const d = deps();
      const operation = operations[route.operation] as Operation;
      if (route.auth === 'user') {
        const authed = await authenticate(req, d);
        return toResult(personal(await operation({ ...req, ...authed }, d)), correlationId);
      }
      if (route.auth === 'node') {
        const node = await authenticateNode(d, req.headers.authorization, req.pathParams.id);
        return toResult(await (operation as unknown as NodeOperation)({ ...req, node }, d), correlationId);
      }
      return toResult(await operation(req, d), correlationId);
    });
}
