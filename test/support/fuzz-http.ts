import { Agent } from 'node:http';
import { rawRequest } from './node-http.ts';

// A raw HTTP client for the fuzz suite: fetch refuses what the suite must send (a body on GET,
// bytes that are not UTF-8, a path with broken percent-encoding, any header value), so requests
// go through node:http on one keep-alive agent, a few at a time.

export interface FuzzRequest {
  method: string;
  /** Sent as is: it may hold broken percent-encoding on purpose. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  method: string;
  status: number;
  contentType: string;
  text: string;
  /** The parsed body when it is JSON; undefined otherwise. */
  json: unknown;
}

export interface FuzzClient {
  send(req: FuzzRequest): Promise<FuzzResponse>;
  close(): void;
}

export function fuzzClient(baseUrl: string): FuzzClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const send = (req: FuzzRequest, attempt = 0): Promise<FuzzResponse> => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers['content-length'] = req.body.length;
    return rawRequest({ host: hostname, port, method: req.method, path: req.path, headers, agent }, req.body).then(
      (res) => ({ method: req.method, status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: res.text, json: res.json }),
      (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed between two requests is the transport's race, not an answer.
        if (attempt === 0 && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return send(req, 1);
        throw err;
      },
    );
  };
  return { send: (req) => send(req), close: () => agent.destroy() };
}

/** Runs `work` over `items` with at most `concurrency` at a time, keeping the input order in the output. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * What is wrong with an answer, or undefined: never a 5xx (but for one the operation documents as
 * its answer, like a 501 for what this broker does not provision), and every refusal is
 * problem+json with its code.
 */
export function answerFault(res: FuzzResponse, documented: readonly number[] = []): string | undefined {
  if (res.status >= 500 && !documented.includes(res.status)) return `a ${res.status}`;
  if (res.status < 400) return undefined;
  if (!res.contentType.startsWith('application/problem+json')) return `a ${res.status} as ${res.contentType || 'no content type'}`;
  // An answer to HEAD has no body by definition: its status and type are all there is to check.
  if (res.method === 'HEAD') return undefined;
  const body = res.json as { code?: unknown; status?: unknown } | undefined;
  if (typeof body?.code !== 'string' || body.code === '') return `a ${res.status} problem without a code`;
  if (body.status !== res.status) return `a ${res.status} problem that says status ${String(body.status)}`;
  return undefined;
}
