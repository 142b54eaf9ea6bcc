import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export type Run = 'provision' | 'teardown';
export const RUNS: readonly Run[] = ['provision', 'teardown'];

/**
 * State machines have fixed names, so the API stack can name their ARNs without a reference to
 * the workflows stack: that stack needs the API's URL (PLEXD_API in the user data), and a
 * reference back would be a cycle.
 */
export function stateMachineName(stage: string, run: Run): string {
  return `plexsphere-${stage}-${run}`;
}

/** The machine's ARN, formatted in `scope`'s stack. */
export function stateMachineArn(scope: IConstruct, stage: string, run: Run): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: stateMachineName(stage, run),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every execution of the machine (`execution:<machine>:<resource id>-<generation>`). */
export function executionsArn(scope: IConstruct, stage: string, run: Run): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachineName(stage, run)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
