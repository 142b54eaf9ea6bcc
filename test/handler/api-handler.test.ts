import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as catalog } from '../../functions/api/catalog.handler.ts';
import { handler as tenancy } from '../../functions/api/tenancy.handler.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The Lambda handlers called directly with API Gateway v2 events, as Lambda would, without the
// local gateway: what the middy bundle does with the event's own shapes (base64 bodies, cookies,
// route keys), the body cap, problem+json, correlation ids, and what reaches the log.
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const context = { functionName: 'test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function event(method: string, routeKeyPath: string, rawPath: string, opts: { token?: string; body?: string; base64?: boolean; headers?: Record<string, string>; pathParameters?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  const routeKey = `${method} ${routeKeyPath}`;
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: { ...(opts.token && { Authorization: `Bearer ${opts.token}` }), ...(opts.body !== undefined && { 'content-type': 'application/json' }), ...opts.headers },
    ...(opts.pathParameters && { pathParameters: opts.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'apigw-1',
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(opts.body !== undefined && { body: opts.base64 ? Buffer.from(opts.body).toString('base64') : opts.body, isBase64Encoded: Boolean(opts.base64) }),
  } as APIGatewayProxyEventV2;
}

async function invoke(fn: typeof tenancy, e: APIGatewayProxyEventV2) {
  const res = (await fn(e, context)) as APIGatewayProxyStructuredResultV2;
  return { ...res, json: res.body ? JSON.parse(res.body) : undefined };
}

describe('the API handler bundle, invoked as Lambda would', () => {
  it('reads a base64-encoded JSON body, as API Gateway sends binary-safe payloads', async () => {
    const token = await stack.tokenFor('admin');
    const body = JSON.stringify({ domain_id: FIXTURES.domain.id, name: 'Handler', slug: 'handler-b64' });
    const res = await invoke(tenancy, event('POST', '/v1/projects', '/v1/projects', { token, body, base64: true, headers: { 'Content-Type': 'application/json' } }));
    expect(res.statusCode).toBe(201);
    expect(res.json).toMatchObject({ slug: 'handler-b64', domain_id: FIXTURES.domain.id });
  });

  it('answers problem+json with the code, the instance path and a correlation id it also sends as a header', async () => {
    const res = await invoke(tenancy, event('GET', '/v1/projects/{id}', '/v1/projects/nope', { token: await stack.tokenFor('admin'), pathParameters: { id: 'nope' } }));
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ status: 400, code: 'invalid_project_id', instance: '/v1/projects/nope', correlation_id: expect.any(String) });
    expect(res.headers?.['x-correlation-id']).toBe(res.json.correlation_id);
  });

  it("keeps a caller's well-formed correlation id and replaces one that could forge log lines", async () => {
    const token = await stack.tokenFor('admin');
    const kept = await invoke(tenancy, event('GET', '/v1/projects/{id}', '/v1/projects/x', { token, pathParameters: { id: 'x' }, headers: { 'X-Correlation-Id': 'trace-42.a_b' } }));
    expect(kept.json.correlation_id).toBe('trace-42.a_b');
    const replaced = await invoke(tenancy, event('GET', '/v1/projects/{id}', '/v1/projects/x', { token, pathParameters: { id: 'x' }, headers: { 'X-Correlation-Id': 'a\n{"level":"error"}' } }));
    expect(replaced.json.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body over the cap with 413 before parsing it, and a body not said to be JSON with 415', async () => {
    const token = await stack.tokenFor('admin');
    const big = await invoke(tenancy, event('POST', '/v1/projects', '/v1/projects', { token, body: JSON.stringify({ name: 'x'.repeat(9000) }) }));
    expect(big.statusCode).toBe(413);
    expect(big.json.code).toBe('request_body_too_large');
    const form = await invoke(tenancy, event('POST', '/v1/projects', '/v1/projects', { token, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(form.statusCode).toBe(415);
    expect(form.json.code).toBe('unsupported_media_type');
    // No type at all is not taken for JSON either (a cross-site simple request sends none).
    const untyped = event('POST', '/v1/projects', '/v1/projects', { token, body: '{"name":"x"}' });
    delete untyped.headers['content-type'];
    const typeless = await invoke(tenancy, untyped);
    expect(typeless.statusCode).toBe(415);
    expect(typeless.json.code).toBe('unsupported_media_type');
  });

  it('refuses a lone surrogate in a body (valid JSON, not Unicode) with 400 before anything is stored', async () => {
    const token = await stack.tokenFor('admin');
    for (const body of [
      `{"domain_id":"${FIXTURES.domain.id}","name":"half \\ud800 a pair","slug":"lone-surrogate"}`,
      `{"domain_id":"${FIXTURES.domain.id}","name":"n","slug":"lone-key","\\udfff":1}`,
    ]) {
      const res = await invoke(tenancy, event('POST', '/v1/projects', '/v1/projects', { token, body }));
      expect(res.statusCode).toBe(400);
      expect(res.json).toMatchObject({ code: 'invalid_body', detail: expect.stringContaining('well-formed Unicode') });
    }
    const list = await invoke(tenancy, event('GET', '/v1/projects', '/v1/projects', { token }));
    expect(list.json.items.map((p: { slug: string }) => p.slug)).not.toContain('lone-surrogate');
  });

  it('ignores a cookie that is not valid percent-encoding instead of failing the request', async () => {
    const e = event('GET', '/v1/projects', '/v1/projects', { token: await stack.tokenFor('admin') });
    e.cookies = ['x=%E0%A4%A', 'plexsphere_session=%'];
    const res = await invoke(tenancy, e);
    expect(res.statusCode).toBe(200);
  });

  it('refuses a route key that belongs to another function group', async () => {
    const res = await invoke(catalog, event('GET', '/v1/projects', '/v1/projects', { token: await stack.tokenFor('admin') }));
    expect(res.statusCode).toBe(400);
    expect(res.json.code).toBe('unknown_route');
  });

  it('logs a credential create without its payload, and answers without it', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    const spies = [vi.spyOn(console, 'log').mockImplementation(capture), vi.spyOn(console, 'error').mockImplementation(capture)];
    const marker = 'TOP-SECRET-MATERIAL-5d1f';
    const payload = Buffer.from(JSON.stringify({ access_key_id: marker, secret_access_key: marker })).toString('base64');
    let res: Awaited<ReturnType<typeof invoke>>;
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    try {
      res = await invoke(
        catalog,
        event('POST', '/v1/clouds/{id}/cloud-credentials', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, {
          token: await stack.tokenFor('operator'),
          pathParameters: { id: FIXTURES.cloud.id },
          body: JSON.stringify({ display_name: 'handler-test', payload }),
        }),
      );
    } finally {
      for (const spy of spies) spy.mockRestore();
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(marker);
    expect(res.body).not.toContain(payload);
    // The log did speak (so the check below is about content, not silence).
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(marker);
    expect(lines.join('')).not.toContain(payload);
  });
});
