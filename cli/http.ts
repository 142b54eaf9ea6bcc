// The broker over HTTP, and nothing else: JSON in, JSON or problem+json out.
import { ApiError, CliError, EXIT } from './errors.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
}

export interface ApiClientOptions {
  baseUrl: string;
  token?: string | undefined;
  fetch?: FetchLike;
  /** Turns a 401 into the error the user should see (e.g. "your session … has expired"). */
  onUnauthenticated?: (err: ApiError) => Error;
  timeoutMs?: number;
}

export const USER_AGENT = 'plexctl/0.1.0';

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly onUnauthenticated: ((err: ApiError) => Error) | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.onUnauthenticated = opts.onUnauthenticated;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  get<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, opts);
  }

  post<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, opts);
  }

  patch<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('PATCH', path, opts);
  }

  delete<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, opts);
  }

  /** Sends one request; a non-2xx answer throws ApiError carrying the problem's code. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT, ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(url.toString(), {
        method,
        headers,
        ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw unreachable(this.baseUrl, err);
    }
    const text = await res.text();
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (res.ok) return { status: res.status, headers: res.headers, body: body as T };
    const error = problemError(res, body, text);
    if (res.status === 401 && this.onUnauthenticated) throw this.onUnauthenticated(error);
    throw error;
  }
}

/** A non-2xx answer as an ApiError: the problem's code and detail, or the HTTP status when the body is not a problem. */
export function problemError(res: Pick<Response, 'status' | 'statusText'>, body: unknown, text = ''): ApiError {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const problem = body as Record<string, unknown>;
    const code = typeof problem.code === 'string' ? problem.code : `http_${res.status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : res.statusText;
    return new ApiError(res.status, code, detail || `HTTP ${res.status}`, problem);
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(res.status, `http_${res.status}`, snippet || res.statusText || `HTTP ${res.status}`);
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
