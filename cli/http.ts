// The broker over HTTP, through the one typed client the console uses too (client/broker.ts): every
// path, parameter, body and answer is typed from the OpenAPI document the broker serves, so a call
// that drifts from the server fails the typecheck. What plexctl adds: its user agent and bearer
// token, a timeout per request, and refusals as ApiError (the exit code follows the status).
import {
  type BrokerClient,
  type BrokerProblem,
  createBrokerClient,
  type DataOf,
  type Method,
  type PathsWith,
  problemOf,
  type RequestOf,
} from '../client/broker.ts';
import { ApiError, CliError, EXIT } from './errors.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClientOptions {
  baseUrl: string;
  token?: string | undefined;
  fetch?: FetchLike | undefined;
  /** Turns a 401 into the error the user should see (e.g. "your session … has expired"). */
  onUnauthenticated?: (err: ApiError) => Error;
  timeoutMs?: number;
}

/** The options of one call: left out when the call needs no parameters and no body. */
export type CallArgs<O> = Record<never, never> extends O ? [options?: O] : [options: O];

/** One typed call: `api.GET('/v1/resources/{id}', { params: { path: { id } } })`. */
export type Call<M extends Method> = <P extends PathsWith<M>>(path: P, ...options: CallArgs<RequestOf<P, M>>) => Promise<ApiResponse<DataOf<P, M>>>;

export const USER_AGENT = 'plexctl/0.1.0';

export class ApiClient {
  readonly baseUrl: string;
  private readonly http: BrokerClient;
  private readonly fetchImpl: FetchLike;
  private readonly onUnauthenticated: ((err: ApiError) => Error) | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.onUnauthenticated = opts.onUnauthenticated;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.http = createBrokerClient({
      baseUrl: this.baseUrl,
      headers: { accept: 'application/json', 'user-agent': USER_AGENT, ...(opts.token && { authorization: `Bearer ${opts.token}` }) },
      // An array in the query goes as one comma-separated value (type=a,b), as the broker reads it.
      querySerializer: { array: { style: 'form', explode: false } },
      fetch: (request) => this.send(request),
    });
  }

  /** A non-2xx answer throws ApiError carrying the problem's code; a 401 what onUnauthenticated makes of it. */
  readonly GET: Call<'get'> = (path, ...options) => this.call('get', path, options[0]);
  readonly POST: Call<'post'> = (path, ...options) => this.call('post', path, options[0]);
  readonly PATCH: Call<'patch'> = (path, ...options) => this.call('patch', path, options[0]);
  readonly DELETE: Call<'delete'> = (path, ...options) => this.call('delete', path, options[0]);

  private async call<M extends Method, P extends PathsWith<M>>(method: M, path: P, options: RequestOf<P, M> | undefined): Promise<ApiResponse<DataOf<P, M>>> {
    let answer: { data?: unknown; error?: unknown; response: Response };
    try {
      // The typed signatures above checked path and options against the document; openapi-fetch's
      // own generic signature cannot be re-derived from a method known only at run time.
      answer = await this.http.request(method, path as never, withoutBlankQuery(options) as never);
    } catch (err) {
      if (err instanceof SyntaxError) throw new CliError(`the broker at ${this.baseUrl} answered with malformed JSON (${err.message})`, EXIT.other, 'bad_answer');
      throw err;
    }
    const { data, error, response } = answer;
    if (response.ok) return { status: response.status, headers: response.headers, body: data as DataOf<P, M> };
    const refusal = apiError(problemOf(response, error));
    if (response.status === 401 && this.onUnauthenticated) throw this.onUnauthenticated(refusal);
    throw refusal;
  }

  /** Hands the client's request to plexctl's fetch (a test's, or the real one) with the timeout. */
  private async send(request: Request): Promise<Response> {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = request.body ? await request.text() : undefined;
    try {
      return await this.fetchImpl(request.url, {
        method: request.method,
        headers,
        ...(body !== undefined && { body }),
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
    } catch (err) {
      if (request.signal.aborted) throw err;
      throw unreachable(this.baseUrl, err);
    }
  }
}

/** A refusal as plexctl reports it: the problem's code and detail, its exit code from the status. */
export function apiError(problem: BrokerProblem): ApiError {
  return new ApiError(problem.status, problem.code, problem.message, problem.problem);
}

/** A flag left empty sends no parameter, as if it were not given. */
function withoutBlankQuery<O>(options: O): O {
  const params = (options as { params?: { query?: Record<string, unknown> } } | undefined)?.params;
  if (!params?.query) return options;
  const query = Object.fromEntries(Object.entries(params.query).filter(([, v]) => v !== undefined && v !== ''));
  return { ...options, params: { ...params, query } };
}

function unreachable(baseUrl: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if ((err as Error)?.name === 'TimeoutError') return new CliError(`the broker at ${baseUrl} did not answer in time`, EXIT.other, 'timeout');
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new CliError(
    `cannot reach the broker at ${baseUrl} (${why}); is it running (npm start)? PLEXSPHERE_URL chooses another one`,
    EXIT.other,
    'unreachable',
  );
}
