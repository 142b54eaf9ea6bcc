import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/api/routes.ts';
import type { AuthzResource } from '../../functions/core/authz/model.ts';
import { deps } from '../../functions/shared/composition.ts';
import { specOf } from '../../functions/api/openapi.ts';
import type { ApiResponse } from '../support/stack.ts';
import { type Case, DOMAIN, type Journey, journeyCases, startJourney } from '../support/route-cases.ts';

// Each operation's spec names the Cedar action its use case asks for. This holds the spec to the
// code: every success case of the route table is run while the authorizer records what it is
// asked, and the action the spec names must be among the questions.

let journey: Journey;
let helpers: ReturnType<typeof journeyCases>;
const asked: Array<{ action: string; on: AuthzResource['type'] }> = [];

beforeAll(async () => {
  journey = await startJourney();
  helpers = journeyCases(journey);
  const authorizer = deps().authorizer;
  const decide = authorizer.decide.bind(authorizer);
  authorizer.decide = async (subject, action, resource) => {
    asked.push({ action, on: resource.type });
    return decide(subject, action, resource);
  };
});
afterAll(async () => {
  await journey?.stack.close();
});

/**
 * Reads that the requester and the credential's owner make by that relation alone: the use case
 * asks the authorizer only about anyone else's rows, and then what the spec names. Each is set up
 * first, so that only the read itself is recorded.
 */
const RELATION_FIRST: Record<string, () => Promise<() => Promise<ApiResponse>>> = {
  'GET /v1/credential-assignments/{id}': async () => {
    const id = await helpers.requested();
    return () => helpers.call('admin', 'GET', `/v1/credential-assignments/${id}`);
  },
  'GET /v1/approvals': async () => {
    await helpers.requested();
    return () => helpers.call('operator', 'GET', '/v1/approvals');
  },
  'GET /v1/approvals/{id}': async () => {
    const id = await helpers.requested();
    return () => helpers.call('operator', 'GET', `/v1/approvals/${id}`);
  },
};

/** Success cases the shared case table has none of. */
const extra = (key: string): Case[] =>
  ({
    'GET /v1/domains/{id}/audit/entries': [
      { name: "the domain's trail", status: 200, run: () => helpers.call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/entries`) },
    ],
    'GET /v1/domains/{id}/audit/verify': [
      { name: "the domain's chain", status: 200, run: () => helpers.call('admin', 'GET', `/v1/domains/${DOMAIN}/audit/verify`) },
    ],
  })[key] ?? [];

describe('the authorization action of each spec', () => {
  const guarded = ROUTES.filter((route) => typeof specOf(route)?.authorization === 'object');

  it.each(guarded.map((route) => [routeKey(route), route] as const))('%s asks the authorizer what its spec says', async (key, route) => {
    const authorization = specOf(route)?.authorization as { action: string; on: AuthzResource['type'] };
    const relationFirst = RELATION_FIRST[key];
    if (relationFirst) {
      const read = await relationFirst();
      asked.length = 0;
      expect((await read()).status).toBe(200);
      for (const question of asked) expect(question).toEqual(authorization);
      return;
    }
    const cases = [...(helpers.cases[key] ?? []).filter((c) => c.status < 300), ...extra(key)];
    expect(cases.length, `no success case for ${key}`).toBeGreaterThan(0);
    for (const c of cases) {
      asked.length = 0;
      const res = await c.run();
      expect(res.status, `${c.name}: ${res.text}`).toBe(c.status);
      expect(asked, c.name).toContainEqual(authorization);
    }
  });
});
