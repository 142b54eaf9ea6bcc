import type { CfnRoute, CfnStage, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import type { FunctionGroup } from '../../functions/api/routes.ts';

// What the edge lets through, in one place. API Gateway answers 429 above these before any function
// runs. They are aggregate cost caps, shared by every caller of a route: API Gateway has no per-client
// limit, and an HTTP API cannot take a WAF. So they sit far above legitimate peaks, where they only
// bound the bill and the share of the account's quotas; set low, one client at a few requests a
// second would make a route answer 429 to everyone (a cheap global lockout of sign-in).
// Per-client limits are the functions' own throttles (sign-in per email and address, per address and
// per email; user codes per address). A per-IP limit at the edge needs CloudFront with a WAF
// rate-based rule in front of the API: not done here.
//
// - Stage default, 200 rps / burst 400: HTTP APIs apply it to each route on its own. It stops one
//   route from eating the account's Region-wide API Gateway quota (10,000 rps shared by every API).
// - Sign-in, device flow, IdP bindings, sign-out, 50 rps / burst 100: reachable without a credential,
//   and each request costs a table write or a password hash (about 0.1 s of the auth function).
// - Device-token polling, JWKS, whoami, 100 rps / burst 200: cheap reads that every signed-in CLI
//   and every signing-in CLI (a poll each 5 s) sends.
// - Registration, 50 rps / burst 200: a fleet booting together enrols at once; each node retries
//   with back-off, so a burst above this delays enrolment instead of failing it.

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

export const STAGE_THROTTLE: Throttle = { rateLimit: 200, burstLimit: 400 };

const SIGN_IN: Throttle = { rateLimit: 50, burstLimit: 100 };
const READS: Throttle = { rateLimit: 100, burstLimit: 200 };

/** Tighter than the stage default, by route key. Every `/v1/auth/*` route and `/v1/register` is here (test/infra/edge-limits.test.ts). */
export const ROUTE_THROTTLES: Readonly<Record<string, Throttle>> = {
  'GET /v1/auth/idp-bindings': SIGN_IN,
  'POST /v1/auth/device-code': SIGN_IN,
  'POST /v1/auth/device-token': READS,
  'GET /v1/auth/device': SIGN_IN,
  'POST /v1/auth/sign-in': SIGN_IN,
  'POST /v1/auth/device/approve': SIGN_IN,
  'POST /v1/auth/device/deny': SIGN_IN,
  'GET /v1/auth/jwks': READS,
  'GET /v1/auth/whoami': READS,
  'DELETE /v1/auth/whoami': SIGN_IN,
  'POST /v1/register': { rateLimit: 50, burstLimit: 200 },
};

/**
 * Reserved concurrency of the functions behind unauthenticated routes: the auth group (sign-in),
 * the nodes group (registration; node routes check the NSK inside the function) and the console.
 * It caps them, so a flood of them cannot take the account's concurrency from the rest of the
 * broker (and the rest cannot starve sign-in). At about 0.1 s per sign-in (the password hash), 20
 * carry some 200 sign-ins a second, far above legitimate peaks; beyond that Lambda refuses the excess
 * (the route answers 503) rather than spreading it to the rest.
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
