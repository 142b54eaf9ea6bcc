// In-process emulator of the AWS Step Functions JSON API (awsJson1_0) for the embedded local cloud.
// It runs JSONPath ASL with aws-local-stepfunctions and plays Lambda for Task states by calling
// `invokeTask` (the in-process step handlers). Standard-workflow semantics where the broker relies on
// them: executions are named and idempotent on (name, input) while open, StopExecution really stops a
// run, callback tasks (`.waitForTaskToken`) get real tokens, and the history shows the path taken.
// State is in memory only: a restart forgets executions, as a fresh LocalStack would.
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
//
// Definitions are rewritten before they reach the library in one way: a Task state without
// TimeoutSeconds gets the largest timer Node can arm, because the library defaults Task states to
// 60 s where AWS waits indefinitely (an Enrolling step waiting on a token must not die at 60 s).
// They are validated with the library's validator (asl-validator) in a worker thread: it compiles
// its JSON schemas on every call, about 0.6 s of CPU that must not stall running executions.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { ExecutionError, ExecutionTimeoutError, type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { z } from 'zod';
import { closeServer, listen } from './net.ts';
import { readBodyText } from './state-file.ts';

const ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 1024 * 1024;
/** setTimeout's ceiling (2^31 - 1 ms); a longer delay would fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
const TOKEN_PREFIX = 'AQ';
const TOKEN_PATTERN = /^AQ[A-Za-z0-9_-]{64}$/;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_INVOKE_CALLBACK = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;
/** AWS's rule for state machine and execution names. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibraryRun = ReturnType<StateMachine['run']>;
type LibraryEvent = LibraryRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

interface TaskSpec {
  /** lambda: Resource is a function ARN; invoke: lambda:invoke; callback: lambda:invoke.waitForTaskToken. */
  kind: 'lambda' | 'invoke' | 'callback';
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

/** One definition as the library runs it; executions keep the version they started with. */
interface CompiledDefinition {
  text: string;
  machine: StateMachine;
  tasks: Map<string, TaskSpec>;
}

interface StateMachineRecord {
  arn: string;
  name: string;
  type: string;
  roleArn: string;
  creationDate: Date;
  current: CompiledDefinition;
  executions: Map<string, ExecutionRecord>;
}

interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

interface ExecutionRecord {
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

interface Waiter {
  execution: ExecutionRecord;
  resolve(output: Json): void;
  reject(error: Error): void;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
}

/** An error the SDK maps to a modeled exception class by its `__type`. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** An ASL runtime error: the library matches Retry/Catch `ErrorEquals` against `name`. */
class StatesError extends Error {
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
const abandoned = () => new StatesError('States.Runtime', 'The execution was stopped.', false);

function fail(type: string, message: string): never {
  throw new ServiceError(type, message);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => issue.path.join('.') || '(body)');
  return fail('ValidationException', `Invalid or missing parameter: ${[...new Set(fields)].join(', ')}`);
}

function parseJson(text: string): { ok: true; value: Json } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch {
    return { ok: false };
  }
}

/** What a Lambda invocation does to a value: serialize it (undefined becomes null). */
function toJson(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i] as Json));
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key] as Json, b[key] as Json));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function containsText(value: Json, text: string): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (Array.isArray(value)) return value.some((item) => containsText(item, text));
  if (isObject(value)) return Object.values(value).some((item) => containsText(item as Json, text));
  return false;
}

function replaceText(value: Json, text: string, replacement: string): Json {
  if (typeof value === 'string') return value.split(text).join(replacement);
  if (Array.isArray(value)) return value.map((item) => replaceText(item, text, replacement));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceText(item as Json, text, replacement)]));
  }
  return value;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function errorParts(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rejects as soon as the signal aborts, leaving `promise` to settle unobserved. */
function abandonOnAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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

/**
 * Replaces `${Name}` placeholders as CDK's `definitionSubstitutions` (CloudFormation Fn::Sub) do;
 * `${!Text}` stands for a literal `${Text}`. Throws naming every placeholder left without a value.
 */
export function substitute(definition: string, substitutions: Record<string, string>): string {
  const missing = new Set<string>();
  const result = definition.replace(/\$\{([^}]*)\}/g, (placeholder, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(substitutions, name)) return substitutions[name] as string;
    missing.add(placeholder);
    return placeholder;
  });
  if (missing.size > 0) throw new Error(`Definition has placeholders without a substitution: ${[...missing].join(', ')}`);
  return result;
}

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
class DefinitionValidator {
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

const CreateStateMachineInput = z.object({
  name: z.string(),
  definition: z.string().min(1),
  roleArn: z.string().min(1),
  type: z.enum(['STANDARD', 'EXPRESS']).optional(),
});
const UpdateStateMachineInput = z.object({
  stateMachineArn: z.string(),
  definition: z.string().min(1).optional(),
  roleArn: z.string().min(1).optional(),
});
const StateMachineArnInput = z.object({ stateMachineArn: z.string() });
const ExecutionArnInput = z.object({ executionArn: z.string() });
const Page = { maxResults: z.number().int().min(0).max(1000).optional(), nextToken: z.string().optional() };
const ListStateMachinesInput = z.object(Page);
const StartExecutionInput = z.object({
  stateMachineArn: z.string(),
  name: z.string().optional(),
  input: z.string().optional(),
});
const StopExecutionInput = z.object({
  executionArn: z.string(),
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
const ListExecutionsInput = z.object({
  stateMachineArn: z.string(),
  statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']).optional(),
  ...Page,
});
const GetExecutionHistoryInput = z.object({
  executionArn: z.string(),
  reverseOrder: z.boolean().optional(),
  includeExecutionData: z.boolean().optional(),
  ...Page,
});
const TaskToken = z.string().min(1).max(2048);
const SendTaskSuccessInput = z.object({ taskToken: TaskToken, output: z.string() });
const SendTaskFailureInput = z.object({
  taskToken: TaskToken,
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
const SendTaskHeartbeatInput = z.object({ taskToken: TaskToken });

function page<T>(items: T[], input: { maxResults?: number | undefined; nextToken?: string | undefined }) {
  const start = input.nextToken === undefined ? 0 : Number.parseInt(Buffer.from(input.nextToken, 'base64url').toString('utf8'), 10);
  if (!Number.isSafeInteger(start) || start < 0) fail('InvalidToken', 'Invalid nextToken.');
  const size = input.maxResults || 100;
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

class StepFunctions {
  readonly stats = { stateTransitions: 0, executionsStarted: 0 };
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly waiters = new Map<string, Waiter>();
  /** Tokens whose task ended, so a late SendTask* answers TaskTimedOut as on AWS. */
  private readonly closedTokens = new Set<string>();
  /** What `$$.Task.Token` resolves to inside the library; swapped for a real token per task. */
  private readonly tokenSentinel = `__local_sfn_task_token_${randomBytes(12).toString('hex')}__`;
  private readonly validator = new DefinitionValidator();
  /** Task handlers running now: shutdown waits for them, as they write to services closed after it. */
  private readonly invocations = new Set<Promise<void>>();

  constructor(
    private readonly invokeTask: (resourceArn: string, input: unknown) => Promise<unknown>,
    private readonly region: string,
  ) {
    this.validator.warm();
  }

  async handle(operation: string, body: unknown): Promise<unknown> {
    switch (operation) {
      case 'CreateStateMachine':
        return this.createStateMachine(parse(CreateStateMachineInput, body));
      case 'UpdateStateMachine':
        return this.updateStateMachine(parse(UpdateStateMachineInput, body));
      case 'DescribeStateMachine':
        return this.describeStateMachine(parse(StateMachineArnInput, body));
      case 'ListStateMachines':
        return this.listStateMachines(parse(ListStateMachinesInput, body));
      case 'StartExecution':
        return this.startExecution(parse(StartExecutionInput, body));
      case 'DescribeExecution':
        return this.describeExecution(parse(ExecutionArnInput, body));
      case 'StopExecution':
        return this.stopExecution(parse(StopExecutionInput, body));
      case 'ListExecutions':
        return this.listExecutions(parse(ListExecutionsInput, body));
      case 'GetExecutionHistory':
        return this.getExecutionHistory(parse(GetExecutionHistoryInput, body));
      case 'SendTaskSuccess':
        return this.sendTaskSuccess(parse(SendTaskSuccessInput, body));
      case 'SendTaskFailure':
        return this.sendTaskFailure(parse(SendTaskFailureInput, body));
      case 'SendTaskHeartbeat':
        return this.sendTaskHeartbeat(parse(SendTaskHeartbeatInput, body));
      default:
        return fail('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  /** Stops every running execution, so no timer or pending task outlives the emulator. */
  async shutdown(): Promise<void> {
    for (const execution of this.executions.values()) {
      this.stop(execution, 'States.Aborted', 'The local Step Functions emulator was closed.');
    }
    await Promise.race([Promise.all(this.invocations), new Promise((done) => setTimeout(done, 10_000).unref())]);
    await this.validator.close();
  }

  // ---- state machines ----

  private async createStateMachine(input: z.infer<typeof CreateStateMachineInput>): Promise<{ stateMachineArn: string; creationDate: number }> {
    if (!NAME.test(input.name)) fail('InvalidName', `Invalid Name: '${input.name}'`);
    const arn = `arn:aws:states:${this.region}:${ACCOUNT}:stateMachine:${input.name}`;
    const type = input.type ?? 'STANDARD';
    const existing = this.machines.get(arn);
    if (existing) {
      // Same name and same configuration is an idempotent retry, as on AWS.
      if (existing.current.text === input.definition && existing.roleArn === input.roleArn && existing.type === type) {
        return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
      }
      fail('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const current = await this.compile(input.definition);
    // Another create of the same name may have finished while this one was being validated.
    if (this.machines.has(arn)) return this.createStateMachine(input);
    const record: StateMachineRecord = {
      arn,
      name: input.name,
      type,
      roleArn: input.roleArn,
      creationDate: new Date(),
      current,
      executions: new Map(),
    };
    this.machines.set(arn, record);
    return { stateMachineArn: arn, creationDate: epochSeconds(record.creationDate) };
  }

  private async updateStateMachine(input: z.infer<typeof UpdateStateMachineInput>) {
    const machine = this.machine(input.stateMachineArn);
    if (input.definition === undefined && input.roleArn === undefined) {
      fail('MissingRequiredParameter', 'Either the definition or the roleArn must be specified.');
    }
    // Running executions keep the definition they started with.
    if (input.definition !== undefined) machine.current = await this.compile(input.definition);
    if (input.roleArn !== undefined) machine.roleArn = input.roleArn;
    return { updateDate: epochSeconds(new Date()) };
  }

  private describeStateMachine(input: z.infer<typeof StateMachineArnInput>) {
    const machine = this.machine(input.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.current.text,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: epochSeconds(machine.creationDate),
    };
  }

  private listStateMachines(input: z.infer<typeof ListStateMachinesInput>) {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { items, nextToken } = page(all, input);
    return {
      stateMachines: items.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: epochSeconds(m.creationDate) })),
      nextToken,
    };
  }

  private machine(arn: string): StateMachineRecord {
    if (!arn.startsWith('arn:aws:states:')) fail('InvalidArn', `Invalid Arn: '${arn}'`);
    return this.machines.get(arn) ?? fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }

  /** Validates a definition, rewrites what the library would get wrong, and indexes its Task states. */
  private async compile(text: string): Promise<CompiledDefinition> {
    const parsed = parseJson(text);
    if (!parsed.ok || !isObject(parsed.value)) fail('InvalidDefinition', 'Invalid State Machine Definition: not a JSON object.');
    const definition = structuredClone(parsed.value) as Record<string, unknown>;
    const tasks = new Map<string, TaskSpec>();
    const problems: string[] = [];
    this.indexScope(definition, tasks, problems);
    if (problems.length > 0) fail('InvalidDefinition', `Invalid State Machine Definition: ${problems.join('; ')}`);
    const errors = await this.validator.validate(definition);
    if (errors !== null) fail('InvalidDefinition', `Invalid State Machine Definition: ${errors}`);
    const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
    return { text, machine, tasks };
  }

  private indexScope(scope: Record<string, unknown>, tasks: Map<string, TaskSpec>, problems: string[]): void {
    // The library ignores JSONata and would run such a definition wrongly rather than refuse it.
    if (scope.QueryLanguage === 'JSONata') problems.push('JSONata is not supported locally; write JSONPath ASL');
    if (!isObject(scope.States)) return;
    for (const [name, state] of Object.entries(scope.States)) {
      if (!isObject(state)) continue;
      if (state.QueryLanguage === 'JSONata') problems.push(`State ${name}: JSONata is not supported locally; write JSONPath ASL`);
      if (state.Type === 'Task') this.indexTask(name, state, tasks, problems);
      if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
        for (const branch of state.Branches) if (isObject(branch)) this.indexScope(branch, tasks, problems);
      }
      if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (isObject(processor)) this.indexScope(processor, tasks, problems);
      }
    }
  }

  private indexTask(name: string, state: Record<string, unknown>, tasks: Map<string, TaskSpec>, problems: string[]): void {
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

  // ---- executions ----

  private startExecution(input: z.infer<typeof StartExecutionInput>) {
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) fail('InvalidName', `Invalid Name: '${name}'`);
    const inputText = input.input ?? '{}';
    const parsed = parseJson(inputText);
    if (!parsed.ok) fail('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON.');
    const existing = machine.executions.get(name);
    if (existing) {
      // AWS: the same name and input while the first run is open is an idempotent retry; a closed
      // run or a different input is a conflict (names are not reusable for 90 days).
      if (existing.status === 'RUNNING' && sameJson(existing.inputValue, parsed.value)) {
        return { executionArn: existing.arn, startDate: epochSeconds(existing.startDate) };
      }
      fail('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const execution: ExecutionRecord = {
      arn: `arn:aws:states:${this.region}:${ACCOUNT}:execution:${machine.name}:${name}`,
      name,
      stateMachine: machine,
      input: inputText,
      inputValue: parsed.value,
      status: 'RUNNING',
      startDate: new Date(),
      history: [],
      controller: new AbortController(),
      openTokens: new Set(),
    };
    machine.executions.set(name, execution);
    this.executions.set(execution.arn, execution);
    this.stats.executionsStarted += 1;
    this.append(execution, 'ExecutionStarted', {
      executionStartedEventDetails: { input: inputText, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    });
    this.run(execution, machine.current);
    return { executionArn: execution.arn, startDate: epochSeconds(execution.startDate) };
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
        this.append(execution, `${event.state.type}StateEntered`, {
          stateEnteredEventDetails: { name: event.state.name, input: JSON.stringify(event.state.input), inputDetails: { truncated: false } },
        });
        break;
      case 'StateExited':
        this.append(execution, `${event.state.type}StateExited`, {
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
        this.append(execution, event.type, { [key]: { name: event.parentState.name, index: event.index } });
        break;
      }
      default:
        break;
    }
  }

  private finish(execution: ExecutionRecord, outcome: { ok: true; output: Json } | { ok: false; error: unknown }): void {
    execution.controller.abort();
    this.closeTokensOf(execution);
    if (execution.status !== 'RUNNING') return;
    if (outcome.ok) {
      const output = JSON.stringify(outcome.output ?? null);
      this.append(execution, 'ExecutionSucceeded', { executionSucceededEventDetails: { output, outputDetails: { truncated: false } } });
      execution.status = 'SUCCEEDED';
      execution.output = output;
    } else if (outcome.error instanceof ExecutionTimeoutError) {
      const details = { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds.' };
      this.append(execution, 'ExecutionTimedOut', { executionTimedOutEventDetails: details });
      execution.status = 'TIMED_OUT';
      execution.error = details.error;
      execution.cause = details.cause;
    } else {
      const cause = outcome.error instanceof ExecutionError ? outcome.error.cause : outcome.error;
      const { name, message } = errorParts(cause);
      this.append(execution, 'ExecutionFailed', { executionFailedEventDetails: { error: name, cause: message } });
      execution.status = 'FAILED';
      execution.error = name;
      execution.cause = message;
    }
    execution.stopDate = new Date();
  }

  private stop(execution: ExecutionRecord, error: string | undefined, cause: string | undefined): void {
    if (execution.status !== 'RUNNING') return;
    this.append(execution, 'ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
    execution.status = 'ABORTED';
    execution.stopDate = new Date();
    execution.error = error;
    execution.cause = cause;
    // Pending tasks and callback waits reject at once; the library's Wait sleeps end on its abort.
    execution.controller.abort();
    this.closeTokensOf(execution);
    execution.abortRun?.();
  }

  private stopExecution(input: z.infer<typeof StopExecutionInput>) {
    const execution = this.execution(input.executionArn);
    this.stop(execution, input.error, input.cause);
    return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
  }

  private describeExecution(input: z.infer<typeof ExecutionArnInput>) {
    const execution = this.execution(input.executionArn);
    return {
      executionArn: execution.arn,
      stateMachineArn: execution.stateMachine.arn,
      name: execution.name,
      status: execution.status,
      startDate: epochSeconds(execution.startDate),
      stopDate: execution.stopDate && epochSeconds(execution.stopDate),
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output,
      outputDetails: execution.output === undefined ? undefined : { included: true },
      error: execution.error,
      cause: execution.cause,
    };
  }

  private listExecutions(input: z.infer<typeof ListExecutionsInput>) {
    const machine = this.machine(input.stateMachineArn);
    const matching = [...machine.executions.values()]
      .filter((e) => input.statusFilter === undefined || e.status === input.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const { items, nextToken } = page(matching, input);
    return {
      executions: items.map((e) => ({
        executionArn: e.arn,
        stateMachineArn: machine.arn,
        name: e.name,
        status: e.status,
        startDate: epochSeconds(e.startDate),
        stopDate: e.stopDate && epochSeconds(e.stopDate),
      })),
      nextToken,
    };
  }

  private getExecutionHistory(input: z.infer<typeof GetExecutionHistoryInput>) {
    const execution = this.execution(input.executionArn);
    const ordered = input.reverseOrder ? [...execution.history].reverse() : execution.history;
    const { items, nextToken } = page(ordered, input);
    return { events: items, nextToken };
  }

  private execution(arn: string): ExecutionRecord {
    if (!arn.startsWith('arn:aws:states:')) fail('InvalidArn', `Invalid Arn: '${arn}'`);
    return this.executions.get(arn) ?? fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }

  /** Appends to the history while the execution runs; after it ended, late events are dropped. */
  private append(execution: ExecutionRecord, type: string, details: Record<string, unknown>): void {
    if (execution.status !== 'RUNNING') return;
    const previous = execution.history.length;
    execution.history.push({ timestamp: Date.now() / 1000, type, id: previous + 1, previousEventId: previous, ...details });
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
            if (attempt.token) this.closeToken(attempt.token);
            this.append(execution, 'TaskTimedOut', {
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
    this.append(execution, 'TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource,
        region: this.region,
        parameters: JSON.stringify(input),
        timeoutInSeconds: spec.timeoutSeconds,
        heartbeatInSeconds: spec.heartbeatSeconds,
      },
    });
    this.append(execution, 'TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource } });
    try {
      const result =
        attempt.token === undefined
          ? await abandonOnAbort(this.invoke(functionArn, payload), signal)
          : await this.awaitCallback(execution, spec, attempt.token, functionArn, payload);
      const output: Json = spec.kind === 'invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
      if (!attempt.timedOut) {
        this.append(execution, 'TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource, output: JSON.stringify(output) } });
      }
      return output;
    } catch (error) {
      if (signal.aborted) throw abandoned();
      const { name, message } = errorParts(error);
      const failure = error instanceof StatesError ? error : new StatesError(name, message);
      if (!attempt.timedOut) {
        const type = failure.name === 'States.HeartbeatTimeout' ? 'TaskTimedOut' : 'TaskFailed';
        const key = type === 'TaskTimedOut' ? 'taskTimedOutEventDetails' : 'taskFailedEventDetails';
        this.append(execution, type, { [key]: { resourceType: 'lambda', resource, error: failure.name, cause: failure.message } });
      }
      throw failure;
    }
  }

  /** Invokes the function with the token in its payload, then waits for SendTask* on that token. */
  private async awaitCallback(execution: ExecutionRecord, spec: TaskSpec, token: string, functionArn: string, payload: Json): Promise<Json> {
    // Registered before the invocation: the function may report back before its invocation returns.
    const settled = new Promise<Json>((resolve, reject) => {
      const waiter: Waiter = { execution, resolve, reject, ...(spec.heartbeatSeconds !== undefined && { heartbeatSeconds: spec.heartbeatSeconds }) };
      this.waiters.set(token, waiter);
      execution.openTokens.add(token);
      this.armHeartbeat(token, waiter);
    });
    this.invoke(functionArn, payload).then(
      () => {
        if (this.waiters.has(token)) {
          this.append(execution, 'TaskSubmitted', {
            taskSubmittedEventDetails: { resourceType: 'lambda', resource: resourceName(spec), output: '{}' },
          });
        }
      },
      (error: unknown) => {
        const waiter = this.waiters.get(token);
        if (!waiter) return;
        this.closeToken(token);
        const { name, message } = errorParts(error);
        waiter.reject(new StatesError(name, message));
      },
    );
    try {
      return await abandonOnAbort(settled, execution.controller.signal);
    } finally {
      this.closeToken(token);
    }
  }

  private armHeartbeat(token: string, waiter: Waiter): void {
    clearTimeout(waiter.heartbeatTimer);
    if (waiter.heartbeatSeconds === undefined) return;
    waiter.heartbeatTimer = setTimeout(() => {
      this.closeToken(token);
      waiter.reject(new StatesError('States.HeartbeatTimeout', 'No heartbeat was sent within HeartbeatSeconds.'));
    }, waiter.heartbeatSeconds * 1000);
  }

  private closeToken(token: string): void {
    const waiter = this.waiters.get(token);
    if (!waiter) return;
    clearTimeout(waiter.heartbeatTimer);
    this.waiters.delete(token);
    waiter.execution.openTokens.delete(token);
    this.closedTokens.add(token);
  }

  private closeTokensOf(execution: ExecutionRecord): void {
    for (const token of [...execution.openTokens]) this.closeToken(token);
  }

  private openWaiter(token: string): Waiter {
    if (!TOKEN_PATTERN.test(token)) fail('InvalidToken', 'Invalid Token: the task token is malformed.');
    const waiter = this.waiters.get(token);
    if (waiter) return waiter;
    if (this.closedTokens.has(token)) fail('TaskTimedOut', 'Task Timed Out: the task of this token has already been closed.');
    return fail('TaskDoesNotExist', 'Task Does Not Exist: no task was issued this token.');
  }

  private sendTaskSuccess(input: z.infer<typeof SendTaskSuccessInput>) {
    const waiter = this.openWaiter(input.taskToken);
    const output = parseJson(input.output);
    if (!output.ok) fail('InvalidOutput', 'Invalid Output: not valid JSON.');
    this.closeToken(input.taskToken);
    waiter.resolve(output.value);
    return {};
  }

  private sendTaskFailure(input: z.infer<typeof SendTaskFailureInput>) {
    const waiter = this.openWaiter(input.taskToken);
    this.closeToken(input.taskToken);
    waiter.reject(new StatesError(input.error ?? '', input.cause ?? ''));
    return {};
  }

  private sendTaskHeartbeat(input: z.infer<typeof SendTaskHeartbeatInput>) {
    const waiter = this.openWaiter(input.taskToken);
    this.armHeartbeat(input.taskToken, waiter);
    return {};
  }
}

function mintToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(48).toString('base64url')}`;
}

/** The resource as AWS names it in task history events. */
function resourceName(spec: TaskSpec): string {
  if (spec.kind === 'invoke') return 'invoke';
  if (spec.kind === 'callback') return 'invoke.waitForTaskToken';
  return spec.resource;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(req, MAX_BODY_BYTES, () => {
    throw new ServiceError('ValidationException', 'Request body too large.', 413);
  });
  if (text === '') return {};
  const parsed = parseJson(text);
  return parsed.ok ? parsed.value : fail('SerializationException', 'Request body is not valid JSON.');
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(payload);
}

export async function startStepFunctions(opts: {
  invokeTask: (resourceArn: string, input: unknown) => Promise<unknown>;
  port?: number;
  host?: string;
  region?: string;
}): Promise<{ url: string; port: number; stats: { stateTransitions: number; executionsStarted: number }; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const service = new StepFunctions(opts.invokeTask, opts.region ?? DEFAULT_REGION);

  const server = createServer(async (req, res) => {
    try {
      const target = req.headers['x-amz-target'];
      const prefix = 'AWSStepFunctions.';
      const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
      if (req.method !== 'POST' || !operation) {
        throw new ServiceError('UnknownOperationException', `Expected POST with X-Amz-Target: ${prefix}<Operation>.`);
      }
      send(res, 200, await service.handle(operation, await readBody(req)));
    } catch (error) {
      const known = error instanceof ServiceError;
      const type = known ? error.type : 'InternalServerError';
      if (!known) console.error('[stepfunctions] internal error:', error);
      send(res, known ? error.status : 500, { __type: type, message: known ? error.message : 'An internal error occurred in the local emulator.' }, type);
    }
  });

  const port = await listen(server, opts.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: service.stats,
    async close() {
      await service.shutdown();
      await closeServer(server);
    },
  };
}
