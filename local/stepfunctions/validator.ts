// Definitions, checked and prepared before they reach aws-local-stepfunctions. They are validated
// with the library's validator (asl-validator) in a worker thread: it compiles its JSON schemas on
// every call, about 0.6 s of CPU that must not stall running executions. Then they are rewritten
// in one way: a Task state without TimeoutSeconds gets the largest timer Node can arm, because the
// library defaults Task states to 60 s where AWS waits indefinitely (an Enrolling step waiting on a
// token must not die at 60 s).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { fail, parseJson } from '../aws-json-protocol.ts';
import { type CompiledDefinition, isObject, type TaskSpec } from './types.ts';

/** setTimeout's ceiling (2^31 - 1 ms); a longer delay would fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_INVOKE_CALLBACK = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;

const VALIDATOR_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const validate = require(workerData.validatorPath);
parentPort.on('message', ({ id, definition }) => {
  try {
    const { isValid, errorsText } = validate(definition, { checkArn: true, checkPaths: true });
    parentPort.postMessage({ id, errors: isValid ? null : errorsText('; ') });
  } catch (error) {
    parentPort.postMessage({ id, errors: String((error && error.message) || error) });
  }
});
`;

/** The ASL validator aws-local-stepfunctions itself uses, resolved from where the library sits. */
function validatorPath(): string {
  const library = createRequire(import.meta.url).resolve('aws-local-stepfunctions');
  return createRequire(library).resolve('asl-validator');
}

/** Validates definitions off the main thread; a definition is validated once per emulator. */
export class DefinitionValidator {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve(errors: string | null): void; reject(error: Error): void }>();
  private readonly results = new Map<string, Promise<string | null>>();
  private nextId = 0;

  /** Resolves with the validation errors, or null when the definition is valid. */
  validate(definition: Record<string, unknown>): Promise<string | null> {
    const key = JSON.stringify(definition);
    let result = this.results.get(key);
    if (!result) {
      result = this.send(definition);
      this.results.set(key, result);
      result.catch(() => this.results.delete(key));
    }
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Starts the worker ahead of the first definition: loading the validator takes a while too. */
  warm(): void {
    this.start();
  }

  private send(definition: Record<string, unknown>): Promise<string | null> {
    const worker = this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, definition });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(VALIDATOR_WORKER, { eval: true, workerData: { validatorPath: validatorPath() } });
    worker.unref();
    worker.on('message', (message: { id: number; errors: string | null }) => {
      this.pending.get(message.id)?.resolve(message.errors);
      this.pending.delete(message.id);
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the ASL validator worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** Validates a definition, rewrites what the library would get wrong, and indexes its Task states. */
export async function compile(text: string, validator: DefinitionValidator): Promise<CompiledDefinition> {
  const parsed = parseJson(text);
  if (!parsed.ok || !isObject(parsed.value)) fail('InvalidDefinition', 'Invalid State Machine Definition: not a JSON object.');
  const definition = structuredClone(parsed.value) as Record<string, unknown>;
  const tasks = new Map<string, TaskSpec>();
  const problems: string[] = [];
  indexScope(definition, tasks, problems);
  if (problems.length > 0) fail('InvalidDefinition', `Invalid State Machine Definition: ${problems.join('; ')}`);
  const errors = await validator.validate(definition);
  if (errors !== null) fail('InvalidDefinition', `Invalid State Machine Definition: ${errors}`);
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  return { text, machine, tasks };
}

function indexScope(scope: Record<string, unknown>, tasks: Map<string, TaskSpec>, problems: string[]): void {
  // The library ignores JSONata and would run such a definition wrongly rather than refuse it.
  if (scope.QueryLanguage === 'JSONata') problems.push('JSONata is not supported locally; write JSONPath ASL');
  if (!isObject(scope.States)) return;
  for (const [name, state] of Object.entries(scope.States)) {
    if (!isObject(state)) continue;
    if (state.QueryLanguage === 'JSONata') problems.push(`State ${name}: JSONata is not supported locally; write JSONPath ASL`);
    if (state.Type === 'Task') indexTask(name, state, tasks, problems);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) indexScope(branch, tasks, problems);
    }
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (isObject(processor)) indexScope(processor, tasks, problems);
    }
  }
}

function indexTask(name: string, state: Record<string, unknown>, tasks: Map<string, TaskSpec>, problems: string[]): void {
  const resource = typeof state.Resource === 'string' ? state.Resource : '';
  const kind = LAMBDA_ARN.test(resource)
    ? 'lambda'
    : LAMBDA_INVOKE.test(resource)
      ? 'invoke'
      : LAMBDA_INVOKE_CALLBACK.test(resource)
        ? 'callback'
        : undefined;
  if (!kind) {
    problems.push(`State ${name}: resource '${resource}' is not supported locally (a Lambda function ARN, lambda:invoke or lambda:invoke.waitForTaskToken)`);
    return;
  }
  // Overrides are keyed by state name, so a name must mean one Task state.
  if (tasks.has(name)) problems.push(`State name ${name} is used by more than one Task state`);
  if ('HeartbeatSecondsPath' in state) problems.push(`State ${name}: HeartbeatSecondsPath is not supported locally`);
  const timeout = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
  if (timeout !== undefined) state.TimeoutSeconds = Math.min(timeout, MAX_TIMER_SECONDS);
  else if (state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = MAX_TIMER_SECONDS;
  const heartbeat = typeof state.HeartbeatSeconds === 'number' ? Math.min(state.HeartbeatSeconds, MAX_TIMER_SECONDS) : undefined;
  tasks.set(name, {
    kind,
    resource,
    ...(timeout !== undefined && { timeoutSeconds: Math.min(timeout, MAX_TIMER_SECONDS) }),
    ...(heartbeat !== undefined && kind === 'callback' && { heartbeatSeconds: heartbeat }),
  });
}
