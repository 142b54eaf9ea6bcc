import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES, routeKey } from '../../functions/api/routes.ts';
import { RESERVED_CONCURRENCY, ROUTE_THROTTLES, STAGE_THROTTLE } from '../../infra/constructs/edge-limits.ts';
import { logicalId, resources, type Synthesized, synth } from './synth.ts';

// Issue #14 item 3 (the infra part): the HttpApi stage throttles every route, tighter on the
// unauthenticated sign-in and enrolment routes, and the public functions have reserved concurrency.

const GROUPS = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];
const PUBLIC_PATHS = /^\/v1\/(auth\/|register$)/;

interface RouteSetting {
  ThrottlingRateLimit: number;
  ThrottlingBurstLimit: number;
}

function stageOf(s: Synthesized): { id: string; props: Record<string, unknown>; dependsOn: string[] } {
  const stages = Object.entries(resources(s.api, 'AWS::ApiGatewayV2::Stage'));
  expect(stages).toHaveLength(1);
  const [id, stage] = stages[0] as [string, { Properties: Record<string, unknown>; DependsOn?: string[] }];
  return { id, props: stage.Properties, dependsOn: stage.DependsOn ?? [] };
}

function reservedOf(s: Synthesized): Record<FunctionGroup | 'console', unknown> {
  const fns = resources(s.api, 'AWS::Lambda::Function');
  const api = s.plexsphere.api;
  const idOf = (fn: { node: { defaultChild: unknown } }) => logicalId(api, fn.node.defaultChild as CfnElement);
  return Object.fromEntries([
    ...GROUPS.map((g) => [g, fns[idOf(api.functions[g].fn)]?.Properties.ReservedConcurrentExecutions]),
    ['console', fns[idOf(api.console.fn)]?.Properties.ReservedConcurrentExecutions],
  ]) as Record<FunctionGroup | 'console', unknown>;
}

describe.each(['dev', 'prod'])('the edge of stage %s', (stage) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(stage);
  });

  it('throttles every route by the stage default', () => {
    expect(stageOf(s).props.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: STAGE_THROTTLE.rateLimit,
      ThrottlingBurstLimit: STAGE_THROTTLE.burstLimit,
    });
  });

  it('throttles each sign-in and enrolment route tighter than the default, and no other route', () => {
    const settings = stageOf(s).props.RouteSettings as Record<string, RouteSetting>;
    const publicKeys = ROUTES.filter((r) => PUBLIC_PATHS.test(r.path)).map(routeKey);
    expect(publicKeys).toContain('POST /v1/register');
    expect(publicKeys).toContain('POST /v1/auth/sign-in');
    expect(Object.keys(settings).toSorted()).toEqual(publicKeys.toSorted());
    for (const key of publicKeys) {
      expect(settings[key]?.ThrottlingRateLimit, key).toBeLessThan(STAGE_THROTTLE.rateLimit);
      expect(settings[key]?.ThrottlingBurstLimit, key).toBeLessThan(STAGE_THROTTLE.burstLimit);
      expect(settings[key], key).toEqual({
        ThrottlingRateLimit: ROUTE_THROTTLES[key]?.rateLimit,
        ThrottlingBurstLimit: ROUTE_THROTTLES[key]?.burstLimit,
      });
    }
  });

  it('sets the throttles as aggregate cost caps far above legitimate peaks, so one client cannot lock a route for everyone', () => {
    // Shared by all callers: a limit one client reaches at ~10 rps would make sign-in answer 429 to everyone.
    expect(STAGE_THROTTLE).toEqual({ rateLimit: 200, burstLimit: 400 });
    for (const key of ['POST /v1/auth/sign-in', 'POST /v1/auth/device-code', 'GET /v1/auth/device', 'POST /v1/auth/device/approve']) {
      expect(ROUTE_THROTTLES[key], key).toEqual({ rateLimit: 50, burstLimit: 100 });
    }
    for (const key of ['POST /v1/auth/device-token', 'GET /v1/auth/jwks', 'GET /v1/auth/whoami']) {
      expect(ROUTE_THROTTLES[key], key).toEqual({ rateLimit: 100, burstLimit: 200 });
    }
    expect(ROUTE_THROTTLES['POST /v1/register']).toEqual({ rateLimit: 50, burstLimit: 200 });
    for (const [key, t] of Object.entries(ROUTE_THROTTLES)) expect(t.rateLimit, key).toBeGreaterThanOrEqual(50);
  });

  it('creates the stage after the routes its settings name (CloudFormation refuses a setting for a missing route)', () => {
    const { dependsOn } = stageOf(s);
    const routes = resources(s.api, 'AWS::ApiGatewayV2::Route');
    const named = Object.entries(routes)
      .filter(([, r]) => Object.hasOwn(ROUTE_THROTTLES, r.Properties.RouteKey as string))
      .map(([id]) => id);
    expect(named).toHaveLength(Object.keys(ROUTE_THROTTLES).length);
    for (const id of named) expect(dependsOn, id).toContain(id);
  });

  it('reserves concurrency for the public functions only: auth, nodes and the console', () => {
    expect(reservedOf(s)).toEqual({
      auth: RESERVED_CONCURRENCY.auth,
      nodes: RESERVED_CONCURRENCY.nodes,
      console: RESERVED_CONCURRENCY.console,
      tenancy: undefined,
      catalog: undefined,
      assignments: undefined,
      resources: undefined,
      events: undefined,
      webhooks: undefined,
    });
    // Small enough for an account at the default quota of 1,000, which must keep 100 unreserved.
    const total = Object.values(RESERVED_CONCURRENCY).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(100);
  });
});

describe('-c reservedConcurrency=off (an account whose concurrency quota is too low to reserve any)', () => {
  it('deploys the public functions without reservations, and keeps the throttles', () => {
    const s = synth('dev', () => {}, { reservedConcurrency: 'off' });
    expect(Object.values(reservedOf(s)).filter((v) => v !== undefined)).toEqual([]);
    expect(stageOf(s).props.RouteSettings).toBeDefined();
  });

  it('refuses any other value', () => {
    expect(() => synth('dev', () => {}, { reservedConcurrency: 'maybe' })).toThrow(/reservedConcurrency/);
  });
});
