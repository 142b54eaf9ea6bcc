// Task tokens of `.waitForTaskToken` states: each open token has a waiter that SendTaskSuccess,
// SendTaskFailure, a missed heartbeat or the engine settles. A closed token is remembered, so a
// late SendTask* on it answers TaskTimedOut as on AWS.
import { randomBytes } from 'node:crypto';
import { fail, parseJson } from '../aws-json-protocol.ts';
import { type ExecutionRecord, type Json, StatesError } from './types.ts';

const TOKEN_PREFIX = 'AQ';
const TOKEN_PATTERN = /^AQ[A-Za-z0-9_-]{64}$/;

interface Waiter {
  execution: ExecutionRecord;
  resolve(output: Json): void;
  reject(error: Error): void;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

export function mintToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
}

export class TaskTokens {
  private readonly waiters = new Map<string, Waiter>();
  /** Tokens whose task ended, so a late SendTask* answers TaskTimedOut as on AWS. */
  private readonly closed = new Set<string>();

  /** Opens `token` for a task of `execution`; the promise settles with the task's outcome. */
  open(token: string, execution: ExecutionRecord, heartbeatSeconds: number | undefined): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const waiter: Waiter = { execution, resolve, reject, ...(heartbeatSeconds !== undefined && { heartbeatSeconds }) };
      this.waiters.set(token, waiter);
      execution.openTokens.add(token);
      this.armHeartbeat(token, waiter);
    });
  }

  isOpen(token: string): boolean {
    return this.waiters.has(token);
  }

  /** Closes an open token and fails its task with `error`; a token already closed is left alone. */
  reject(token: string, error: Error): void {
    const waiter = this.waiters.get(token);
    if (!waiter) return;
    this.close(token);
    waiter.reject(error);
  }

  close(token: string): void {
    const waiter = this.waiters.get(token);
    if (!waiter) return;
    clearTimeout(waiter.heartbeatTimer);
    this.waiters.delete(token);
    waiter.execution.openTokens.delete(token);
    this.closed.add(token);
  }

  closeAllOf(execution: ExecutionRecord): void {
    for (const token of [...execution.openTokens]) this.close(token);
  }

  /** SendTaskSuccess. */
  succeed(token: string, outputText: string): void {
    const waiter = this.openWaiter(token);
    const output = parseJson(outputText);
    if (!output.ok) fail('InvalidOutput', 'Invalid Output: not valid JSON.');
    this.close(token);
    waiter.resolve(output.value as Json);
  }

  /** SendTaskFailure. */
  fail(token: string, error: string | undefined, cause: string | undefined): void {
    const waiter = this.openWaiter(token);
    this.close(token);
    waiter.reject(new StatesError(error ?? '', cause ?? ''));
  }

  /** SendTaskHeartbeat. */
  heartbeat(token: string): void {
    this.armHeartbeat(token, this.openWaiter(token));
  }

  private armHeartbeat(token: string, waiter: Waiter): void {
    clearTimeout(waiter.heartbeatTimer);
    if (waiter.heartbeatSeconds === undefined) return;
    waiter.heartbeatTimer = setTimeout(() => {
      this.close(token);
      waiter.reject(new StatesError('States.HeartbeatTimeout', 'No heartbeat was sent within HeartbeatSeconds.'));
    }, waiter.heartbeatSeconds * 1000);
  }

  private openWaiter(token: string): Waiter {
    if (!TOKEN_PATTERN.test(token)) fail('InvalidToken', 'Invalid Token: the task token is malformed.');
    const waiter = this.waiters.get(token);
    if (waiter) return waiter;
    if (this.closed.has(token)) fail('TaskTimedOut', 'Task Timed Out: the task of this token has already been closed.');
    return fail('TaskDoesNotExist', 'Task Does Not Exist: no task was issued this token.');
  }
}
