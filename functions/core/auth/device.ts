import type * as z from 'zod';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import type { IssuedToken } from '../ports.ts';
import type { Domain, IdpBinding, User } from '../tenancy.ts';
import { expired, formatUserCode, newSecretToken, newUserCode, normaliseUserCode, sha256Hex } from './codes.ts';
import { resolveBinding } from './idp-bindings.ts';
import type { AuthPorts, DeviceAuthorization, DeviceDecision } from './ports.ts';
import type { DeviceDecisionViewSchema, StartedDeviceAuthorization } from './schemas.ts';
import { throttledUserCodeLookup } from './throttle.ts';

// The device flow (RFC 8628): a terminal starts it and polls for its token; a signed-in browser
// approves or denies the code the terminal shows.

/**
 * Starts a device authorization. Primary course:
 * 1. the domain and its password binding resolve;
 * 2. a fresh user code is claimed (a live holder means draw again), then the authorization is
 *    written, holding the device code's hash only.
 */
export async function startDeviceAuthorization(
  ports: AuthPorts,
  input: { domain_id?: string | undefined; idp_binding_id?: string | undefined },
): Promise<StartedDeviceAuthorization> {
  const { domain, binding } = await resolveBinding(ports, input.domain_id, input.idp_binding_id);
  const { deviceCodeTtlSeconds: ttl, pollIntervalSeconds: interval, publicUrl } = ports.config;
  const deviceCode = newSecretToken();
  const now = ports.clock.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const userCode = newUserCode();
    const created = await ports.auth.createDeviceAuthorization({
      device_code_hash: await sha256Hex(deviceCode),
      user_code: userCode,
      domain_id: domain.id,
      idp_binding_id: binding.id,
      status: 'pending',
      interval_seconds: interval,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
    });
    if (created) {
      const verificationUri = `${publicUrl.replace(/\/+$/, '')}/v1/auth/device`;
      const shown = formatUserCode(userCode);
      return {
        device_code: deviceCode,
        user_code: shown,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?user_code=${shown}`,
        expires_in: ttl,
        interval,
      };
    }
  }
  throw new ConflictError('user_code_exhausted', 'Could not draw a free user code; try again.');
}

const invalidGrant = () => new InvalidInputError('invalid_grant', 'The device code is not valid, or it has already been used.');

/**
 * Exchanges a device code for an access token. Each poll is one conditional write that refuses
 * polls closer than the interval (`slow_down`); an approved code is redeemed by one conditional
 * write, so exactly one poll gets the token.
 */
export async function exchangeDeviceCode(ports: AuthPorts, deviceCode: string): Promise<IssuedToken> {
  const hash = await sha256Hex(deviceCode);
  const device = await ports.auth.getDeviceAuthorization(hash);
  if (!device || device.status === 'redeemed') throw invalidGrant();
  const now = ports.clock.now();
  if (expired(device.expires_at, now)) {
    throw new InvalidInputError('expired_token', 'The device code has expired; start the sign-in again.');
  }
  if (!(await ports.auth.recordPoll(hash, now.getTime(), device.interval_seconds * 1000))) {
    throw new InvalidInputError('slow_down', `Polling too fast; wait at least ${device.interval_seconds} seconds between polls.`, {
      interval: device.interval_seconds,
    });
  }
  if (device.status === 'pending') {
    throw new InvalidInputError('authorization_pending', 'The sign-in has not been approved yet; keep polling.');
  }
  if (device.status === 'denied') throw new InvalidInputError('access_denied', 'The sign-in was denied in the browser.');
  if (!device.subject_id || !(await ports.auth.redeem(hash, now.toISOString()))) throw invalidGrant();
  const user = await ports.tenancy.getUser(device.subject_id);
  if (!user || user.domain_id !== device.domain_id) throw invalidGrant();
  return ports.tokens.issue({ subject: user.id, domainId: user.domain_id, email: user.email });
}

// ---- approve / deny -------------------------------------------------------------------------

function explainUndecidable(device: DeviceAuthorization, now: Date): Error {
  if (device.status === 'approved' || device.status === 'redeemed') {
    return new ConflictError('device_code_already_approved', 'This code has already been approved.');
  }
  if (device.status === 'denied') return new ConflictError('device_code_denied', 'This code has already been denied.');
  if (expired(device.expires_at, now)) {
    return new ConflictError('device_code_expired', 'This code has expired; start the sign-in again from the terminal.');
  }
  return new ConflictError('device_code_changed', 'The code changed while deciding; reload and try again.');
}

/**
 * Approves or denies a pending code for the signed-in user. Approval pins that user as the
 * token's subject. One conditional write (pending and unexpired) makes the decision. An unknown
 * code counts against the caller's address (429 once too many).
 */
export async function decideDevice(
  ports: Pick<AuthPorts, 'auth' | 'clock' | 'config'>,
  user: User,
  userCode: string,
  verdict: 'approved' | 'denied',
  sourceIp: string,
): Promise<z.infer<typeof DeviceDecisionViewSchema>> {
  const device = await throttledUserCodeLookup(ports, sourceIp, () => ports.auth.findDeviceAuthorizationByUserCode(userCode));
  if (!device) throw new NotFoundError('device_code_not_found', 'No sign-in request has this code.');
  const now = ports.clock.now();
  if (device.status !== 'pending' || expired(device.expires_at, now)) throw explainUndecidable(device, now);
  if (device.domain_id !== user.domain_id) {
    throw new ForbiddenError('device_code_domain_mismatch', 'This code signs in to another domain than your account.', 'out_of_scope');
  }
  const decidedAt = now.toISOString();
  const decision: DeviceDecision =
    verdict === 'approved'
      ? { status: 'approved', subject_id: user.id, decided_at: decidedAt }
      : { status: 'denied', decided_at: decidedAt };
  if (!(await ports.auth.decide(device.device_code_hash, decision, decidedAt))) {
    const current = await ports.auth.getDeviceAuthorization(device.device_code_hash);
    throw current ? explainUndecidable(current, now) : new NotFoundError('device_code_not_found', 'No sign-in request has this code.');
  }
  return { status: verdict };
}

// ---- the sign-in page's view of a code ------------------------------------------------------

export type UserCodeState =
  | { state: 'malformed' }
  | { state: 'not_found'; userCode: string }
  | { state: 'expired' | 'approved' | 'denied'; userCode: string }
  | { state: 'pending'; userCode: string; domain: Domain; binding: IdpBinding; expiresAt: string };

/**
 * What the page should say about a code someone brought from their terminal. An unknown code
 * counts against the caller's address (429 once too many); a malformed one probes nothing.
 */
export async function describeUserCode(
  ports: Pick<AuthPorts, 'auth' | 'tenancy' | 'clock' | 'config'>,
  input: string,
  sourceIp: string,
): Promise<UserCodeState> {
  const userCode = normaliseUserCode(input);
  if (!userCode) return { state: 'malformed' };
  const device = await throttledUserCodeLookup(ports, sourceIp, () => ports.auth.findDeviceAuthorizationByUserCode(userCode));
  if (!device) return { state: 'not_found', userCode };
  if (device.status === 'approved' || device.status === 'redeemed') return { state: 'approved', userCode };
  if (device.status === 'denied') return { state: 'denied', userCode };
  if (expired(device.expires_at, ports.clock.now())) return { state: 'expired', userCode };
  const domain = await ports.tenancy.getDomain(device.domain_id);
  const binding = await ports.tenancy.getIdpBinding(device.domain_id, device.idp_binding_id);
  if (!domain || !binding) return { state: 'not_found', userCode };
  return { state: 'pending', userCode, domain, binding, expiresAt: device.expires_at };
}
