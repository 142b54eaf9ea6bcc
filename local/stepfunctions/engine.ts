// Runs executions: JSONPath ASL through aws-local-stepfunctions, with this emulator playing Lambda
// for Task states by calling `invokeTask` (the in-process step handlers), and the history recorded
// as AWS shows it.
//
// How Task states run. Every Task state is overridden per execution with the library's
// `overrides.taskResourceLocalHandlers` (keyed by state name), so the library still does
// InputPath/Parameters/ResultSelector/ResultPath/OutputPath, Retry and Catch and the handler only
// makes the call. A thrown error keeps its `name`, which is what Retry/Catch `ErrorEquals` match.
//
// How `.waitForTaskToken` works. The library has neither callback tasks nor a per-task Context
// Object: a run gets one static context. So `$$.Task.Token` resolves to a sentinel string placed in
// that context; the callback handler mints a real token, puts it wherever the sentinel landed (a
// `TaskToken.$` field, or inside a States.Format string), invokes the function with the payload, and
// then waits for SendTaskSuccess/SendTaskFailure on that token. HeartbeatSeconds and TimeoutSeconds
// are enforced here; TimeoutSeconds is also enforced by the library, which raises the real
// `States.Timeout` (a Catch on `States.TaskFailed` must not match it, and only the library's own
// error class is excluded from that wildcard).
import { randomBytes } from 'node:crypto';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { ExecutionError, ExecutionTimeoutError, type StateMachine } from 'aws-local-stepfunctions';
import { mintToken, TaskTokens } from './tokens.ts';
import {
  ACCOUNT,
  abandoned,
  abandonOnAbort,
  appendEvent,
  type CompiledDefinition,
  containsText,
  type ExecutionRecord,
  errorParts,
  isObject,
  type Json,
  type LibraryEvent,
  type LibraryRun,
  replaceText,
  StatesError,
  type TaskHandlers,
  type TaskSpec,
  toJson,
} from './types.ts';

/** The resource as AWS names it in task history events. */
function resourceName(spec: TaskSpec): string {
  if (spec.kind === 'invoke') return 'invoke';
  if (spec.kind === 'callback') return 'invoke.waitForTaskToken';
  return spec.resource;
}

export class Engine {
  readonly stats = { stateTransitions: 0, executionsStarted: 0 };
  readonly tokens = new TaskTokens();
  /** What `$$.Task.Token` resolves to inside the library; swapped for a real token per task. */
  private readonly tokenSentinel = `__local_sfn_task_token_${randomBytes(12).toString('hex')}__`;
  /** Task handlers running now: settle() waits for them, as they write to services closed after it. */
  private readonly invocations = new Set<Promise<void>>();

  constructor(
    private readonly invokeTask: (resourceArn: string, input: unknown) => Promise<unknown>,
    private readonly region: string,
  ) {}

  /** Records the start and runs the execution in the background with the definition given. */
  start(execution: ExecutionRecord, compiled: CompiledDefinition): void {
    this.stats.executionsStarted += 1;
    appendEvent(execution, 'ExecutionStarted', {
      executionStartedEventDetails: { input: execution.input, inputDetails: { truncated: false }, roleArn: execution.stateMachine.roleArn },
    });
    this.run(execution, compiled);
  }

  stop(execution: ExecutionRecord, error: string | undefined, cause: string | undefined): void {
    if (execution.status !== 'RUNNING') return;
    appendEvent(execution, 'ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
    execution.status = 'ABORTED';
    execution.stopDate = new Date();
    execution.error = error;
    execution.cause = cause;
    // Pending tasks and callback waits reject at once; the library's Wait sleeps end on its abort.
    execution.controller.abort();
    this.tokens.closeAllOf(execution);
    execution.abortRun?.();
  }

  /** Waits for the task handlers still running, 10 s at most. */
  async settle(): Promise<void> {
    await Promise.race([Promise.all(this.invocations), new Promise((done) => setTimeout(done, 10_000).unref())]);
  }

  private run(execution: ExecutionRecord, compiled: CompiledDefinition): void {
    const handlers: TaskHandlers = {};
    for (const [stateName, spec] of compiled.tasks) {
      handlers[stateName] = (input) => this.runTask(execution, stateName, spec, input as Json) as ReturnType<TaskHandlers[string]>;
    }
    const machine = execution.stateMachine;
    const run = compiled.machine.run(execution.inputValue as Parameters<StateMachine['run']>[0], {
      overrides: { taskResourceLocalHandlers: handlers },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: execution.arn, Name: execution.name, RoleArn: machine.roleArn, StartTime: execution.startDate.toISOString() },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: this.tokenSentinel },
      },
    });
    execution.abortRun = run.abort;
    const drained = this.drain(execution, run.eventLogs);
    void run.result
      .then(
        (output) => ({ ok: true as const, output: output as Json }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      .then(async (outcome) => {
        // The event log trails the result; the history is complete before the status turns final.
        await drained;
        this.finish(execution, outcome);
      })
      .catch((error: unknown) => {
        console.error('[stepfunctions] could not record the end of', execution.arn, error);
      });
  }

  private async drain(execution: ExecutionRecord, events: LibraryRun['eventLogs']): Promise<void> {
    try {
      for await (const event of events) this.onLibraryEvent(execution, event);
    } catch (error) {
      console.error('[stepfunctions] event log of', execution.arn, 'failed:', error);
    }
  }

  /** Maps the library's events onto AWS history events; execution-level events are recorded here. */
  private onLibraryEvent(execution: ExecutionRecord, event: LibraryEvent): void {
    switch (event.type) {
      case 'StateEntered':
        this.stats.stateTransitions += 1;
        appendEvent(execution, `${event.state.type}StateEntered`, {
          stateEnteredEventDetails: { name: event.state.name, input: JSON.stringify(event.state.input), inputDetails: { truncated: false } },
        });
        break;
      case 'StateExited':
        appendEvent(execution, `${event.state.type}StateExited`, {
          stateExitedEventDetails: {
            name: event.state.name,
            output: JSON.stringify(event.state.output ?? null),
            outputDetails: { truncated: false },
          },
        });
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        appendEvent(execution, event.type, { [key]: { name: event.parentState.name, index: event.index } });
        break;
      }
      default:
        break;
    }
  }

  private finish(execution: ExecutionRecord, outcome: { ok: true; output: Json } | { ok: false; error: unknown }): void {
    execution.controller.abort();
    this.tokens.closeAllOf(execution);
    if (execution.status !== 'RUNNING') return;
    if (outcome.ok) {
      const output = JSON.stringify(outcome.output ?? null);
      appendEvent(execution, 'ExecutionSucceeded', { executionSucceededEventDetails: { output, outputDetails: { truncated: false } } });
      execution.status = 'SUCCEEDED';
      execution.output = output;
    } else if (outcome.error instanceof ExecutionTimeoutError) {
      const details = { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds.' };
      appendEvent(execution, 'ExecutionTimedOut', { executionTimedOutEventDetails: details });
      execution.status = 'TIMED_OUT';
      execution.error = details.error;
      execution.cause = details.cause;
    } else {
      const cause = outcome.error instanceof ExecutionError ? outcome.error.cause : outcome.error;
      const { name, message } = errorParts(cause);
      appendEvent(execution, 'ExecutionFailed', { executionFailedEventDetails: { error: name, cause: message } });
      execution.status = 'FAILED';
      execution.error = name;
      execution.cause = message;
    }
    execution.stopDate = new Date();
  }

  // ---- tasks ----

  private functionArn(functionName: string): string {
    return functionName.includes(':') ? functionName : `arn:aws:lambda:${this.region}:${ACCOUNT}:function:${functionName}`;
  }

  private invoke(functionArn: string, payload: Json): Promise<Json> {
    // Lambda sees a serialized copy and returns one; a synchronous throw is a failed invocation too.
    const invocation = Promise.resolve()
      .then(() => this.invokeTask(functionArn, toJson(payload)))
      .then(toJson);
    const settled = invocation.then(
      () => undefined,
      () => undefined,
    );
    this.invocations.add(settled);
    void settled.then(() => this.invocations.delete(settled));
    return invocation;
  }

  private runTask(execution: ExecutionRecord, stateName: string, spec: TaskSpec, input: Json): Promise<Json> {
    const attempt = { token: undefined as string | undefined, timedOut: false };
    // Armed before the library arms its own timer for the same TimeoutSeconds, so this one fires
    // first: the token closes and the history says TaskTimedOut, then the library raises States.Timeout.
    const timer =
      spec.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            attempt.timedOut = true;
            if (attempt.token) this.tokens.close(attempt.token);
            appendEvent(execution, 'TaskTimedOut', {
              taskTimedOutEventDetails: { resourceType: 'lambda', resource: resourceName(spec), error: 'States.Timeout', cause: 'Task timed out.' },
            });
          }, spec.timeoutSeconds * 1000);
    return this.executeTask(execution, stateName, spec, input, attempt).finally(() => clearTimeout(timer));
  }

  private async executeTask(
    execution: ExecutionRecord,
    stateName: string,
    spec: TaskSpec,
    rawInput: Json,
    attempt: { token: string | undefined; timedOut: boolean },
  ): Promise<Json> {
    const { signal } = execution.controller;
    // The library calls this in the same tick it logs the state's entry; one macrotask lets the
    // event drain record that entry first, so the history stays in order.
    await nextMacrotask();
    if (signal.aborted) throw abandoned();
    let input = rawInput;
    if (spec.kind === 'callback') {
      attempt.token = mintToken();
      input = replaceText(rawInput, this.tokenSentinel, attempt.token);
    } else if (containsText(rawInput, this.tokenSentinel)) {
      throw new StatesError('States.Runtime', `State ${stateName}: $$.Task.Token exists only in .waitForTaskToken tasks.`, false);
    }
    let functionArn = spec.resource;
    let payload = input;
    if (spec.kind !== 'lambda') {
      if (!isObject(input) || typeof input.FunctionName !== 'string') {
        throw new StatesError('States.Runtime', `State ${stateName}: lambda:invoke needs Parameters.FunctionName.`, false);
      }
      functionArn = this.functionArn(input.FunctionName);
      payload = (input.Payload ?? {}) as Json;
    }
    const resource = resourceName(spec);
    appendEvent(execution, 'TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource,
        region: this.region,
        parameters: JSON.stringify(input),
        timeoutInSeconds: spec.timeoutSeconds,
        heartbeatInSeconds: spec.heartbeatSeconds,
      },
    });
    appendEvent(execution, 'TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource } });
    try {
      const result =
        attempt.token === undefined
          ? await abandonOnAbort(this.invoke(functionArn, payload), signal)
          : await this.awaitCallback(execution, spec, attempt.token, functionArn, payload);
      const output: Json = spec.kind === 'invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      if (!attempt.timedOut) {
        appendEvent(execution, 'TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource, output: JSON.stringify(output) } });
      }
      return output;
    } catch (error) {
      if (signal.aborted) throw abandoned();
      const { name, message } = errorParts(error);
      const failure = error instanceof StatesError ? error : new StatesError(name, message);
      if (!attempt.timedOut) {
        const type = failure.name === 'States.HeartbeatTimeout' ? 'TaskTimedOut' : 'TaskFailed';
        const key = type === 'TaskTimedOut' ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails';
        appendEvent(execution, type, { [key]: { resourceType: 'lambda', resource, error: failure.name, cause: failure.message } });
      }
      throw failure;
    }
  }

  /** Invokes the function with the token in its payload, then waits for SendTask* on that token. */
  private async awaitCallback(execution: ExecutionRecord, spec: TaskSpec, token: string, functionArn: string, payload: Json): Promise<Json> {
    // Opened before the invocation: the function may report back before its invocation returns.
    const settled = this.tokens.open(token, execution, spec.heartbeatSeconds);
    this.invoke(functionArn, payload).then(
      () => {
        if (this.tokens.isOpen(token)) {
          appendEvent(execution, 'TaskSubmitted', {
            taskSubmittedEventDetails: { resourceType: 'lambda', resource: resourceName(spec), output: '{}' },
          });
        }
      },
      (error: unknown) => {
        const { name, message } = errorParts(error);
        this.tokens.reject(token, new StatesError(name, message));
      },
    );
    try {
      return await abandonOnAbort(settled, execution.controller.signal);
    } finally {
      this.tokens.close(token);
    }
  }
}
