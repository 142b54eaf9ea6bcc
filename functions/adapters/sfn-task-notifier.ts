import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { EnrolmentNotifier } from '../core/enrolment/ports.ts';
import type { TaskCallbacks } from '../core/phase-steps/config.ts';

/** The wait is already over: it timed out, its execution stopped, or a success was sent before. */
const ALREADY_DONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Completes `.waitForTaskToken` waits (the Enrolling step's) with SendTaskSuccess. */
export class SfnTaskNotifier implements EnrolmentNotifier, TaskCallbacks {
  private client: SFNClient | undefined;

  constructor(client?: SFNClient) {
    this.client = client;
  }

  async succeed(taskToken: string, output: object): Promise<void> {
    // Built on first use: most node calls never need it.
    this.client ??= new SFNClient({});
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (err) {
      if (!ALREADY_DONE.has((err as { name?: string }).name ?? '')) throw err;
    }
  }

  enrolled(taskToken: string, output: { status: 'done'; node_id: string }): Promise<void> {
    return this.succeed(taskToken, output);
  }
}
