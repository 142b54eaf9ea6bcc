import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Orchestrator } from '../core/provisioning.ts';

type Run = 'provision' | 'teardown';

/** Runs the phase arcs as Step Functions executions named `<resource id>-<generation>`. */
export class StepFunctionsOrchestrator implements Orchestrator {
  private readonly client: SFNClient;

  constructor(
    private readonly machines: { provision?: string | undefined; teardown?: string | undefined },
    client?: SFNClient,
  ) {
    this.client = client ?? new SFNClient({});
  }

  private machine(run: Run): string {
    const arn = this.machines[run];
    if (!arn) throw new Error(`No ${run} state machine is configured (${run.toUpperCase()}_STATE_MACHINE_ARN).`);
    return arn;
  }

  private executionArn(run: Run, resourceId: string, generation: number): string {
    // Execution ARNs are the machine's ARN with :stateMachine: replaced by :execution: plus the name.
    return `${this.machine(run).replace(':stateMachine:', ':execution:')}:${resourceId}-${generation}`;
  }

  async start(run: Run, resourceId: string, generation: number): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.machine(run),
          name: `${resourceId}-${generation}`,
          input: JSON.stringify({ resource_id: resourceId, generation }),
        }),
      );
    } catch (err) {
      if (!(err instanceof ExecutionAlreadyExists)) throw err;
    }
  }

  async stop(run: Run, resourceId: string, generation: number): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({ executionArn: this.executionArn(run, resourceId, generation), cause: 'superseded by a newer run' }),
      );
    } catch (err) {
      if (!(err instanceof ExecutionDoesNotExist)) throw err;
    }
  }

  async isRunning(run: Run, resourceId: string, generation: number): Promise<boolean> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn: this.executionArn(run, resourceId, generation) }));
      return out.status === 'RUNNING';
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist) return false;
      throw err;
    }
  }
}
