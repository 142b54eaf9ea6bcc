// Where a webhook may point. Checked when it is registered (what the URL says) and again at every
// delivery (what its name resolves to then, by the sender): a receiver must be a public https
// endpoint, never the broker's own network, the loopback, a link-local address (the instance
// metadata service) or a private range. The embedded stack's receivers listen on the loopback
// over plain http, so it sets `allowHttpLoopback`, a setting, not a branch on where we run.
import { InvalidInputError, UnprocessableError } from '../errors.ts';
import { type AddressScope, addressScope } from './ip-address.ts';

export interface UrlPolicy {
  /** Lets http:// to a loopback address (127.0.0.0/8, ::1, localhost) through, and nothing else more. */
  allowHttpLoopback: boolean;
}

export const MAX_URL_LENGTH = 2048;

// Names that resolve to the host itself or to a private network by convention, whatever DNS says.
const LOOPBACK_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;
const INTERNAL_SUFFIXES = /\.(local|internal|intranet|lan|home|corp|localdomain|home\.arpa)$/;

const notAllowed = (detail: string) => new UnprocessableError('webhook_url_not_allowed', detail);

/** A destination address's scope refused under `policy`; undefined when it may be reached. */
export function refusedScope(scope: AddressScope, policy: UrlPolicy): AddressScope | undefined {
  if (scope === 'public') return undefined;
  if (scope === 'loopback' && policy.allowHttpLoopback) return undefined;
  return scope;
}

/** The URL a webhook is registered with, checked; its text as URL normalises it (so numeric host forms read as dotted IPs). */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError('invalid_webhook_url', 'url is not an absolute URL.');
  }
  if (raw.length > MAX_URL_LENGTH) throw new InvalidInputError('invalid_webhook_url', `url is longer than ${MAX_URL_LENGTH} characters.`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInputError('invalid_webhook_url', 'url must be an https:// URL.');
  }
  if (url.username || url.password) throw new InvalidInputError('invalid_webhook_url', 'url may not carry a user name or password.');
  if (url.hash) throw new InvalidInputError('invalid_webhook_url', 'url may not carry a #fragment.');
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const literal = addressScope(host);
  const loopback = literal === 'loopback' || (literal === undefined && LOOPBACK_NAMES.test(host));
  if (url.protocol === 'http:' && !(policy.allowHttpLoopback && loopback)) throw notAllowed('url must be an https:// URL.');
  if (literal !== undefined) {
    const refused = refusedScope(literal, policy);
    if (refused)
      throw notAllowed(`url points at a ${refused.replace('_', '-')} address; a receiver must be reachable on the public internet.`);
    return url;
  }
  if (loopback) {
    if (!policy.allowHttpLoopback) throw notAllowed('url names this host; a receiver must be reachable on the public internet.');
    return url;
  }
  if (!host.includes('.') || INTERNAL_SUFFIXES.test(host)) {
    throw notAllowed('url names a host of a private network; a receiver must have a public DNS name.');
  }
  return url;
}
