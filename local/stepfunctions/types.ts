// What the Step Functions emulator's parts share: the records of state machines and executions,
// the ASL runtime error, and JSON helpers.
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';

export const ACCOUNT = '000000000000';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
export type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
export type LibraryRun = ReturnType<StateMachine['run']>;
export type LibraryEvent = LibraryRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface TaskSpec {
  /** lambda: Resource is a function ARN; invoke: lambda:invoke; callback: lambda:invoke.waitForTaskToken. */
  kind: 'lambda' | 'invoke' | 'callback';
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

/** One definition as the library runs it; executions keep the version they started with. */
export interface CompiledDefinition {
  text: string;
  machine: StateMachine;
  tasks: Map<string, TaskSpec>;
}

export interface StateMachineRecord {
  arn: string;
  name: string;
  type: string;
  roleArn: string;
  creationDate: Date;
  current: CompiledDefinition;
  executions: Map<string, ExecutionRecord>;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface ExecutionRecord {
  arn: string;
  name: string;
  stateMachine: StateMachineRecord;
  input: string;
  inputValue: Json;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** Aborted when the run ends for any reason: whatever is still pending is abandoned. */
  controller: AbortController;
  abortRun?: () => void;
  openTokens: Set<string>;
}

/** An ASL runtime error: the library matches Retry/Catch `ErrorEquals` against `name`. */
export class StatesError extends Error {
  constructor(
    name: string,
    message: string,
    private readonly recoverable = true,
  ) {
    super(message);
    this.name = name;
  }

  get isRetryable(): boolean {
    return this.recoverable;
  }

  get isCatchable(): boolean {
    return this.recoverable;
  }
}

/** Unwinds a stopped run; neither retried nor caught, and never recorded (the run already ended). */
export const abandoned = () => new StatesError('States.Runtime', 'The execution was stopped.', false);

/** Appends to the history while the execution runs; after it ended, late events are dropped. */
export function appendEvent(execution: ExecutionRecord, type: string, details: Record<string, unknown>): void {
  if (execution.status !== 'RUNNING') return;
  const previous = execution.history.length;
  execution.history.push({ timestamp: Date.now() / 1000, type, id: previous + 1, previousEventId: previous, ...details });
}

/** What a Lambda invocation does to a value: serialize it (undefined becomes null). */
export function toJson(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

export function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i] as Json));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key] as Json, b[key] as Json));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function containsText(value: Json, text: string): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (Array.isArray(value)) return value.some((item) => containsText(item, text));
  if (isObject(value)) return Object.values(value).some((item) => containsText(item as Json, text));
  return false;
}

export function replaceText(value: Json, text: string, replacement: string): Json {
  if (typeof value === 'string') return value.split(text).join(replacement);
  if (Array.isArray(value)) return value.map((item) => replaceText(item, text, replacement));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceText(item as Json, text, replacement)]));
  }
  return value;
}

export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

export function errorParts(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rejects as soon as the signal aborts, leaving `promise` to settle unobserved. */
export function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abandoned());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
