import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/api/openapi.ts';
import { CONSOLE_ROUTES, ROUTES, type RouteDef, routeKey } from '../../functions/api/routes.ts';
import { buildCases, type FuzzCase, MIN_CASES, type Operation } from '../support/fuzz-cases.ts';
import { answerFault, type FuzzClient, type FuzzResponse, fuzzClient, pool } from '../support/fuzz-http.ts';
import { ODD_STRINGS, prng, type Schema } from '../support/fuzz-schema.ts';
import { domainTrail, strangerTarget, trailChanges } from '../support/fuzz-trail.ts';
import { type FuzzWorld, startFuzzWorld } from '../support/fuzz-world.ts';
import { useBuiltConsole } from '../support/console-assets.ts';
import { tableSnapshotButAudit } from '../support/table-snapshot.ts';

// Bad input at scale: for every operation of our own OpenAPI document, at least MIN_CASES
// malformed or hostile requests (see fuzz-cases.ts). Every answer is below 500, and every refusal
// is problem+json with its code; a batch of refusals stores nothing (a table diff), and the
// refusals of callers with no role in a domain leave its audit trail and event log as they were.

const SEED = 0x14_11;
const CONCURRENCY = 8;

/**
 * Items a refusal writes by design, left out of the diff (on top of the audit trail and a refused
 * create's event, which tableSnapshotButAudit already leaves out):
 * - THROTTLE# (pair:, email-backoff:, source:, user-code-source: …): the sign-in and user-code
 *   guess counters the guess:* cases move; counting refused guesses is their whole job.
 */
const WRITTEN_BY_REFUSALS = [/"PK":\{"S":"THROTTLE#/];
/** The embedded stack's own node agent heartbeats the journey's Resource twice a second meanwhile; its clock is no refusal's write. */
const HEARTBEAT_CLOCK = /"last_heartbeat_at":\{"S":"[^"]*"\}/g;

let world: FuzzWorld;
let client: FuzzClient;
const counts = new Map<string, number>();

beforeAll(async () => {
  await useBuiltConsole();
  world = await startFuzzWorld();
  client = fuzzClient(world.stack.url);
}, 180_000);

afterAll(async () => {
  client?.close();
  await world?.stack.close();
  const api = ROUTES.map((r) => counts.get(routeKey(r)) ?? 0);
  const pages = CONSOLE_ROUTES.map((r) => counts.get(routeKey(r)) ?? 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(
    `fuzz summary: ${sum(api) + sum(pages)} requests; ${sum(api)} over ${api.length} API routes (at least ${Math.min(...api)} each), ` +
      `${sum(pages)} over ${pages.length} console routes (at least ${Math.min(...pages)} each); seed ${SEED}`,
  );
});

function operationOf(route: RouteDef): Operation {
  const doc = openApiDocument() as { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };
  const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Schema;
  const requestBody = op.requestBody as { required: boolean; content: Record<string, { schema: { $ref: string } }> } | undefined;
  const ref = requestBody?.content['application/json']?.schema.$ref;
  const parameters = (op.parameters ?? []) as { name: string; in: string }[];
  return {
    route,
    op,
    ...(ref && { body: doc.components.schemas[ref.split('/').pop() as string], bodyName: ref.split('/').pop() }),
    bodyRequired: requestBody?.required ?? false,
    query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
    methodsOfPath: Object.keys(doc.paths[route.path] ?? {}).map((m) => m.toUpperCase()),
    documented: Object.keys(op.responses as object).map(Number).filter((status) => status >= 500),
  };
}

const describeCase = (c: FuzzCase, res: FuzzResponse) =>
  `${c.family}: ${c.req.method} ${c.req.path.slice(0, 120)} ${c.req.body ? `body ${c.req.body.subarray(0, 120).toString()}` : ''} → ${res.status} ${res.text.slice(0, 200)}`;

async function snapshot(): Promise<string[]> {
  const items = await tableSnapshotButAudit(world.stack.dynamoUrl, world.stack.tableName);
  return items.filter((item) => !WRITTEN_BY_REFUSALS.some((re) => re.test(item))).map((item) => item.replace(HEARTBEAT_CLOCK, '"last_heartbeat_at":"(ticking)"'));
}

describe('fuzz: every operation of the OpenAPI document', () => {
  it('covers every route of the route table', () => {
    const documented = Object.entries((openApiDocument() as { paths: Record<string, object> }).paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  for (const [i, route] of ROUTES.entries()) {
    it(`${routeKey(route)}: ${MIN_CASES}+ hostile requests, no 5xx, problem+json refusals, nothing stored on refusal`, async () => {
      const operation = operationOf(route);
      const cases = buildCases(operation, world, prng(SEED + i));
      counts.set(routeKey(route), cases.length);
      const faults: string[] = [];
      const strangers = cases.filter((c) => strangerTarget(c));
      const refusals = [...strangers, ...cases.filter((c) => c.refused && !strangerTarget(c))];
      const before = await snapshot();
      // Strangers go first, on their own, so their tenant's trail shows only what they wrote.
      const guarded = (['ours', 'theirs'] as const).filter((t) => strangers.some((c) => strangerTarget(c) === t));
      const trailsBefore = await Promise.all(guarded.map((t) => domainTrail(world, t)));
      const refused = await pool(strangers, CONCURRENCY, (c) => client.send(c.req));
      const trailsAfter = await Promise.all(guarded.map((t) => domainTrail(world, t)));
      refused.push(...(await pool(refusals.slice(strangers.length), CONCURRENCY, (c) => client.send(c.req))));
      const after = await snapshot();
      refused.forEach((res, n) => {
        const c = refusals[n] as FuzzCase;
        const fault = res.status < 400 ? `served (${res.status}) what must be refused` : answerFault(res, operation.documented);
        if (fault) faults.push(`${fault} — ${describeCase(c, res)}`);
      });
      // Both ways: a refusal neither adds nor changes an item (new text) nor deletes one (text gone).
      const stored = [...after.filter((item) => !before.includes(item)).map((item) => `+ ${item}`), ...before.filter((item) => !after.includes(item)).map((item) => `- ${item}`)];
      const served = cases.filter((c) => !c.refused);
      const answers = await pool(served, CONCURRENCY, (c) => client.send(c.req));
      answers.forEach((res, n) => {
        const fault = answerFault(res, operation.documented);
        if (fault) faults.push(`${fault} — ${describeCase(served[n] as FuzzCase, res)}`);
      });
      expect(faults.slice(0, 20), `${faults.length} faults`).toEqual([]);
      expect(stored.map((s) => s.slice(0, 300)), 'items written or deleted by refused requests').toEqual([]);
      const strangerTrail = guarded.flatMap((t, n) => trailChanges(trailsBefore[n] ?? [], trailsAfter[n] ?? []).map((c) => `${t}: ${c}`));
      expect(strangerTrail, 'audit or event items written into a domain by callers with no role in it').toEqual([]);
      expect(cases.length).toBeGreaterThanOrEqual(MIN_CASES);
    });
  }

  for (const page of CONSOLE_ROUTES) {
    it(`${routeKey(page)}: ${MIN_CASES}+ odd paths and queries, no 5xx`, async () => {
      const rng = prng(SEED ^ page.path.length);
      const paths = Array.from({ length: MIN_CASES }, (_, n) => {
        const odd = encodeURI(rng.pick(ODD_STRINGS).replace(/[\ud800-\udfff]/g, '')) || '%zz';
        const rest = page.path.includes('{') ? `/console/${n % 3 === 0 ? '%E0%A4%A' : n % 3 === 1 ? '..%2f..%2fetc' : odd}` : '/console';
        return `${rest}?q=${n}&x=${odd}`;
      });
      const answers = await pool(paths, CONCURRENCY, (path) => client.send({ method: 'GET', path, headers: { authorization: `Bearer ${world.tokens.admin}` } }));
      counts.set(routeKey(page), paths.length);
      const faults = answers.flatMap((res, n) => (res.status >= 500 ? [`${res.status} GET ${paths[n]}`] : []));
      expect(faults).toEqual([]);
    });
  }
});
