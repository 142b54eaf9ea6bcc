import {
  CreateStateMachineCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { substitute } from '../../local/stepfunctions/api.ts';
import { emulator, fnArn, functions, invocations, ROLE, sfn, useStepFunctions } from '../support/stepfunctions.ts';
import { createMachine, finished, history, path, rejection, start } from '../support/stepfunctions.ts';

// ASL substitution, state machine definitions, and executions of Task, Choice, Wait, Retry and Catch.

useStepFunctions();

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
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
