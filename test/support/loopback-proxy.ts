import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A small HTTP proxy on loopback in front of the test stack, which a test can take down (every open
// connection dropped, the port refusing), bring back on the same port, or have answer 503 for a
// while: the outages a client that follows the broker has to ride out.

export interface LoopbackProxy {
  readonly url: string;
  /** The path and query of every request that reached the proxy, in order. */
  readonly seen: string[];
  /** The next `n` requests are answered 503 problem+json instead of forwarded. */
  failNext(n: number): void;
  /** Drops every connection and stops listening. */
  stop(): Promise<void>;
  /** Listens again, on the same port. */
  start(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'host']);

function headersOf(source: Iterable<[string, string | string[] | undefined]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of source) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? Buffer.concat(chunks) : undefined;
}

export async function startLoopbackProxy(target: string): Promise<LoopbackProxy> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let failing = 0;
  let port = 0;
  let server: Server | undefined;

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    if (failing > 0) {
      failing--;
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable', detail: 'The proxy is failing on purpose.' }));
      return;
    }
    try {
      const body = await bodyOf(req);
      const upstream = await fetch(`${target}${req.url}`, { method: req.method ?? 'GET', headers: headersOf(Object.entries(req.headers)), ...(body && { body }) });
      const payload = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, headersOf(upstream.headers.entries()));
      res.end(payload);
    } catch {
      res.destroy();
    }
  };

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => void forward(req, res));
      s.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      for (const socket of sockets) socket.destroy();
      s.close(() => resolve());
    });

  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    seen,
    failNext: (n) => {
      failing = n;
    },
    stop,
    start,
  };
}
