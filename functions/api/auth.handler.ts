import { formatUserCode, newSecretToken } from '../core/auth/codes.ts';
import { decideDevice, describeUserCode, exchangeDeviceCode, startDeviceAuthorization } from '../core/auth/device.ts';
import { idpBindingView, listIdpBindings } from '../core/auth/idp-bindings.ts';
import { resolveSession, signIn, signOut } from '../core/auth/session.ts';
import { parseId } from '../core/ids.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import type { ApiRequest, ApiResult } from '../shared/http.ts';
import { ok } from '../shared/http.ts';
import { CSRF_COOKIE, SESSION_COOKIE, sessionWriter } from '../shared/session-auth.ts';
import { authSpec as spec } from './auth.spec.ts';
import { openApiDocument } from './openapi.ts';
import { renderSignInPage, type SignInPageView, signInPageCsp } from './sign-in-page.ts';
import { bodyOf } from './spec.ts';

// OAuth responses carrying codes or tokens must not be cached (RFC 6749 §5.1).
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function cookie(d: Deps, name: string, value: string, maxAgeSeconds: number, httpOnly: boolean): string {
  const secure = d.config.secureCookies;
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAgeSeconds}`, 'SameSite=Strict', httpOnly && 'HttpOnly', secure && 'Secure']
    .filter(Boolean)
    .join('; ');
}

// The gateway's view of the caller's address (API Gateway's requestContext.http.sourceIp, the
// embedded gateway's socket): the throttles count per address.
const sourceOf = (req: ApiRequest) => req.sourceIp ?? 'unknown';

async function signInPageView(req: ApiRequest, d: Deps): Promise<SignInPageView> {
  const input = req.query.user_code;
  if (input === undefined || input.trim() === '') return { step: 'enter-code' };
  const described = await describeUserCode(d, input, sourceOf(req));
  switch (described.state) {
    case 'malformed':
      return {
        step: 'enter-code',
        code: input.slice(0, 12),
        error: 'That does not look like a code. Codes have eight letters and digits, like ABCD-EFGH.',
      };
    case 'not_found':
      return {
        step: 'enter-code',
        code: formatUserCode(described.userCode),
        error: 'We do not recognise that code. Check it against your terminal, or start the sign-in again there.',
      };
    case 'expired':
      return {
        step: 'closed',
        userCode: formatUserCode(described.userCode),
        title: 'This code has expired',
        message: 'Codes are valid for a few minutes. Run the sign-in command in your terminal again to get a new one.',
      };
    case 'approved':
      return {
        step: 'closed',
        userCode: formatUserCode(described.userCode),
        title: 'This code has already been used',
        message: 'This sign-in was already approved. Return to your terminal, or start a new sign-in there.',
      };
    case 'denied':
      return {
        step: 'closed',
        userCode: formatUserCode(described.userCode),
        title: 'This request was denied',
        message: 'Start the sign-in again from your terminal if you want to continue.',
      };
    case 'pending': {
      const current = await resolveSession(d, req.cookies[SESSION_COOKIE]);
      const sameDomain = current && current.user.domain_id === described.domain.id;
      return {
        step: 'sign-in',
        userCode: formatUserCode(described.userCode),
        domainId: described.domain.id,
        domainName: described.domain.name,
        bindingId: described.binding.id,
        bindingLabel: described.binding.label,
        ...(sameDomain && { signedInAs: { email: current.user.email, displayName: current.user.display_name } }),
      };
    }
  }
}

export const handler = createApiHandler('auth', spec, {
  listIdpBindings: async (req: ApiRequest, d: Deps) => {
    const headers = { 'cache-control': 'no-store' };
    // No binding in this broker is platform-scoped, so the platform chooser is empty.
    if (req.query.scope === 'platform') return ok([], 200, headers);
    const domainId = parseId(req.query.domain_id, 'domain');
    return ok((await listIdpBindings(d, domainId)).map(idpBindingView), 200, headers);
  },

  startDeviceAuthorization: async (req: ApiRequest, d: Deps) => {
    const body = bodyOf(spec.startDeviceAuthorization, req);
    return ok(await startDeviceAuthorization(d, body), 200, NO_STORE);
  },

  exchangeDeviceCode: async (req: ApiRequest, d: Deps) => {
    const body = bodyOf(spec.exchangeDeviceCode, req);
    const issued = await exchangeDeviceCode(d, body.device_code);
    return ok({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn }, 200, NO_STORE);
  },

  signInPage: async (req: ApiRequest, d: Deps): Promise<ApiResult> => {
    const nonce = newSecretToken().slice(0, 24);
    return {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: renderSignInPage(await signInPageView(req, d), nonce),
      headers: {
        'content-security-policy': signInPageCsp(nonce),
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      },
    };
  },

  signIn: async (req: ApiRequest, d: Deps): Promise<ApiResult> => {
    const body = bodyOf(spec.signIn, req);
    const started = await signIn(d, { ...body, sourceIp: sourceOf(req) });
    // The browser's earlier session (if any) ends: one browser, one live session.
    await signOut(d, req.cookies[SESSION_COOKIE]);
    const ttl = d.config.sessionTtlSeconds;
    return {
      status: 200,
      body: {
        subject: started.user.id,
        email: started.user.email,
        display_name: started.user.display_name,
        domain_id: started.user.domain_id,
        expires_at: started.session.expires_at,
      },
      headers: NO_STORE,
      cookies: [cookie(d, SESSION_COOKIE, started.sessionToken, ttl, true), cookie(d, CSRF_COOKIE, started.csrfToken, ttl, false)],
    };
  },

  // Always 204 with both cookies cleared, so the answer tells nothing about the session.
  signOut: async (req: ApiRequest, d: Deps): Promise<ApiResult> => {
    await signOut(d, req.cookies[SESSION_COOKIE]);
    return { status: 204, headers: NO_STORE, cookies: [cookie(d, SESSION_COOKIE, '', 0, true), cookie(d, CSRF_COOKIE, '', 0, false)] };
  },

  approveDevice: async (req: ApiRequest, d: Deps) => {
    const user = await sessionWriter(req, d);
    const { user_code } = bodyOf(spec.approveDevice, req);
    return ok(await decideDevice(d, user, user_code, 'approved', sourceOf(req)));
  },

  denyDevice: async (req: ApiRequest, d: Deps) => {
    const user = await sessionWriter(req, d);
    const { user_code } = bodyOf(spec.denyDevice, req);
    return ok(await decideDevice(d, user, user_code, 'denied', sourceOf(req)));
  },

  // Public and the same for everyone: built once per container from the route table and the specs.
  openApiDocument: async () => ok(openApiDocument(), 200, { 'cache-control': 'public, max-age=300' }),

  jwks: async (_req: ApiRequest, d: Deps) => ok(await d.tokens.jwks(), 200, { 'cache-control': 'public, max-age=300' }),

  whoami: async (req: AuthedRequest) =>
    ok({
      principal_type: 'user',
      principal_scope: 'domain',
      subject: req.user.id,
      domain_id: req.user.domain_id,
      email: req.user.email,
      display_name: req.user.display_name,
    }),
});
