import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidDefinition,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStepFunctions, substitute } from '../../local/stepfunctions/api.ts';

type Emulator = Awaited<ReturnType<typeof startStepFunctions>>;
type Fn = (input: unknown) => Promise<unknown>;

const ROLE = 'arn:aws:iam::000000000000:role/local';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** The in-process "Lambda" functions of the test, by name; each test registers its own. */
const functions = new Map<string, Fn>();
const invocations: { arn: string; input: unknown }[] = [];

let emulator: Emulator;
let sfn: SFNClient;
let machineCount = 0;

beforeAll(async () => {
  emulator = await startStepFunctions({
    invokeTask: async (arn, input) => {
      invocations.push({ arn, input });
      const fn = functions.get(arn.slice(arn.lastIndexOf(':') + 1));
      if (!fn) throw new Error(`no function behind ${arn}`);
      return fn(input);
    },
  });
  sfn = new SFNClient({ endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

afterAll(async () => {
  sfn.destroy();
  await emulator.close();
});

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => {
    this.resolve = resolve;
  });
}

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

async function createMachine(definition: object): Promise<string> {
  machineCount += 1;
  const out = await sfn.send(new CreateStateMachineCommand({ name: `test-${machineCount}`, definition: JSON.stringify(definition), roleArn: ROLE }));
  return out.stateMachineArn as string;
}

async function start(stateMachineArn: string, input: unknown = {}, name?: string): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name && { name }) }));
  return out.executionArn as string;
}

/** Waits for the fact that the execution ended (DescribeExecution no longer says RUNNING). */
async function finished(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

/** The states entered, in order: the path the execution took. */
async function path(executionArn: string): Promise<string[]> {
  return (await history(executionArn)).flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** A machine whose first Task waits for a callback; the token reaches the test through `tokens`. */
function callbackMachine(fn: string, extra: { catchError?: string; heartbeat?: number; timeout?: number } = {}) {
  return {
    StartAt: 'Enroll',
    States: {
      Enroll: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fn, Payload: { 'resourceId.$': '$.id', 'taskToken.$': '$$.Task.Token' } },
        ...(extra.heartbeat && { HeartbeatSeconds: extra.heartbeat }),
        ...(extra.timeout && { TimeoutSeconds: extra.timeout }),
        ResultPath: '$.enrolled',
        ...(extra.catchError && { Catch: [{ ErrorEquals: [extra.catchError], ResultPath: '$.error', Next: 'RecordFailure' }] }),
        Next: 'Done',
      },
      ...(extra.catchError && { RecordFailure: { Type: 'Task', Resource: fnArn('record-failure'), End: true } }),
      Done: { Type: 'Succeed' },
    },
  };
}

/** Registers a callback function that hands each token it receives to the test. */
function tokenCatcher(name: string): { next(): Promise<string>; count(): number } {
  let pending = new Deferred<string>();
  let calls = 0;
  functions.set(name, async (input) => {
    calls += 1;
    pending.resolve((input as { taskToken: string }).taskToken);
    return { accepted: true };
  });
  return {
    next: async () => {
      const token = await pending.promise;
      pending = new Deferred<string>();
      return token;
    },
    count: () => calls,
  };
}

describe('substitute', () => {
  it('replaces every placeholder and keeps the Fn::Sub escape ($ then {!Name}) literal', () => {
    const text = `{"Seconds": \${PollSeconds}, "Resource": "\${CheckFn}", "Note": "\${!NotMine}", "Again": "\${CheckFn}"}`;
    expect(substitute(text, { PollSeconds: '1', CheckFn: 'arn:x' })).toBe(`{"Seconds": 1, "Resource": "arn:x", "Note": "\${NotMine}", "Again": "arn:x"}`);
  });

  it('throws naming each placeholder left without a value', () => {
    expect(() => substitute(`{"a": "\${One}", "b": \${Two}, "c": "\${One}", "d": "\${Given}"}`, { Given: 'x' })).toThrow(
      /placeholders without a substitution: \$\{One\}, \$\{Two\}$/,
    );
  });

  it('leaves JSONPath and intrinsic functions alone', () => {
    const text = '{"x.$": "$.a", "y.$": "States.Format(\'{}\', $.b)"}';
    expect(substitute(text, {})).toBe(text);
  });
});

describe('state machines', () => {
  it('creates idempotently, refuses a different definition under the same name, and updates for new runs', async () => {
    const first = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 1, End: true } } };
    const second = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 2, End: true } } };
    const create = (definition: object) =>
      sfn.send(new CreateStateMachineCommand({ name: 'idempotent', definition: JSON.stringify(definition), roleArn: ROLE }));
    const a = await create(first);
    const b = await create(first);
    expect(b.stateMachineArn).toBe(a.stateMachineArn);
    expect(a.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:idempotent');
    expect(await rejection(create(second))).toBeInstanceOf(StateMachineAlreadyExists);

    const arn = a.stateMachineArn as string;
    expect((await finished(await start(arn))).output).toBe('1');
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(second) }));
    expect((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition).toBe(JSON.stringify(second));
    expect((await finished(await start(arn))).output).toBe('2');
  });

  it('rejects JSONata, unsupported resources and invalid ASL as InvalidDefinition', async () => {
    const attempts = [
      { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } },
      { StartAt: 'Missing', States: { P: { Type: 'Pass', End: true } } },
    ];
    for (const definition of attempts) {
      const error = await rejection(createMachine(definition));
      expect(error).toBeInstanceOf(InvalidDefinition);
    }
  });
});

describe('executions', () => {
  it('polls Task → Choice → Wait → Task until the handler says ready, really waiting in between', async () => {
    let checks = 0;
    functions.set('check-ready', async () => {
      checks += 1;
      return { ready: checks >= 3 };
    });
    // As in statemachines/*.asl.json: placeholders in the text, a number one unquoted.
    const asl = substitute(
      `{
        "StartAt": "Check",
        "States": {
          "Check": { "Type": "Task", "Resource": "\${CheckFn}", "ResultPath": "$.check", "Next": "IsReady" },
          "IsReady": {
            "Type": "Choice",
            "Choices": [{ "Variable": "$.check.ready", "BooleanEquals": true, "Next": "Ready" }],
            "Default": "Pause"
          },
          "Pause": { "Type": "Wait", "Seconds": \${PollSeconds}, "Next": "Check" },
          "Ready": { "Type": "Succeed" }
        }
      }`,
      { CheckFn: fnArn('check-ready'), PollSeconds: '1' },
    );
    const arn = await createMachine(JSON.parse(asl));
    const transitionsBefore = emulator.stats.stateTransitions;
    const startedAt = Date.now();
    const execution = await start(arn, { id: 'r1' });
    const result = await finished(execution);

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({ id: 'r1', check: { ready: true } });
    expect(checks).toBe(3);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000);
    const taken = await path(execution);
    expect(taken).toEqual(['Check', 'IsReady', 'Pause', 'Check', 'IsReady', 'Pause', 'Check', 'IsReady', 'Ready']);
    expect(emulator.stats.stateTransitions - transitionsBefore).toBe(taken.length);
  });

  it('retries on a named error, then succeeds (lambda:invoke output is { Payload })', async () => {
    let calls = 0;
    functions.set('flaky', async (input) => {
      calls += 1;
      if (calls === 1) throw new NamedError('TransientError', 'try again');
      return { echoed: input };
    });
    const arn = await createMachine({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'flaky', 'Payload.$': '$' },
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
          ResultSelector: { 'value.$': '$.Payload' },
          End: true,
        },
      },
    });
    const execution = await start(arn, { n: 7 });
    const result = await finished(execution);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({ value: { echoed: { n: 7 } } });
    expect(calls).toBe(2);
    expect(invocations.filter((i) => i.arn === fnArn('flaky'))).toHaveLength(2);
    const events = await history(execution);
    const failed = events.find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({ error: 'TransientError', cause: 'try again' });
    expect(events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(2);
  });

  it('catches a named error into a failure-recording Task, then fails with the Fail state error', async () => {
    functions.set('provision', async () => {
      throw new NamedError('PermanentError', 'no capacity');
    });
    const recorded: unknown[] = [];
    functions.set('record-failure', async (input) => {
      recorded.push(input);
      return { recorded: true };
    });
    const arn = await createMachine({
      StartAt: 'Provision',
      States: {
        Provision: {
          Type: 'Task',
          Resource: fnArn('provision'),
          Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['PermanentError'], ResultPath: '$.error', Next: 'RecordFailure' }],
          End: true,
        },
        RecordFailure: { Type: 'Task', Resource: fnArn('record-failure'), Next: 'Failed' },
        Failed: { Type: 'Fail', Error: 'ProvisionFailed', Cause: 'recorded' },
      },
    });
    const execution = await start(arn, { id: 'r2' });
    const result = await finished(execution);
    expect(recorded).toEqual([{ id: 'r2', error: { Error: 'PermanentError', Cause: 'no capacity' } }]);
    expect(result).toMatchObject({ status: 'FAILED', error: 'ProvisionFailed', cause: 'recorded' });
    expect(await path(execution)).toEqual(['Provision', 'RecordFailure', 'Failed']);
  });

  it('suspends a .waitForTaskToken Task until SendTaskSuccess with the token handed to the function', async () => {
    const enroll = tokenCatcher('enroll-ok');
    const arn = await createMachine(callbackMachine('enroll-ok'));
    const execution = await start(arn, { id: 'r3' });
    const token = await enroll.next();

    expect(invocations.at(-1)).toEqual({ arn: fnArn('enroll-ok'), input: { resourceId: 'r3', taskToken: token } });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: execution }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ node: 'n1' }) }));

    const result = await finished(execution);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({ id: 'r3', enrolled: { node: 'n1' } });
    expect(enroll.count()).toBe(1);

    // A closed task's token, an unknown one, and a malformed one.
    expect(await rejection(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBeInstanceOf(TaskTimedOut);
    const unknown = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await rejection(sfn.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' })))).toBeInstanceOf(TaskDoesNotExist);
    expect(await rejection(sfn.send(new SendTaskFailureCommand({ taskToken: 'not a token' })))).toBeInstanceOf(InvalidToken);
  });

  it('routes SendTaskFailure to the Catch matching its error', async () => {
    const enroll = tokenCatcher('enroll-rejected');
    const recorded: unknown[] = [];
    functions.set('record-failure', async (input) => {
      recorded.push(input);
      return input;
    });
    const arn = await createMachine(callbackMachine('enroll-rejected', { catchError: 'EnrollmentRejected' }));
    const execution = await start(arn, { id: 'r4' });
    const token = await enroll.next();
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'EnrollmentRejected', cause: 'token already used' }));

    const result = await finished(execution);
    expect(result.status).toBe('SUCCEEDED');
    expect(recorded).toEqual([{ id: 'r4', error: { Error: 'EnrollmentRejected', Cause: 'token already used' } }]);
    expect(await path(execution)).toEqual(['Enroll', 'RecordFailure']);
  });

  it('fails a callback Task with States.HeartbeatTimeout / States.Timeout and closes its token', async () => {
    const recorded: unknown[] = [];
    functions.set('record-failure', async (input) => {
      recorded.push(input);
      return input;
    });
    const quiet = tokenCatcher('enroll-quiet');
    const heartbeat = await createMachine(callbackMachine('enroll-quiet', { catchError: 'States.HeartbeatTimeout', heartbeat: 1 }));
    const timeout = await createMachine(callbackMachine('enroll-quiet', { catchError: 'States.Timeout', timeout: 1 }));

    const first = await start(heartbeat, { id: 'hb' });
    const firstToken = await quiet.next();
    const second = await start(timeout, { id: 'to' });
    const secondToken = await quiet.next();

    expect((await finished(first)).status).toBe('SUCCEEDED');
    expect((await finished(second)).status).toBe('SUCCEEDED');
    expect(recorded).toContainEqual({ id: 'hb', error: { Error: 'States.HeartbeatTimeout', Cause: expect.any(String) } });
    expect(recorded).toContainEqual({ id: 'to', error: { Error: 'States.Timeout', Cause: expect.any(String) } });
    for (const token of [firstToken, secondToken]) {
      expect(await rejection(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBeInstanceOf(TaskTimedOut);
    }
    expect((await history(second)).map((e) => e.type)).toContain('TaskTimedOut');
  });

  it('StopExecution really stops: no Task runs after it, a pending Wait is abandoned', async () => {
    const calls = new Map<string, number>();
    const firstCall = new Map<string, Deferred<void>>();
    const secondCall = new Map<string, Deferred<void>>();
    functions.set('poll-forever', async (input) => {
      const id = (input as { id: string }).id;
      const n = (calls.get(id) ?? 0) + 1;
      calls.set(id, n);
      (n === 1 ? firstCall : secondCall).get(id)?.resolve();
      return { ready: false };
    });
    const arn = await createMachine({
      StartAt: 'Check',
      States: {
        Check: { Type: 'Task', Resource: fnArn('poll-forever'), ResultPath: '$.check', Next: 'IsReady' },
        IsReady: { Type: 'Choice', Choices: [{ Variable: '$.check.ready', BooleanEquals: true, Next: 'Ready' }], Default: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Check' },
        Ready: { Type: 'Succeed' },
      },
    });
    for (const id of ['stopped', 'witness']) {
      firstCall.set(id, new Deferred());
      secondCall.set(id, new Deferred());
    }

    const stopped = await start(arn, { id: 'stopped' });
    await firstCall.get('stopped')?.promise;
    await sfn.send(new StopExecutionCommand({ executionArn: stopped, error: 'Superseded', cause: 'a newer generation runs' }));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: stopped }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Superseded', cause: 'a newer generation runs' });

    // A witness started after the stop polls twice only once a whole Wait has passed since the
    // stop; by then the stopped execution would have polled again had it kept running.
    const witness = await start(arn, { id: 'witness' });
    await secondCall.get('witness')?.promise;
    expect(calls.get('stopped')).toBe(1);
    await sfn.send(new StopExecutionCommand({ executionArn: witness }));

    const events = await history(stopped);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
    expect(events.filter((e) => e.type === 'ExecutionAborted')).toHaveLength(1);
  });

  it('StopExecution abandons a pending callback: its token is closed', async () => {
    const enroll = tokenCatcher('enroll-stopped');
    const arn = await createMachine(callbackMachine('enroll-stopped'));
    const execution = await start(arn, { id: 'r5' });
    const token = await enroll.next();
    await sfn.send(new StopExecutionCommand({ executionArn: execution }));
    expect(await rejection(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toBeInstanceOf(TaskTimedOut);
    expect((await finished(execution)).status).toBe('ABORTED');
  });

  it('treats a repeated name as AWS does: same input while open is the same run, otherwise ExecutionAlreadyExists', async () => {
    const enroll = tokenCatcher('enroll-dup');
    const arn = await createMachine(callbackMachine('enroll-dup'));
    const name = '01910000-0000-7000-8000-00000000000a-1';
    const startedBefore = emulator.stats.executionsStarted;
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"id":"r6"}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{ "id": "r6" }' }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect(emulator.stats.executionsStarted - startedBefore).toBe(1);

    const different = rejection(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"id":"other"}' })));
    expect(await different).toBeInstanceOf(ExecutionAlreadyExists);

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((e) => e.name)).toEqual([name]);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: await enroll.next(), output: '{}' }));
    expect((await finished(first.executionArn as string)).status).toBe('SUCCEEDED');
    const closed = rejection(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: '{"id":"r6"}' })));
    expect(await closed).toBeInstanceOf(ExecutionAlreadyExists);
    expect(enroll.count()).toBe(1);
    const succeeded = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'SUCCEEDED' }));
    expect(succeeded.executions?.map((e) => e.executionArn)).toEqual([first.executionArn]);
  });

  it('records the path in GetExecutionHistory with state names, task events and the end', async () => {
    functions.set('double', async (input) => ({ doubled: (input as { n: number }).n * 2 }));
    const arn = await createMachine({
      StartAt: 'Double',
      States: {
        Double: { Type: 'Task', Resource: fnArn('double'), Next: 'Shape' },
        Shape: { Type: 'Pass', Parameters: { 'result.$': '$.doubled' }, End: true },
      },
    });
    const execution = await start(arn, { n: 21 });
    expect((await finished(execution)).output).toBe('{"result":42}');
    const events = await history(execution);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events[0]?.executionStartedEventDetails).toMatchObject({ input: '{"n":21}', roleArn: ROLE });
    expect(events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Double', input: '{"n":21}' });
    expect(events[2]?.taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: fnArn('double') });
    expect(events[4]?.taskSucceededEventDetails?.output).toBe('{"doubled":42}');
    expect(events[5]?.stateExitedEventDetails).toMatchObject({ name: 'Double', output: '{"doubled":42}' });
    expect(events[8]?.executionSucceededEventDetails?.output).toBe('{"result":42}');
    expect(events[0]?.timestamp).toBeInstanceOf(Date);

    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution, reverseOrder: true, maxResults: 2 }));
    expect(reversed.events?.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'PassStateExited']);
    expect(reversed.nextToken).toBeDefined();
  });

  it('runs 50 executions concurrently, each waiting, all succeeding', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    functions.set('slow-echo', async (input) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 50));
      inFlight -= 1;
      return input;
    });
    const arn = await createMachine({
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: fnArn('slow-echo'), Next: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Second' },
        Second: { Type: 'Task', Resource: fnArn('slow-echo'), End: true },
      },
    });
    const startedAt = Date.now();
    const executions = await Promise.all(Array.from({ length: 50 }, (_, i) => start(arn, { i }, `bulk-${i}`)));
    const results = await Promise.all(executions.map((e) => finished(e)));
    const elapsed = Date.now() - startedAt;

    expect(results.map((r) => r.status)).toEqual(Array(50).fill('SUCCEEDED'));
    expect(results.map((r) => JSON.parse(r.output as string))).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    // Serialized, 50 one-second waits would take 50 s.
    expect(elapsed).toBeLessThan(10_000);
    expect(maxInFlight).toBeGreaterThan(1);
  });
});
