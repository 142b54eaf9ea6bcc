/** What a route handler sees: the parsed request, independent of API Gateway's event shape. */
export interface ApiRequest {
  method: string;
  path: string;
  routeKey: string;
  pathParams: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  cookies: Record<string, string>;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  correlationId: string;
  /** The caller's address as API Gateway saw it (not a forwardable header): sign-in throttling keys on it. */
  sourceIp?: string;
}

export interface ApiResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  cookies?: string[];
  /** Set for non-JSON bodies (the sign-in page); `body` must then be a string. */
  contentType?: string;
}

export function ok(body: unknown, status = 200, headers?: Record<string, string>): ApiResult {
  return headers ? { status, body, headers } : { status, body };
}

export function created(body: unknown, location: string): ApiResult {
  return { status: 201, body, headers: { Location: location } };
}

export function noContent(): ApiResult {
  return { status: 204 };
}
