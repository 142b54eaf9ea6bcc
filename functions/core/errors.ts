// Domain errors. Each class sets `name` as a string literal so that ASL `ErrorEquals` and the
// problem+json mapper can key on it after minification. The HTTP status lives in the mapper
// (functions/shared/problem.ts), not here: core knows nothing of HTTP.

export interface FieldError {
  path: string;
  message: string;
}

export abstract class BrokerError extends Error {
  abstract override readonly name: string;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.code = code;
    this.extra = extra;
  }
}

/** The base of one kind of BrokerError: `name` is the literal given, the class's own name. */
export function brokerError<N extends string>(name: N) {
  return class extends BrokerError {
    override readonly name = name;
  };
}

/** Malformed input: a bad id, an unknown field, a tampered cursor. */
export class InvalidInputError extends brokerError('InvalidInputError') {}

/** Well-formed input that the domain cannot accept (parameters against a schema, a revoked credential). */
export class UnprocessableError extends brokerError('UnprocessableError') {}

export class NotFoundError extends brokerError('NotFoundError') {}

/** A state conflict: slug taken, wrong state for a transition, a lost race. */
export class ConflictError extends brokerError('ConflictError') {}

/** No or bad credentials. */
export class UnauthenticatedError extends brokerError('UnauthenticatedError') {}

export type DenyReason = 'out_of_scope' | 'insufficient_relation';

/** Authenticated, but not allowed. */
export class ForbiddenError extends brokerError('ForbiddenError') {
  constructor(code: string, detail: string, reason?: DenyReason, extra: Record<string, unknown> = {}) {
    super(code, detail, reason ? { ...extra, reason } : extra);
  }
}

export class TooManyRequestsError extends brokerError('TooManyRequestsError') {}

export class PayloadTooLargeError extends brokerError('PayloadTooLargeError') {}

export class UnsupportedMediaTypeError extends brokerError('UnsupportedMediaTypeError') {}

export class UnavailableError extends brokerError('UnavailableError') {}

export class NotImplementedError extends brokerError('NotImplementedError') {}

/** What a store found, or NotFoundError `code` when it found nothing. */
export async function found<T>(lookup: Promise<T | undefined>, code: string, detail: string): Promise<T> {
  const value = await lookup;
  if (!value) throw new NotFoundError(code, detail);
  return value;
}
