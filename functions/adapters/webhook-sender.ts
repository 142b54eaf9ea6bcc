// Sends one signed delivery. Before it connects it checks the URL against the policy again and
// resolves the host itself: every address DNS gives must be one the policy allows, and the socket
// connects to the address that was checked (node's `lookup` hook hands it over), so a name that
// resolves to a public address when checked and to a private one a moment later (DNS rebinding) has
// no second lookup to exploit. Redirects are not followed: a 3xx is a failed attempt like any non-2xx.
import { lookup as dnsLookup } from 'node:dns/promises';
import { type ClientRequest, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { addressScope } from '../core/webhooks/ip-address.ts';
import { checkWebhookUrl, refusedScope, type UrlPolicy } from '../core/webhooks/url-policy.ts';
import type { SendResult, SignedRequest, WebhookSender } from '../core/webhooks/webhook.ts';
import { signedHeaders } from './webhook-signature.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface HttpWebhookSenderOptions {
  policy: UrlPolicy;
  timeoutMs: number;
  /** Every address of a name (tests resolve names their own way). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

/** What a receiver's answer body may be; the rest is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;
const USER_AGENT = 'Plexsphere-Webhooks/1';

class Refused extends Error {
  override readonly name = 'Refused' as const;
}

const systemResolve = (hostname: string): Promise<ResolvedAddress[]> => dnsLookup(hostname, { all: true, verbatim: true });

/** The address to connect to: the URL's literal one, or the first DNS gives, each of them checked against the policy. */
export async function checkedAddress(url: URL, policy: UrlPolicy, resolve = systemResolve): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new Refused('dns_failed');
    }
  }
  if (addresses.length === 0) throw new Refused('dns_failed');
  for (const { address } of addresses) {
    const scope = addressScope(address);
    if (!scope || refusedScope(scope, policy)) throw new Refused('address_not_allowed');
  }
  return addresses[0] as ResolvedAddress;
}

/** A lookup that answers only the address already checked, in whichever form node asks for. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  }) as LookupFunction;
}

function errorCode(err: unknown): string {
  const code = String((err as { code?: unknown })?.code ?? (err as { name?: unknown })?.name ?? 'network_error');
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'unreachable';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return 'tls_error';
  return 'network_error';
}

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly opts: HttpWebhookSenderOptions) {}

  async send(req: SignedRequest): Promise<SendResult> {
    const started = performance.now();
    const result = (status_code: number | null, error?: string): SendResult => ({
      status_code,
      ...(error && { error }),
      duration_ms: Math.round(performance.now() - started),
    });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.opts.timeoutMs);
    try {
      const url = checkWebhookUrl(req.url, this.opts.policy);
      const pinned = await checkedAddress(url, this.opts.policy, this.opts.resolve);
      if (abort.signal.aborted) return result(null, 'timeout');
      const status = await this.post(url, pinned, req, abort.signal);
      return result(status);
    } catch (err) {
      if (abort.signal.aborted) return result(null, 'timeout');
      if (err instanceof Refused) return result(null, err.message);
      if ((err as { name?: unknown }).name === 'UnprocessableError' || (err as { name?: unknown }).name === 'InvalidInputError') {
        return result(null, 'url_not_allowed');
      }
      return result(null, errorCode(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /** POSTs the body and answers the status once the answer was read (up to its cap), or fails. */
  private post(url: URL, pinned: ResolvedAddress, req: SignedRequest, signal: AbortSignal): Promise<number> {
    const body = Buffer.from(req.body, 'utf8');
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
        ...signedHeaders(req.secret, req.messageId, req.timestampSeconds, req.body),
      },
      lookup: pinnedLookup(pinned),
      signal,
      agent: false,
    };
    return new Promise<number>((resolve, reject) => {
      const onAnswer = (res: IncomingMessage) => {
        let read = 0;
        const status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) {
            res.destroy();
            resolve(status);
          }
        });
        res.on('end', () => resolve(status));
        res.on('error', reject);
      };
      const outgoing: ClientRequest =
        url.protocol === 'https:' ? httpsRequest(url, options, onAnswer) : httpRequest(url, options, onAnswer);
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}
