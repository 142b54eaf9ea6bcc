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

/** Malformed input: a bad id, an unknown field, a tampered cursor. */
export class InvalidInputError extends BrokerError {
  override readonly name = 'InvalidInputError' as const;
}

/** Well-formed input that the domain cannot accept (parameters against a schema, a revoked credential). */
export class UnprocessableError extends BrokerError {
  override readonly name = 'UnprocessableError' as const;
}

export class NotFoundError extends BrokerError {
  override readonly name = 'NotFoundError' as const;
}

/** A state conflict: slug taken, wrong state for a transition, a lost race. */
export class ConflictError extends BrokerError {
  override readonly name = 'ConflictError' as const;
}

/** No or bad credentials. */
export class UnauthenticatedError extends BrokerError {
  override readonly name = 'UnauthenticatedError' as const;
}

export type DenyReason = 'out_of_scope' | 'insufficient_relation';

/** Authenticated, but not allowed. */
export class ForbiddenError extends BrokerError {
  override readonly name = 'ForbiddenError' as const;
  constructor(code: string, detail: string, reason?: DenyReason, extra: Record<string, unknown> = {}) {
    super(code, detail, reason ? { ...extra, reason } : extra);
  }
}

export class TooManyRequestsError extends BrokerError {
  override readonly name = 'TooManyRequestsError' as const;
}

export class PayloadTooLargeError extends BrokerError {
  override readonly name = 'PayloadTooLargeError' as const;
}

export class UnavailableError extends BrokerError {
  override readonly name = 'UnavailableError' as const;
}

export class NotImplementedError extends BrokerError {
  override readonly name = 'NotImplementedError' as const;
}
