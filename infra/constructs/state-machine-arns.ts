import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { type Run, stateMachineName } from '../naming.ts';

// A state machine's ARNs from its fixed name (naming.ts), formatted in the stack of `scope`: the API
// stack grants on the machines without a reference to the workflows stack.

/** The machine's ARN. */
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
