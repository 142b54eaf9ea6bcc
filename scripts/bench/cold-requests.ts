import { randomBytes, randomUUID } from 'node:crypto';
import { formatBootstrapToken } from '../../functions/core/bootstrap-tokens.ts';
import { ROUTES, routeKey } from '../../functions/api/routes.ts';
import { FIXTURES } from '../fixtures.ts';
import type { ColdRequest } from './bundles.ts';

/** An API Gateway v2 event for one route of the table, as the local gateway would build it. */
function apiEvent(method: string, routePath: string, params: Record<string, string>, token?: string, body?: unknown) {
  const route = ROUTES.find((r) => r.method === method && r.path === routePath);
  if (!route) throw new Error(`no route ${method} ${routePath}`);
  const path = routePath.replace(/\{([a-z_]+)\}/g, (_, name: string) => params[name] ?? '');
  const headers: Record<string, string> = { host: 'localhost', 'user-agent': 'bench' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const now = Date.now();
  return {
    request: `${method} ${path}`,
    group: route.group,
    event: {
      version: '2.0',
      routeKey: routeKey(route),
      rawPath: path,
      rawQueryString: '',
      headers,
      ...(Object.keys(params).length && { pathParameters: params }),
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'localhost',
        domainPrefix: 'bench',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
        requestId: randomUUID(),
        routeKey: routeKey(route),
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      ...(body !== undefined ? { body: JSON.stringify(body), isBase64Encoded: false } : { isBase64Encoded: false }),
    },
  };
}

export interface ColdTargets {
  operatorToken: string;
  adminToken: string;
  projectId: string;
  /** A Resource that exists (its teardown finished), with its generation. */
  resourceId: string;
  generation: number;
}

/**
 * One typical first request per function group: a read the group serves most, authorized by Cedar
 * where the route decides with it (the report says whether the engine was loaded).
 */
export function coldRequests(t: ColdTargets): ColdRequest[] {
  return [
    apiEvent('GET', '/v1/auth/whoami', {}, t.operatorToken),
    apiEvent('GET', '/v1/projects/{id}', { id: t.projectId }, t.adminToken),
    apiEvent('GET', '/v1/blueprints/{id}', { id: FIXTURES.cloudlessBlueprint.id }, t.operatorToken),
    // The list, not the item: reading one's own request is allowed without asking Cedar.
    apiEvent('GET', '/v1/projects/{id}/credential-assignments', { id: t.projectId }, t.adminToken),
    apiEvent('GET', '/v1/resources/{id}', { id: t.resourceId }, t.adminToken),
    apiEvent('GET', '/v1/projects/{id}/events', { id: t.projectId }, t.adminToken),
    apiEvent('GET', '/v1/domains/{id}/webhooks', { id: FIXTURES.domain.id }, t.adminToken),
    // A well-formed token bound to nothing: the handler looks it up in DynamoDB and refuses it (4xx).
    apiEvent('POST', '/v1/register', {}, undefined, {
      project_id: t.projectId,
      resource_handle: t.resourceId,
      bootstrap_token: formatBootstrapToken({ env: 'local', projectId: t.projectId, random: 'benchbenchbenchbench' }),
      nonce: randomUUID(),
      public_key: randomBytes(32).toString('base64'),
    }),
    // Steps of a finished run: each reads the Resource and answers "superseded" without side effects.
    { group: 'provision-steps', request: 'mark-ready (superseded run)', event: { step: 'mark-ready', resource_id: t.resourceId, generation: t.generation } },
    {
      group: 'substrate-steps',
      request: 'check-substrate (superseded run)',
      event: { step: 'check-substrate', resource_id: t.resourceId, generation: t.generation },
    },
  ];
}
