// login (the RFC 8628 device flow against the broker), whoami, logout.
import type { Schemas } from '../../client/broker.ts';
import { openBrowser } from '../browser.ts';
import { isUnderBroker } from '../broker-url.ts';
import { type Command, boolFlag, stringFlag } from '../command.ts';
import { updateProfile } from '../config.ts';
import { Context } from '../context.ts';
import { ApiError, AuthError, UsageError } from '../errors.ts';
import { ApiClient } from '../http.ts';
import { Spinner } from '../progress.ts';
import { details } from '../render.ts';
import { result } from './shared.ts';

type DeviceCode = Schemas['DeviceCodeView'];
type DeviceToken = Schemas['DeviceTokenView'];

const login: Command = {
  path: ['login'],
  summary: 'Sign in through the browser (device code) and save the session in a profile',
  description: [
    'Prints a sign-in URL and a code, opens the browser where there is a display, and waits',
    'until you approve the code on the page. The session is saved in the profile (default',
    '"default"); other commands pick it with --profile.',
  ].join('\n'),
  flags: {
    'profile-name': { type: 'string', placeholder: 'name', description: 'profile to save the session in (same as --profile)' },
    'domain-id': { type: 'string', placeholder: 'id', description: 'the Domain to sign in to (remembered by the profile)' },
    'idp-binding-id': { type: 'string', placeholder: 'id', description: "the Domain's sign-in binding (default: its primary one)" },
    url: { type: 'string', placeholder: 'url', description: 'the broker (default $PLEXSPHERE_URL, then the profile\'s, then http://localhost:8080)' },
    'no-browser': { type: 'boolean', description: 'do not try to open a browser; just print the URL' },
  },
  examples: [
    'eval "$(make -s dev-ids)"',
    'plexctl login --domain-id "$DOMAIN_ID" --idp-binding-id "$BINDING_ID"',
    'plexctl login --profile-name operator --domain-id "$DOMAIN_ID" --idp-binding-id "$BINDING_ID"',
  ],
  async run(outer, args) {
    const ctx = new Context(outer.io, stringFlag(args, 'profile-name') ?? outer.profileName, outer.output, outer.insecure);
    const previous = ctx.profile();
    const url = ctx.checkedUrl((stringFlag(args, 'url') ?? ctx.baseUrl()).replace(/\/+$/, ''));
    const domainId = stringFlag(args, 'domain-id') ?? previous?.domain_id;
    if (!domainId) throw new UsageError('login needs --domain-id <id> (for the local stack: eval "$(make -s dev-ids)" sets $DOMAIN_ID)', 'login');
    const bindingId = stringFlag(args, 'idp-binding-id') ?? (domainId === previous?.domain_id ? previous?.idp_binding_id : undefined);
    const api = new ApiClient({ baseUrl: url, fetch: ctx.io.fetch });

    const device = (await api.POST('/v1/auth/device-code', { body: { domain_id: domainId, ...(bindingId && { idp_binding_id: bindingId }) } })).body;
    ctx.err(
      [
        `Sign in to Plexsphere at ${url} (profile ${ctx.profileName}).`,
        `Open this page in a browser:`,
        ``,
        `    ${device.verification_uri_complete}`,
        ``,
        `and check that it shows the code ${device.user_code}. (Or open ${device.verification_uri} and type the code.)`,
        '',
      ].join('\n'),
    );
    if (!isUnderBroker(device.verification_uri_complete, url)) {
      // Only the broker's own page is opened for the user; this one may be a look-alike.
      ctx.err(`Warning: that page is not under ${url}; not opening it. Check it before you sign in there.\n`);
    } else if (!boolFlag(args, 'no-browser')) {
      const opened = (ctx.io.openBrowser ?? ((u: string) => openBrowser(u, ctx.env)))(device.verification_uri_complete);
      if (opened) ctx.err('Opened it in your browser.\n');
    }

    const spinner = new Spinner(ctx.io.stderr, 'Waiting for you to approve the sign-in in the browser');
    spinner.start();
    let token: DeviceToken;
    try {
      token = await pollForToken(ctx, api, device, () => spinner.tick());
    } finally {
      spinner.stop();
    }

    const me = (await new ApiClient({ baseUrl: url, token: token.access_token, fetch: ctx.io.fetch }).GET('/v1/auth/whoami')).body;
    const expiresAt = new Date(ctx.now() + token.expires_in * 1000).toISOString();
    updateProfile(
      ctx.profileName,
      () => ({
        url,
        token: token.access_token,
        token_expires_at: expiresAt,
        domain_id: me.domain_id,
        ...(bindingId && { idp_binding_id: bindingId }),
        email: me.email,
        subject: me.subject,
      }),
      ctx.env,
    );
    const data = { profile: ctx.profileName, url, email: me.email, subject: me.subject, domain_id: me.domain_id, token_expires_at: expiresAt };
    return result(data, `Signed in as ${me.email} (profile ${ctx.profileName}); the session lasts until ${expiresAt}.\n`);
  },
};

/** Polls device-token at the server's interval, 5 s slower after each slow_down (RFC 8628 §3.5). */
async function pollForToken(ctx: Context, api: ApiClient, device: DeviceCode, onPoll: () => void): Promise<DeviceToken> {
  let intervalMs = Math.max(1, device.interval) * 1000;
  const deadline = ctx.now() + device.expires_in * 1000;
  for (;;) {
    await ctx.sleep(intervalMs);
    onPoll();
    try {
      return (await api.POST('/v1/auth/device-token', { body: { device_code: device.device_code } })).body;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'authorization_pending') {
        // keep waiting
      } else if (err.code === 'slow_down') {
        intervalMs += 5000;
      } else if (err.code === 'access_denied') {
        throw new AuthError('the sign-in was denied in the browser; run plexctl login again to retry');
      } else if (err.code === 'expired_token') {
        throw new AuthError('the code expired before it was approved; run plexctl login again for a new one');
      } else {
        throw err;
      }
    }
    if (ctx.now() >= deadline) throw new AuthError('the code expired before it was approved; run plexctl login again for a new one');
  }
}

const whoami: Command = {
  path: ['whoami'],
  summary: "Show who the profile's session signs in as",
  async run(ctx) {
    const me = (await ctx.api().GET('/v1/auth/whoami')).body;
    const profile = ctx.profile();
    return result(
      me,
      details([
        ['Profile', ctx.profileName],
        ['Email', me.email],
        ['Name', me.display_name],
        ['Subject', me.subject],
        ['Domain', me.domain_id],
        ['Broker', ctx.baseUrl()],
        ['Session expires', profile?.token_expires_at],
      ]),
    );
  },
};

const logout: Command = {
  path: ['logout'],
  summary: "Forget the profile's session on this machine",
  description: 'Removes the token from the config file; the profile keeps its broker URL and domain for the next login.',
  async run(ctx) {
    const had = Boolean(ctx.profile()?.token);
    if (had) {
      updateProfile(
        ctx.profileName,
        (current) => {
          if (!current) return undefined;
          const { token: _token, token_expires_at: _expiry, ...rest } = current;
          return rest;
        },
        ctx.env,
      );
    }
    return result(
      { profile: ctx.profileName, signed_out: had },
      had ? `Signed out of profile ${ctx.profileName}.\n` : `Profile ${ctx.profileName} was not signed in.\n`,
    );
  },
};

export const AUTH_COMMANDS: readonly Command[] = [login, whoami, logout];
