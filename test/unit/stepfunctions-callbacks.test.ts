import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { emulator, fnArn, functions, invocations, sfn, useStepFunctions } from '../support/stepfunctions.ts';
import { createMachine, finished, history, path, rejection, start } from '../support/stepfunctions.ts';

// Executions that wait on task tokens (.waitForTaskToken), that are stopped, and that are started twice under one name.

useStepFunctions();

class Deferred<T> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((resolve) => {
    this.resolve = resolve;
  });
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

describe('executions', () => {
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

});
