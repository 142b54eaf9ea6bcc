// In-process emulator of the AWS Step Functions JSON API (awsJson1_0) for the embedded local cloud:
// the service actions. Standard-workflow semantics where the broker relies on them: executions are
// named and idempotent on (name, input) while open, StopExecution really stops a run, callback
// tasks (`.waitForTaskToken`) get real tokens, and the history shows the path taken. Runs are the
// engine's (engine.ts), tokens are in tokens.ts, definitions are checked by validator.ts. State is
// in memory only: a restart forgets executions, as a fresh LocalStack would.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { fail, parseJson, runOperation, serveJson } from '../aws-json-protocol.ts';
import { closeServer } from '../net.ts';
import { Engine } from './engine.ts';
import { ACCOUNT, epochSeconds, type ExecutionRecord, type Json, type StateMachineRecord, sameJson } from './types.ts';
import { compile, DefinitionValidator } from './validator.ts';

const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 1024 * 1024;
/** AWS's rule for state machine and execution names. */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

const Page = { maxResults: z.number().int().min(0).max(1000).optional(), nextToken: z.string().optional() };
const TaskToken = z.string().min(1).max(2048);

/** The operations served and the input each takes; the StepFunctions method of the same name answers it. */
const INPUTS = {
  CreateStateMachine: z.object({
    name: z.string(),
    definition: z.string().min(1),
    roleArn: z.string().min(1),
    type: z.enum(['STANDARD', 'EXPRESS']).optional(),
  }),
  UpdateStateMachine: z.object({
    stateMachineArn: z.string(),
    definition: z.string().min(1).optional(),
    roleArn: z.string().min(1).optional(),
  }),
  DescribeStateMachine: z.object({ stateMachineArn: z.string() }),
  ListStateMachines: z.object(Page),
  StartExecution: z.object({
    stateMachineArn: z.string(),
    name: z.string().optional(),
    input: z.string().optional(),
  }),
  DescribeExecution: z.object({ executionArn: z.string() }),
  StopExecution: z.object({
    executionArn: z.string(),
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
  ListExecutions: z.object({
    stateMachineArn: z.string(),
    statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']).optional(),
    ...Page,
  }),
  GetExecutionHistory: z.object({
    executionArn: z.string(),
    reverseOrder: z.boolean().optional(),
    includeExecutionData: z.boolean().optional(),
    ...Page,
  }),
  SendTaskSuccess: z.object({ taskToken: TaskToken, output: z.string() }),
  SendTaskFailure: z.object({
    taskToken: TaskToken,
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
  SendTaskHeartbeat: z.object({ taskToken: TaskToken }),
};
type Input<K extends keyof typeof INPUTS> = z.infer<(typeof INPUTS)[K]>;

function page<T>(items: T[], input: { maxResults?: number | undefined; nextToken?: string | undefined }) {
  const start = input.nextToken === undefined ? 0 : Number.parseInt(Buffer.from(input.nextToken, 'base64url').toString('utf8'), 10);
  if (!Number.isSafeInteger(start) || start < 0) fail('InvalidToken', 'Invalid nextToken.');
  const size = input.maxResults || 100;
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
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

class StepFunctions {
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly validator = new DefinitionValidator();
  readonly engine: Engine;

  constructor(
    invokeTask: (resourceArn: string, input: unknown) => Promise<unknown>,
    private readonly region: string,
  ) {
    this.engine = new Engine(invokeTask, region);
    this.validator.warm();
  }

  handle(operation: string, body: unknown): Promise<unknown> {
    return runOperation(this, INPUTS, operation, body, 'ValidationException', undefined);
  }

  /** Stops every running execution, so no timer or pending task outlives the emulator. */
  async shutdown(): Promise<void> {
    for (const execution of this.executions.values()) {
      this.engine.stop(execution, 'States.Aborted', 'The local Step Functions emulator was closed.');
    }
    await this.engine.settle();
    await this.validator.close();
  }

  // ---- state machines ----

  async CreateStateMachine(input: Input<'CreateStateMachine'>): Promise<{ stateMachineArn: string; creationDate: number }> {
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
    const current = await compile(input.definition, this.validator);
    // Another create of the same name may have finished while this one was being validated.
    if (this.machines.has(arn)) return this.CreateStateMachine(input);
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

  async UpdateStateMachine(input: Input<'UpdateStateMachine'>) {
    const machine = this.machine(input.stateMachineArn);
    if (input.definition === undefined && input.roleArn === undefined) {
      fail('MissingRequiredParameter', 'Either the definition or the roleArn must be specified.');
    }
    // Running executions keep the definition they started with.
    if (input.definition !== undefined) machine.current = await compile(input.definition, this.validator);
    if (input.roleArn !== undefined) machine.roleArn = input.roleArn;
    return { updateDate: epochSeconds(new Date()) };
  }

  DescribeStateMachine(input: Input<'DescribeStateMachine'>) {
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

  ListStateMachines(input: Input<'ListStateMachines'>) {
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

  // ---- executions ----

  StartExecution(input: Input<'StartExecution'>) {
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) fail('InvalidName', `Invalid Name: '${name}'`);
    const inputText = input.input ?? '{}';
    const parsed = parseJson(inputText);
    if (!parsed.ok) fail('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON.');
    const inputValue = parsed.value as Json;
    const existing = machine.executions.get(name);
    if (existing) {
      // AWS: the same name and input while the first run is open is an idempotent retry; a closed
      // run or a different input is a conflict (names are not reusable for 90 days).
      if (existing.status === 'RUNNING' && sameJson(existing.inputValue, inputValue)) {
        return { executionArn: existing.arn, startDate: epochSeconds(existing.startDate) };
      }
      fail('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const execution: ExecutionRecord = {
      arn: `arn:aws:states:${this.region}:${ACCOUNT}:execution:${machine.name}:${name}`,
      name,
      stateMachine: machine,
      input: inputText,
      inputValue,
      status: 'RUNNING',
      startDate: new Date(),
      history: [],
      controller: new AbortController(),
      openTokens: new Set(),
    };
    machine.executions.set(name, execution);
    this.executions.set(execution.arn, execution);
    this.engine.start(execution, machine.current);
    return { executionArn: execution.arn, startDate: epochSeconds(execution.startDate) };
  }

  StopExecution(input: Input<'StopExecution'>) {
    const execution = this.execution(input.executionArn);
    this.engine.stop(execution, input.error, input.cause);
    return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
  }

  DescribeExecution(input: Input<'DescribeExecution'>) {
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

  ListExecutions(input: Input<'ListExecutions'>) {
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

  GetExecutionHistory(input: Input<'GetExecutionHistory'>) {
    const execution = this.execution(input.executionArn);
    const ordered = input.reverseOrder ? [...execution.history].reverse() : execution.history;
    const { items, nextToken } = page(ordered, input);
    return { events: items, nextToken };
  }

  private execution(arn: string): ExecutionRecord {
    if (!arn.startsWith('arn:aws:states:')) fail('InvalidArn', `Invalid Arn: '${arn}'`);
    return this.executions.get(arn) ?? fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }

  // ---- task tokens ----

  SendTaskSuccess(input: Input<'SendTaskSuccess'>) {
    this.engine.tokens.succeed(input.taskToken, input.output);
    return {};
  }

  SendTaskFailure(input: Input<'SendTaskFailure'>) {
    this.engine.tokens.fail(input.taskToken, input.error, input.cause);
    return {};
  }

  SendTaskHeartbeat(input: Input<'SendTaskHeartbeat'>) {
    this.engine.tokens.heartbeat(input.taskToken);
    return {};
  }
}

export async function startStepFunctions(opts: {
  invokeTask: (resourceArn: string, input: unknown) => Promise<unknown>;
  port?: number;
  host?: string;
  region?: string;
}): Promise<{ url: string; port: number; stats: { stateTransitions: number; executionsStarted: number }; close(): Promise<void> }> {
  const service = new StepFunctions(opts.invokeTask, opts.region ?? DEFAULT_REGION);
  const { server, port, url } = await serveJson({
    service: 'AWSStepFunctions',
    version: '1.0',
    host: opts.host,
    port: opts.port,
    maxBodyBytes: MAX_BODY_BYTES,
    tooLargeType: 'ValidationException',
    internalErrorType: 'InternalServerError',
    onInternalError: (error) => console.error('[stepfunctions] internal error:', error),
    handle: (operation, body) => service.handle(operation, body),
  });
  return {
    url,
    port,
    stats: service.engine.stats,
    async close() {
      await service.shutdown();
      await closeServer(server);
    },
  };
}
