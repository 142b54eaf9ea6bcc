import {
  BrokerError,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  TooManyRequestsError,
  UnauthenticatedError,
  UnavailableError,
  UnprocessableError,
} from '../core/errors.ts';

const STATUS_BY_ERROR: ReadonlyArray<[new (...args: never[]) => BrokerError, number, string]> = [
  [InvalidInputError, 400, 'Bad Request'],
  [UnauthenticatedError, 401, 'Unauthorized'],
  [ForbiddenError, 403, 'Permission Denied'],
  [NotFoundError, 404, 'Not Found'],
  [ConflictError, 409, 'Conflict'],
  [PayloadTooLargeError, 413, 'Payload Too Large'],
  [UnsupportedMediaTypeError, 415, 'Unsupported Media Type'],
  [UnprocessableError, 422, 'Unprocessable Content'],
  [TooManyRequestsError, 429, 'Too Many Requests'],
  [NotImplementedError, 501, 'Not Implemented'],
  [UnavailableError, 503, 'Service Unavailable'],
];

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  correlation_id: string;
  [extra: string]: unknown;
}

/**
 * The one error mapper. Only BrokerErrors are safe to show; anything else is a generic 500
 * whose detail stays in the log.
 */
export function toProblem(err: unknown, instance: string, correlationId: string): Problem {
  if (err instanceof BrokerError) {
    const entry = STATUS_BY_ERROR.find(([cls]) => err instanceof cls);
    const [, status, title] = entry ?? [undefined, 500, 'Internal Server Error'];
    return {
      ...err.extra,
      type: `https://plexsphere.dev/problems/${err.code}`,
      title,
      status,
      detail: err.message,
      instance,
      code: err.code,
      correlation_id: correlationId,
    };
  }
  return {
    type: 'https://plexsphere.dev/problems/internal_error',
    title: 'Internal Server Error',
    status: 500,
    detail: 'The server failed to handle the request; the correlation id finds it in the log.',
    instance,
    code: 'internal_error',
    correlation_id: correlationId,
  };
}
