// The AWS JSON protocol (awsJson1_0, awsJson1_1) as the local emulators speak it: a POST whose
// X-Amz-Target header names `<service>.<Operation>`, a JSON body, a JSON answer, and errors as
// `{ __type, message }` (the type repeated in x-amzn-errortype), which the SDK maps to its modeled
// exception classes. Secrets Manager, KMS and Step Functions serve it whole with `serveJson`; the
// DynamoDB front answers its transactions with the same pieces.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import type * as z from 'zod';
import { closeIdleServer, endpointUrl, listen } from './net.ts';
import { readBodyText } from './state-file.ts';

export type JsonVersion = '1.0' | '1.1';

export function contentType(version: JsonVersion): string {
  return `application/x-amz-json-${version}`;
}

/** An error the SDK maps to a modeled exception class by its `__type`. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function fail(type: string, message: string): never {
  throw new ServiceError(type, message);
}

/** The body of an AWS error answer; a `message` left undefined is not sent. */
export function errorBody(type: string, message?: string): { __type: string; message?: string } {
  return { __type: type, message };
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Checks a request body against its schema. Errors name field paths only: an issue's text could echo a submitted value. */
export function parseInput<T>(schema: z.ZodType<T>, body: unknown, errorType: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => issue.path.join('.') || '(body)');
  return fail(errorType, `Invalid or missing parameter: ${[...new Set(fields)].join(', ')}`);
}

/** A service's operations by name, each with the schema of its input. */
export type OperationInputs = Record<string, z.ZodType>;

/** What answers them: for each operation, the method of its name, given the parsed input (and `context`). */
export type Operations<I extends OperationInputs, C> = { [K in keyof I]: (input: z.output<I[K]>, context: C) => unknown };

/**
 * Runs one operation: its body checked against its schema (`errorType` on a mismatch), then the
 * method of its name. One not in `inputs` is UnknownOperationException.
 */
export async function runOperation<I extends OperationInputs, C>(
  service: Operations<I, C>,
  inputs: I,
  operation: string,
  body: unknown,
  errorType: string,
  context: C,
): Promise<unknown> {
  if (!Object.hasOwn(inputs, operation)) fail('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
  const name = operation as keyof I;
  const input = parseInput(inputs[name] as z.ZodType<z.output<I[keyof I]>>, body, errorType);
  return service[name].call(service, input, context);
}

/** The `<Operation>` of an X-Amz-Target `<service>.<Operation>`; undefined for another service or none. */
export function targetOperation(req: IncomingMessage, service: string): string | undefined {
  const target = req.headers['x-amz-target'];
  const prefix = `${service}.`;
  return typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
}

/** The region the caller signed for (SigV4 credential scope), so ARNs match the client's configuration. */
export function signedRegion(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * Writes a JSON answer. `dynalite` frames it as dynalite does (its header spelling and the CRC32
 * DynamoDB clients check), so the front's own answers cannot be told from the store's.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  opts: { version: JsonVersion; errorType?: string | undefined; dynalite?: boolean },
): void {
  const payload = JSON.stringify(body);
  const headers: OutgoingHttpHeaders = opts.dynalite
    ? {
        'Content-Type': contentType(opts.version),
        'Content-Length': Buffer.byteLength(payload),
        'x-amz-crc32': crc32(payload),
        'x-amzn-RequestId': randomUUID(),
      }
    : {
        'content-type': contentType(opts.version),
        'content-length': Buffer.byteLength(payload),
        'x-amzn-requestid': randomUUID(),
        ...(opts.errorType ? { 'x-amzn-errortype': opts.errorType } : {}),
      };
  res.writeHead(status, headers);
  res.end(payload);
}

export interface JsonServiceOptions {
  /** The X-Amz-Target prefix, e.g. `secretsmanager`. */
  service: string;
  version: JsonVersion;
  host?: string | undefined;
  port?: number | undefined;
  maxBodyBytes: number;
  /** `__type` of the 413 answer to a body past maxBodyBytes. */
  tooLargeType: string;
  /** `__type` of the 500 answer to an unexpected error; its message is fixed, the error's text might carry request data. */
  internalErrorType: string;
  onInternalError?: (error: unknown) => void;
  /** Secrets Manager has always answered a `null` body as malformed JSON; kept so its answers do not change. */
  nullIsMalformed?: boolean;
  /** Runs one operation on the parsed body (`{}` when empty); a thrown ServiceError is the answer. */
  handle(operation: string, body: unknown, req: IncomingMessage): Promise<unknown>;
}

/** Reads a request body as JSON: empty is `{}`, anything not JSON a SerializationException. */
async function readJsonBody(req: IncomingMessage, opts: JsonServiceOptions): Promise<unknown> {
  const text = await readBodyText(req, opts.maxBodyBytes, () => {
    throw new ServiceError(opts.tooLargeType, 'Request body too large.', 413);
  });
  if (text === '') return {};
  const parsed = parseJson(text);
  if (!parsed.ok || (opts.nullIsMalformed && parsed.value === null)) fail('SerializationException', 'Request body is not valid JSON.');
  return parsed.value;
}

/** Serves one JSON-protocol service on loopback (port 0 = a free port). */
export async function serveJson(opts: JsonServiceOptions): Promise<{ server: Server; port: number; url: string }> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    try {
      const operation = targetOperation(req, opts.service);
      if (req.method !== 'POST' || !operation) {
        throw new ServiceError('UnknownOperationException', `Expected POST with X-Amz-Target: ${opts.service}.<Operation>.`);
      }
      sendJson(res, 200, await opts.handle(operation, await readJsonBody(req, opts), req), { version: opts.version });
    } catch (error) {
      const known = error instanceof ServiceError;
      const type = known ? error.type : opts.internalErrorType;
      if (!known) opts.onInternalError?.(error);
      const message = known ? error.message : 'An internal error occurred in the local emulator.';
      sendJson(res, known ? error.status : 500, errorBody(type, message), { version: opts.version, errorType: type });
    }
  });
  const port = await listen(server, opts.port ?? 0, host);
  return { server, port, url: endpointUrl(host, port) };
}

/**
 * Serves a JSON-protocol emulator over a persisted store: close() stops the server (requests in
 * flight end first), then waits for the store's pending saves.
 */
export async function serveJsonStore(
  store: { flush(): Promise<void> },
  opts: JsonServiceOptions,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const { server, port, url } = await serveJson(opts);
  return {
    url,
    port,
    async close() {
      await closeIdleServer(server);
      await store.flush();
    },
  };
}
