// Where plexctl may send a token, and which pages it may open for the broker. A bearer token over
// plain http can be read on the way unless the broker is this machine; a sign-in URL the broker
// answers is opened only when it is the broker's own page, so a tampered answer cannot send the
// browser elsewhere to type a password.
import { UsageError } from './errors.ts';

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * The broker URL as given, if plexctl may talk to it: https, or http to a loopback address, or
 * any http with `insecure` (--insecure). Anything else is a usage error that says how to proceed.
 */
export function checkBrokerUrl(url: string, insecure: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the broker URL "${url}" is not a URL`);
  }
  if (parsed.protocol === 'https:') return url;
  if (parsed.protocol !== 'http:') throw new UsageError(`the broker URL must be https:// (or http:// to this machine), not "${url}"`);
  if (isLoopbackHost(parsed.hostname) || insecure) return url;
  throw new UsageError(
    `refusing the broker URL ${url}: plain http would send your session token in clear; use https://, or pass --insecure if you accept that`,
  );
}

/** Whether `target` is a page of the broker at `brokerUrl`: same origin, and under its path. */
export function isUnderBroker(target: string, brokerUrl: string): boolean {
  let page: URL;
  let broker: URL;
  try {
    page = new URL(target);
    broker = new URL(brokerUrl);
  } catch {
    return false;
  }
  if (page.origin !== broker.origin || page.username || page.password) return false;
  const base = broker.pathname.endsWith('/') ? broker.pathname : `${broker.pathname}/`;
  return page.pathname === broker.pathname || page.pathname.startsWith(base);
}
