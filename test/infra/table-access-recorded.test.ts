import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, routeKey } from '../../functions/api/routes.ts';
import { handler as leaseExpiry } from '../../functions/steps/lease-expiry.handler.ts';
import { LEASE_EXPIRY_FUNCTION, STEP_GROUPS, WEBHOOK_DISPATCH_FUNCTION } from '../../functions/steps/step-groups.ts';
import { leadingKeys, TABLE_ACCESS, type TableUser } from '../../infra/constructs/table-access.ts';
import { TABLE_ACTIONS } from '../../infra/stacks/data-stack.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { approvedProject, createResource, untilPhase } from '../support/resources.ts';
import { DOMAIN, type Journey, journeyCases, startJourney } from '../support/route-cases.ts';
import { signInSession } from '../support/sign-in.ts';
import { OUTSIDE, recordTableAccess } from '../support/table-recorder.ts';

// Issue #14 item 9, checked against the functions themselves: the route-by-route journey of the
// contract tests (every route's success and error cases, a Resource provisioned, a node registered,
// the Resource torn down) runs on the embedded stack while every table call is recorded under the
// function that made it; each partition key a function touched must match one of its
// `dynamodb:LeadingKeys` patterns. A key outside them would be an AccessDenied on AWS.
//
// The cases call with bearer tokens; one read per group with the console's session cookie checks
// that way in too, and a revoke with teardown is added. What the journey does not reach is judged
// from the code in table-access.ts: a lease or a request expiring (the timers here find nothing due),
// a teardown started from Ready by a revoke or a lease (the peer snapshot).

const recorder = recordTableAccess();
let journey: Journey;
const sessionReads: Partial<Record<FunctionGroup, number>> = {};

/** A read of each group that serves user routes, as the console makes it: by session cookie. */
function consoleReads(j: Journey): Record<Exclude<FunctionGroup, 'nodes'>, string> {
  return {
    auth: '/v1/auth/whoami',
    tenancy: '/v1/domains',
    catalog: '/v1/clouds',
    assignments: `/v1/projects/${j.projectId}/credential-assignments`,
    resources: `/v1/projects/${j.projectId}/resources`,
    events: `/v1/domains/${DOMAIN}/events`,
    webhooks: `/v1/domains/${DOMAIN}/webhooks`,
  };
}

/** IAM's StringLike: `*` any run of characters, `?` one. */
function like(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** A revoke with teardown: the assignments group starts the teardown of the project's Resources. */
async function revokeWithTeardown(j: Journey): Promise<void> {
  const projectId = await approvedProject(j.stack, j.catalog.demoCredentialId);
  const resourceId = await createResource(j.stack, projectId, j.catalog);
  const listed = await j.stack.call('admin', 'GET', `/v1/projects/${projectId}/credential-assignments`);
  const assignmentId = (listed.body as { items: Array<{ id: string }> }).items[0]?.id;
  const revoked = await j.stack.call('operator', 'POST', `/v1/credential-assignments/${assignmentId}/revoke`, {
    reason: 'rotation',
    teardown: true,
  });
  expect(revoked.status, revoked.text).toBe(200);
  await untilPhase(j.stack, resourceId, 'Deleted', 60_000);
}

beforeAll(async () => {
  journey = await startJourney();
  const { cases } = journeyCases(journey);
  for (const r of ROUTES) {
    for (const c of cases[routeKey(r)] ?? []) await c.run();
  }
  const { cookie } = await signInSession(journey.stack.url, FIXTURES.admin.email, 'password');
  for (const [group, path] of Object.entries(consoleReads(journey))) {
    sessionReads[group as FunctionGroup] = (await fetch(`${journey.stack.url}${path}`, { headers: { cookie } })).status;
  }
  // The cases deleted the journey's Resource: its teardown runs the teardown steps.
  await untilPhase(journey.stack, journey.resourceId, 'Deleted', 60_000);
  await revokeWithTeardown(journey);
  await recorder.run('reconciler', () => journey.stack.reconcileNow());
  await journey.stack.sweepWebhooksNow();
  // The timers' function, on a Resource and on an assignment of the journey (neither is due).
  const assignment = [...(recorder.byFunction().get('assignments') ?? [])].find((k) => k.startsWith('ASSIGNMENT#'));
  await recorder.run(LEASE_EXPIRY_FUNCTION.name, async () => {
    await leaseExpiry({ resource_id: journey.resourceId });
    if (assignment) await leaseExpiry({ assignment_id: assignment.slice('ASSIGNMENT#'.length) });
  });
}, 300_000);
afterAll(async () => {
  await journey?.stack.close();
});

describe('the partitions each function touches on the journey', () => {
  it('were recorded for every API group, step group, the dispatcher, the reconciler and the timers', () => {
    const seen = [...recorder.byFunction().keys()];
    const expected = [
      ...Object.keys(FUNCTION_GROUPS),
      ...Object.keys(STEP_GROUPS),
      WEBHOOK_DISPATCH_FUNCTION.name,
      'reconciler',
      LEASE_EXPIRY_FUNCTION.name,
    ];
    expect(seen.filter((fn) => fn !== OUTSIDE).toSorted()).toEqual(expected.toSorted());
  });

  it('include the console`s session for every group that serves user routes', () => {
    const groups = Object.keys(consoleReads(journey)) as FunctionGroup[];
    // Signed in (a 403 is a decision about a signed-in caller); what matters is that the session was read.
    expect(Object.keys(sessionReads).toSorted()).toEqual(groups.toSorted());
    for (const g of groups) expect([200, 403], g).toContain(sessionReads[g]);
    for (const g of groups)
      expect(
        [...(recorder.byFunction().get(g) ?? [])].some((k) => k.startsWith('SESSION#')),
        g,
      ).toBe(true);
  });

  it('were reached only with actions the table grant holds (a transaction item by item)', () => {
    const used = [...recorder.actionsByFunction()].filter(([fn]) => fn !== OUTSIDE).flatMap(([, actions]) => [...actions]);
    // The journey creates a webhook: its transaction's ConditionCheck is among them.
    expect(used).toContain('dynamodb:ConditionCheckItem');
    expect([...new Set(used)].filter((a) => !(TABLE_ACTIONS as readonly string[]).includes(a))).toEqual([]);
  });

  it.each(Object.keys(TABLE_ACCESS) as TableUser[])('%s touched only partitions its grant names', (fn) => {
    const patterns = leadingKeys(fn);
    const touched = [...(recorder.byFunction().get(fn) ?? [])];
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((key) => !patterns.some((p) => like(p, key)))).toEqual([]);
  });
});
