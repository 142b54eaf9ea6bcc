import { readFileSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StepsEnvInput } from '../../functions/shared/env.ts';
import { STATE_MACHINES, STEP_GROUPS, type StepGroup, TIMING_SUBSTITUTIONS } from '../../functions/steps/step-groups.ts';
import { ConstructIds, RUNS, type Run, stateMachineName } from '../naming.ts';
import type { DataStack } from '../stacks/data-stack.ts';
import { type BrokerFunction, groupFunctions, PROJECT_ROOT, type StageLogs } from './broker-function.ts';
import { Concern } from './concern.ts';
import { stateMachineArn } from './state-machine-arns.ts';

/** The state machines' timing substitutions, in seconds. */
export type Timings = Record<(typeof TIMING_SUBSTITUTIONS)[number], number>;

/** The `${Name}` placeholders of an ASL file, in order of first appearance. */
export function placeholders(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))];
}

/** The step groups whose function an ASL file names. */
export function groupsOf(asl: string): StepGroup[] {
  const names = new Set(placeholders(asl));
  return (Object.keys(STEP_GROUPS) as StepGroup[]).filter((g) => names.has(STEP_GROUPS[g].substitution));
}

export interface PhaseArcsProps extends StageLogs {
  stage: string;
  data: DataStack;
  /** Where nodes redeem their bootstrap token (PLEXD_API in the user data): the API's URL. */
  publicUrl: string;
  timings: Timings;
}

/**
 * The phase arcs: the provision and teardown state machines from statemachines/*.asl.json, each with
 * its log group, and the step functions their Task states invoke (one per step group), with what
 * those may do.
 */
export class PhaseArcs extends Concern {
  readonly steps: Record<StepGroup, BrokerFunction<StepsEnvInput>>;
  readonly machines: Record<Run, StateMachine>;

  constructor(scope: Construct, id: string, props: PhaseArcsProps) {
    super(scope, id);
    const { stage, data, publicUrl, timings, ...logs } = props;

    this.steps = groupFunctions<StepGroup, StepsEnvInput>(this, STEP_GROUPS, {
      stage,
      id: ConstructIds.stepFunction,
      props: {
        ...logs,
        authz: false,
        // EC2 calls and the phase write; Retry in the ASL covers what fails.
        timeout: Duration.seconds(30),
        memorySize: 512,
        environment: { STAGE: stage, TABLE_NAME: data.tableName, PUBLIC_URL: publicUrl },
      },
      wire: (group, fn) => data.grantTableUse(fn, group),
    });
    const groups = Object.keys(STEP_GROUPS) as StepGroup[];

    // The substrate steps resolve the pinned credential and mint the bootstrap token (user data).
    data.secrets.grantCredentialRead(this.steps['substrate-steps'].fn);
    data.secrets.grantBootstrapTokenKeyLoadOrCreate(this.steps['substrate-steps'].fn);
    // The Enrolling step completes its own wait when the node registered first. The machine is named
    // by its ARN, not referenced: it references the function, so a reference back would be a cycle.
    Grant.addToPrincipal({
      grantee: this.steps['provision-steps'].fn,
      actions: ['states:SendTaskSuccess'],
      resourceArns: [stateMachineArn(this, stage, 'provision')],
    });

    const substitutions: Record<string, string> = Object.fromEntries(TIMING_SUBSTITUTIONS.map((name) => [name, String(timings[name])]));
    for (const group of groups) substitutions[STEP_GROUPS[group].substitution] = this.steps[group].fn.functionArn;

    this.machines = Object.fromEntries(
      RUNS.map((run) => {
        const asl = readFileSync(`${PROJECT_ROOT}${STATE_MACHINES[run].file}`, 'utf8');
        const logGroup = new LogGroup(this, ConstructIds.stateMachineLogs(run), {
          retention: logs.logRetention,
          removalPolicy: logs.logRemovalPolicy,
        });
        const machine = new StateMachine(this, ConstructIds.stateMachine(run), {
          stateMachineName: stateMachineName(stage, run),
          stateMachineType: StateMachineType.STANDARD,
          definitionBody: DefinitionBody.fromString(asl),
          // Only what this file names: CloudFormation refuses a definition with an unknown one.
          definitionSubstitutions: Object.fromEntries(placeholders(asl).map((name) => [name, required(substitutions, name)])),
          tracingEnabled: true,
          // Execution data holds task tokens: the log has the events, not the payloads.
          logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
        });
        // Only the functions its Task states name (a string definition grants nothing by itself).
        for (const group of groupsOf(asl)) this.steps[group].fn.grantInvoke(machine);
        return [run, machine];
      }),
    ) as Record<Run, StateMachine>;
  }
}

function required(values: Record<string, string>, name: string): string {
  const value = values[name];
  if (value === undefined) throw new Error(`No definition substitution for \${${name}}`);
  return value;
}
