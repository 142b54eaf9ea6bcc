import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on loopback (port 0 = a free port) and resolves with the bound port. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The endpoint URL of a server bound to `host` (an IPv6 address goes in brackets). */
export function endpointUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Stops accepting connections, lets the requests in flight finish (up to `graceMs`), then drops
 * what is left. A request cut off mid-way would go on running against services being closed next.
 */
export function closeServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections?.(), 20);
    const force = setTimeout(() => server.closeAllConnections?.(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections?.();
  });
}

/** Stops accepting connections and resolves once the open ones end; idle ones are dropped at once. */
export function closeIdleServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  // SDK clients keep connections alive; without this, close() would wait for them to time out.
  server.closeIdleConnections();
  return closed;
}
