// The one typed client of the broker's public API, shared by the web console and plexctl. Its
// paths, parameters, bodies and answers are typed from client/openapi.gen.ts, which is generated
// from the document the broker serves, so neither caller can drift from the server unnoticed.
import createClient, { type Client, type ClientOptions, type FetchOptions, type FetchResponse, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './openapi.gen.ts';

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type BrokerClient = Client<paths>;
export type BrokerClientOptions = ClientOptions;
export type { Middleware };

/** The methods the public API answers. */
export type Method = 'get' | 'post' | 'patch' | 'delete';
/** The path templates that answer `M`, e.g. '/v1/resources/{id}' for 'get'. */
export type PathsWith<M extends Method> = { [P in keyof paths]: paths[P] extends Record<M, object> ? P : never }[keyof paths];
/** The operation behind `M` on `P`. */
export type OperationOf<P extends PathsWith<M>, M extends Method> = NonNullable<paths[P][M]>;
/** What one call of `M` on `P` takes: its path, query and header parameters, its body, and fetch options. */
export type RequestOf<P extends PathsWith<M>, M extends Method> = FetchOptions<OperationOf<P, M>>;
/** The parameters alone (path, query, header) of `M` on `P`. */
export type ParamsOf<P extends PathsWith<M>, M extends Method> = NonNullable<OperationOf<P, M> extends { parameters: infer T } ? T : never>;
/** The query parameters of `M` on `P` (never when it takes none). */
export type QueryOf<P extends PathsWith<M>, M extends Method> = ParamsOf<P, M> extends { query?: infer Q } ? NonNullable<Q> : never;
/** What a 2xx answer of `M` on `P` carries. */
export type DataOf<P extends PathsWith<M>, M extends Method> =
  FetchResponse<OperationOf<P, M>, object, `${string}/${string}`> extends infer R ? (R extends { data: infer D } ? D : never) : never;

export function createBrokerClient(options: BrokerClientOptions, middleware: Middleware[] = []): BrokerClient {
  const client = createClient<paths>(options);
  for (const m of middleware) client.use(m);
  return client;
}

/** A refusal as the broker words it (RFC 9457 problem+json with our stable `code`). */
export type ProblemBody = Schemas['Problem'];

/** A non-2xx answer: the problem's code and words, or the HTTP status when the body is not a problem. */
export class BrokerProblem extends Error {
  override readonly name = 'BrokerProblem';
  readonly status: number;
  readonly code: string;
  readonly problem: Partial<ProblemBody> & Record<string, unknown>;

  constructor(status: number, code: string, detail: string, problem: Record<string, unknown> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

/** Reads a failed answer's body (already parsed by the client, or raw text) as a BrokerProblem. */
export function problemOf(res: Pick<Response, 'status' | 'statusText'>, body: unknown): BrokerProblem {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const p = body as Record<string, unknown>;
    const code = typeof p.code === 'string' ? p.code : `http_${res.status}`;
    const detail = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : res.statusText;
    return new BrokerProblem(res.status, code, detail || `HTTP ${res.status}`, p);
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return new BrokerProblem(res.status, `http_${res.status}`, text || res.statusText || `HTTP ${res.status}`);
}

/** What every client call resolves to. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer; a refusal throws its BrokerProblem. */
export async function must<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw problemOf(response, error);
  return data as T;
}
