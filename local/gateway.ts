import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, STATUS_CODES, type ServerResponse } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { CONSOLE_FUNCTION, CONSOLE_ROUTES, type FunctionGroup, FUNCTION_GROUPS, ROUTES, type RouteDef, routeKey } from '../functions/api/routes.ts';
import { closeServer, listen } from './net.ts';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// API Gateway's own payload cap; the handlers enforce the contract's smaller one.
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute<R = RouteDef> {
  route: R;
  pattern: RegExp;
  params: string[];
}

function compile<R extends Pick<RouteDef, 'method' | 'path'>>(route: R): CompiledRoute<R> {
  const params: string[] = [];
  // {name} is one path segment; a greedy {name+} is the rest of the path (empty included).
  const source = route.path.replace(/\{([a-z_]+)(\+?)\}/g, (_, name: string, greedy: string) => {
    params.push(name);
    return greedy ? '(.*)' : '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), params };
}

const COMPILED = ROUTES.map(compile);
const CONSOLE = CONSOLE_ROUTES.map(compile);

export interface GatewayStats {
  invocations: Partial<Record<FunctionGroup, number>>;
}

/** Plays API Gateway (HTTP API, payload v2) and Lambda: one handler module per function group. */
export class LocalGateway {
  private readonly handlers = new Map<FunctionGroup | 'console', Promise<LambdaHandler>>();
  readonly stats: GatewayStats = { invocations: {} };

  private handlerFor(group: FunctionGroup | 'console'): Promise<LambdaHandler> {
    let loaded = this.handlers.get(group);
    if (!loaded) {
      const { entry } = group === 'console' ? CONSOLE_FUNCTION : FUNCTION_GROUPS[group];
      loaded = import(pathToFileURL(resolve(ROOT, entry)).href).then((m: { handler: LambdaHandler }) => m.handler);
      this.handlers.set(group, loaded);
    }
    return loaded;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/device') {
      res.writeHead(302, { location: `/v1/auth/device${url.search}` }).end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/console/' }).end();
      return;
    }
    const page = CONSOLE.find((c) => c.route.method === method && c.pattern.test(url.pathname));
    if (page) {
      const event = toEvent(req, url, page, page.pattern.exec(url.pathname)?.slice(1) ?? [], Buffer.alloc(0));
      writeResult(res, await (await this.handlerFor('console'))(event, lambdaContext('console')));
      return;
    }
    const candidates = COMPILED.filter((c) => c.pattern.test(url.pathname));
    const match = candidates.find((c) => c.route.method === method);
    if (!match) {
      if (candidates.length) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
        sendProblem(res, 405, 'method_not_allowed', `${url.pathname} answers ${allow}, not ${method}.`, url.pathname, { allow });
      } else {
        sendProblem(res, 404, 'route_not_found', `No route for ${method} ${url.pathname}.`, url.pathname);
      }
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendProblem(res, 413, 'request_body_too_large', 'The request body is too large.', url.pathname);
      return;
    }
    const values = match.pattern.exec(url.pathname)?.slice(1) ?? [];
    const event = toEvent(req, url, match, values, body);
    this.stats.invocations[match.route.group] = (this.stats.invocations[match.route.group] ?? 0) + 1;
    const handler = await this.handlerFor(match.route.group);
    const result = await handler(event, lambdaContext(match.route.group));
    writeResult(res, result);
  }
}

/** The gateway's own refusals (before any Lambda runs), in the same problem+json shape as the handlers'. */
function sendProblem(res: ServerResponse, status: number, code: string, detail: string, instance: string, headers: Record<string, string> = {}): void {
  const correlationId = randomUUID();
  res.writeHead(status, { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId, ...headers });
  const title = STATUS_CODES[status] ?? 'Error';
  res.end(JSON.stringify({ type: `https://plexsphere.dev/problems/${code}`, title, status, detail, instance: instance.slice(0, 512), code, correlation_id: correlationId }));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolveBody(size > GATEWAY_MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(req: IncomingMessage, url: URL, match: CompiledRoute<Pick<RouteDef, 'method' | 'path'>>, values: string[], body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k !== 'cookie' && v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const pathParameters = Object.fromEntries(match.params.map((name, i) => [name, decodePathValue(values[i] ?? '')]));
  const cookies = req.headers.cookie?.split(';').map((c) => c.trim()).filter(Boolean);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: routeKey(match.route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies?.length && { cookies }),
    ...(Object.keys(query).length && { queryStringParameters: query }),
    ...(match.params.length && { pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKey(match.route),
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 && { body: body.toString('base64'), isBase64Encoded: true }),
    ...(body.length === 0 && { isBase64Encoded: false }),
  } as APIGatewayProxyEventV2;
}

/** A path value as sent when it is not valid percent-encoding: the handler refuses it as a malformed id, not the gateway as a crash. */
function decodePathValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function lambdaContext(group: FunctionGroup | 'console'): Context {
  return {
    functionName: `plexsphere-local-${group}`,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 30_000,
  } as unknown as Context;
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

export async function startGateway(opts: { port?: number; host?: string }) {
  const gateway = new LocalGateway();
  const server = createServer((req, res) => {
    gateway.handle(req, res).catch((err: unknown) => {
      console.error(JSON.stringify({ level: 'error', message: 'gateway failure', error: String(err) }));
      if (!res.headersSent) sendProblem(res, 502, 'bad_gateway', 'The function failed to answer.', req.url ?? '');
      else res.end();
    });
  });
  const port = await listen(server, opts.port ?? 8080, opts.host);
  return { gateway, port, url: `http://localhost:${port}`, close: () => closeServer(server) };
}
