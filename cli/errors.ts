// What can go wrong in plexctl, and the exit code each kind of failure leaves for scripts.

export const EXIT = {
  ok: 0,
  /** The server failed, the network failed, or anything not listed below. */
  other: 1,
  /** The command line was wrong (checked here, or refused by the server as invalid input: 400, 422). */
  usage: 2,
  /** Not signed in, session expired or invalid (401), or not allowed (403). */
  auth: 3,
  /** The thing named does not exist (404). */
  notFound: 4,
  /** The request conflicts with the current state (409). */
  conflict: 5,
  /** resource wait: the Resource went to Failed, or can no longer reach the phase waited for. */
  waitFailed: 6,
  /** resource wait: the phase was not reached before --timeout. */
  waitTimeout: 7,
  /** resource create --dry-run: the broker would refuse the create (the plan says why). */
  planRefused: 8,
  /** audit verify: the domain's audit chain is broken (the line printed names the first broken entry). */
  auditBroken: 9,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Documented in `plexctl --help`. */
export const EXIT_CODE_HELP: ReadonlyArray<[ExitCode, string]> = [
  [EXIT.ok, 'success'],
  [EXIT.other, 'server or network error, or any other failure'],
  [EXIT.usage, 'usage error: unknown command or flag, missing or malformed argument (also a 400 or 422 from the server)'],
  [EXIT.auth, 'authentication or authorization: not signed in, session expired (401), permission denied (403)'],
  [EXIT.notFound, 'not found (404)'],
  [EXIT.conflict, 'conflict with the current state (409)'],
  [EXIT.waitFailed, 'resource wait: the Resource reached Failed, or can no longer reach the phase'],
  [EXIT.waitTimeout, 'resource wait: timed out'],
  [EXIT.planRefused, 'resource create --dry-run: the create would be refused (the plan printed says why)'],
  [EXIT.auditBroken, 'audit verify: the audit chain is broken (the output names the first broken entry and why)'],
];

/** A failure plexctl explains in one line and maps to an exit code. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: ExitCode;
  /** A machine code shown before the message (the problem's `code` for API errors). */
  readonly code: string | undefined;
  constructor(message: string, exitCode: ExitCode, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

export class UsageError extends CliError {
  override readonly name = 'UsageError';
  /** The command whose help the user should read, e.g. "resource delete". */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, EXIT.usage, 'usage');
    this.command = command;
  }
}

export class AuthError extends CliError {
  override readonly name = 'AuthError';
  constructor(message: string, code?: string) {
    super(message, EXIT.auth, code);
  }
}

/** An application/problem+json answer (or any non-2xx) from the broker. */
export class ApiError extends CliError {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly problem: Record<string, unknown> | undefined;
  constructor(status: number, code: string, detail: string, problem?: Record<string, unknown>) {
    super(detail, exitCodeForStatus(status), code);
    this.status = status;
    this.problem = problem;
  }
}

export function exitCodeForStatus(status: number): ExitCode {
  // 422: well-formed but not acceptable input (parameters that do not match the schema, a
  // credential that cannot be assigned): still something the caller has to change.
  if (status === 400 || status === 422) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  return EXIT.other;
}

/** The one line shown on stderr: `error: <code>: <message> (<status>)`. */
export function renderError(err: unknown): string {
  if (err instanceof ApiError) return `error: ${err.code}: ${oneLine(err.message)} (${err.status})`;
  if (err instanceof UsageError) {
    const help = err.command ? `plexctl ${err.command} --help` : 'plexctl --help';
    return `error: usage: ${oneLine(err.message)} (see ${help})`;
  }
  if (err instanceof CliError) return err.code ? `error: ${err.code}: ${oneLine(err.message)}` : `error: ${oneLine(err.message)}`;
  return `error: ${oneLine(err instanceof Error ? err.message : String(err))}`;
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof CliError ? err.exitCode : EXIT.other;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
