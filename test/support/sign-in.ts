import type { StartedDeviceAuthorization } from '../../functions/core/auth/schemas.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';

/** What device-code answers: the core's own shape of a started device authorization. */
export type DeviceCodeResponse = StartedDeviceAuthorization;

export interface SignInOptions {
  domainId?: string;
  bindingId?: string;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function expectOk(res: Response, step: string): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${step} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** `name=value` pairs of a response's Set-Cookie headers. */
export function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export async function startDeviceCode(baseUrl: string, opts: SignInOptions = {}): Promise<DeviceCodeResponse> {
  const body = { domain_id: opts.domainId ?? FIXTURES.domain.id, ...(opts.bindingId && { idp_binding_id: opts.bindingId }) };
  return (await expectOk(await postJson(`${baseUrl}/v1/auth/device-code`, body), 'device-code')) as DeviceCodeResponse;
}

/** Signs in on the page's API; returns the cookie header and the CSRF token the page would send. */
export async function signInSession(
  baseUrl: string,
  email: string,
  password: string,
  opts: SignInOptions = {},
): Promise<{ cookie: string; csrf: string }> {
  const res = await postJson(`${baseUrl}/v1/auth/sign-in`, { domain_id: opts.domainId ?? FIXTURES.domain.id, email, password });
  await expectOk(res, 'sign-in');
  const jar = cookiesOf(res);
  const session = jar.plexsphere_session;
  const csrf = jar.plexsphere_csrf;
  if (!session || !csrf) throw new Error('sign-in set no session cookies');
  return { cookie: `plexsphere_session=${session}; plexsphere_csrf=${csrf}`, csrf };
}

/** Polls device-token as a well-behaved client: at the interval, slower after slow_down. */
export async function pollDeviceToken(baseUrl: string, device: DeviceCodeResponse): Promise<string> {
  let interval = device.interval;
  const deadline = Date.now() + device.expires_in * 1000;
  while (Date.now() < deadline) {
    const res = await postJson(`${baseUrl}/v1/auth/device-token`, { device_code: device.device_code });
    const body = (await res.json()) as { access_token?: string; code?: string };
    if (res.ok && body.access_token) return body.access_token;
    if (body.code === 'slow_down') interval += 5;
    else if (body.code !== 'authorization_pending') throw new Error(`device-token answered ${res.status} ${body.code}`);
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
  }
  throw new Error('the device code expired before approval');
}

/**
 * The whole device flow over plain HTTP, as a person with a browser and a CLI would run it:
 * device-code, sign-in, approve (session cookie + CSRF header), device-token. Returns the access token.
 */
export async function signInViaApi(baseUrl: string, email: string, password: string, opts: SignInOptions = {}): Promise<string> {
  const device = await startDeviceCode(baseUrl, opts);
  const { cookie, csrf } = await signInSession(baseUrl, email, password, opts);
  await expectOk(
    await postJson(`${baseUrl}/v1/auth/device/approve`, { user_code: device.user_code }, { cookie, 'x-plexsphere-csrf': csrf }),
    'approve',
  );
  return pollDeviceToken(baseUrl, device);
}
