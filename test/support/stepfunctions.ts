import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll } from 'vitest';
import { startStepFunctions } from '../../local/stepfunctions/api.ts';
export { rejection } from './sdk-rejection.ts';

// The local Step Functions emulator of test/unit/stepfunctions-*.test.ts, whose Lambda tasks are
// the in-process functions each test registers, and the helpers those files share.

type Emulator = Awaited<ReturnType<typeof startStepFunctions>>;
type Fn = (input: unknown) => Promise<unknown>;

export const ROLE = 'arn:aws:iam::000000000000:role/local';
export const fnArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** The in-process "Lambda" functions of the test, by name; each test registers its own. */
export const functions = new Map<string, Fn>();
export const invocations: { arn: string; input: unknown }[] = [];

export let emulator: Emulator;
export let sfn: SFNClient;
let machineCount = 0;

/** Starts the emulator (and an SDK client on it) before the calling file's tests, and stops it after them. */
export function useStepFunctions(): void {
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
}

export async function createMachine(definition: object): Promise<string> {
  machineCount += 1;
  const out = await sfn.send(new CreateStateMachineCommand({ name: `test-${machineCount}`, definition: JSON.stringify(definition), roleArn: ROLE }));
  return out.stateMachineArn as string;
}

export async function start(stateMachineArn: string, input: unknown = {}, name?: string): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name && { name }) }));
  return out.executionArn as string;
}

/** Waits for the fact that the execution ended (DescribeExecution no longer says RUNNING). */
export async function finished(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return out.events ?? [];
}

/** The states entered, in order: the path the execution took. */
export async function path(executionArn: string): Promise<string[]> {
  return (await history(executionArn)).flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
}
