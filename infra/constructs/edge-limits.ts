import type { CfnRoute, CfnStage, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import type { FunctionGroup } from '../../functions/api/routes.ts';

// What the edge lets through, in one place. API Gateway answers 429 above these before any function
// runs; the functions' own throttles (sign-in per email and address, device codes) still apply below.
//
// - Stage default, 50 rps / burst 100: HTTP APIs apply the stage's default route throttle to each
//   route on its own. 50 rps per route is far above what operators, plexctl and the console send,
//   and above heartbeats of a few thousand nodes; it stops one route from eating the account's
//   Region-wide API Gateway quota (10,000 rps shared by every API in it).
// - Sign-in and enrolment, 5 rps / burst 10: reachable without any credential, and each request
//   costs a table write (device codes, registration) or a password hash (sign-in). Aggregate, not
//   per client: a flood makes them answer 429 for everyone, which beats an unbounded bill, and the
//   per-address throttles in the functions keep one caller from using the whole budget quietly.
// - Device-token polling, 10 rps / burst 20: every signing-in CLI polls every 5 s (the contract's
//   interval), so this carries some 50 sign-ins at once.
// - Registration, 10 rps / burst 50: a fleet booting together enrols at once; each node retries
//   with back-off, so a burst above this delays enrolment instead of failing it.

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export const STAGE_THROTTLE: Throttle = { rateLimit: 50, burstLimit: 100 };

const SIGN_IN: Throttle = { rateLimit: 5, burstLimit: 10 };

/** Tighter than the stage default, by route key. Every `/v1/auth/*` route and `/v1/register` is here (test/infra/edge-limits.test.ts). */
export const ROUTE_THROTTLES: Readonly<Record<string, Throttle>> = {
  'GET /v1/auth/idp-bindings': SIGN_IN,
  'POST /v1/auth/device-code': SIGN_IN,
  'POST /v1/auth/device-token': { rateLimit: 10, burstLimit: 20 },
  'GET /v1/auth/device': SIGN_IN,
  'POST /v1/auth/sign-in': SIGN_IN,
  'POST /v1/auth/device/approve': SIGN_IN,
  'POST /v1/auth/device/deny': SIGN_IN,
  'GET /v1/auth/jwks': { rateLimit: 10, burstLimit: 20 },
  'GET /v1/auth/whoami': { rateLimit: 10, burstLimit: 20 },
  'DELETE /v1/auth/whoami': SIGN_IN,
  'POST /v1/register': { rateLimit: 10, burstLimit: 50 },
};

/**
 * Reserved concurrency of the functions behind unauthenticated routes: the auth group (sign-in),
 * the nodes group (registration; node routes check the NSK inside the function) and the console.
 * It caps them, so a flood of them cannot take the account's concurrency from the rest of the
 * broker (and the rest cannot starve sign-in). The numbers cover the route throttles above at
 * well under a second per request (sign-in hashes for about 0.1 s).
 *
 * They total 45. Lambda keeps at least 100 of an account's concurrency unreserved, so a stage with
 * these needs a Region quota of at least 145 plus whatever else the account reserves. New accounts
 * can start with a quota of 10, where any reservation fails the deploy: `-c reservedConcurrency=off`
 * deploys without them (and without the cap) until the quota is raised.
 */
export const RESERVED_CONCURRENCY: Readonly<Partial<Record<FunctionGroup | 'console', number>>> = {
  auth: 20,
  nodes: 20,
  console: 5,
};

/** The reservations this app deploys with: RESERVED_CONCURRENCY, or none under `-c reservedConcurrency=off`. */
export function reservedConcurrency(scope: Construct): Readonly<Partial<Record<FunctionGroup | 'console', number>>> {
  const setting: unknown = scope.node.tryGetContext('reservedConcurrency');
  if (setting === undefined || setting === 'on') return RESERVED_CONCURRENCY;
  if (setting === 'off') return {};
  throw new Error(`Invalid reservedConcurrency ${JSON.stringify(setting)}: 'on' (the default) or 'off'.`);
}

/**
 * Puts the route throttles on the stage. The stage must be created after the routes it names
 * (CloudFormation refuses a route setting for a route key that does not exist yet), so it depends on them.
 */
export function throttleRoutes(stage: HttpStage, routes: readonly HttpRoute[]): void {
  const cfn = stage.node.defaultChild as CfnStage;
  const byKey = new Map(routes.map((r) => [(r.node.defaultChild as CfnRoute).routeKey, r]));
  const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const [key, throttle] of Object.entries(ROUTE_THROTTLES)) {
    const route = byKey.get(key);
    if (!route) throw new Error(`ROUTE_THROTTLES names ${key}, which is not a route of this API.`);
    settings[key] = { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit };
    stage.node.addDependency(route);
  }
  cfn.routeSettings = settings;
}
