// Every name the CDK app derives from a stage or a concern: the physical names AWS knows resources by,
// the descriptions that label them, and the construct ids the logical ids come from. The functions
// derive some of the same names from STAGE on their own (the bootstrap-token and node-signing keys):
// test/infra holds those equal.

const PROJECT = 'plexsphere';

/** The phase arcs, one state machine each. */
export type Run = 'provision' | 'teardown';
export const RUNS: readonly Run[] = ['provision', 'teardown'];

/** The stacks of one stage, in the order they deploy. */
export type StackPart = 'data' | 'api' | 'workflows';

// --- Physical names -------------------------------------------------------------------------------

/** A stack's name (and construct id): `plexsphere-<stage>-<part>`. */
export function stackName(stage: string, part: StackPart): string {
  return `${PROJECT}-${stage}-${part}`;
}

/** The tags every resource of the stage carries. */
export function stageTags(stage: string): Record<string, string> {
  return { project: PROJECT, stage };
}

/** The single table of the stage. Fixed, so other stacks name it (and its ARN) without a cross-stack export. */
export function tableName(stage: string): string {
  return `${PROJECT}-${stage}`;
}

export function httpApiName(stage: string): string {
  return `${PROJECT}-${stage}`;
}

/**
 * State machines have fixed names, so the API stack can name their ARNs without a reference to
 * the workflows stack: that stack needs the API's URL (PLEXD_API in the user data), and a
 * reference back would be a cycle.
 */
export function stateMachineName(stage: string, run: Run): string {
  return `${PROJECT}-${stage}-${run}`;
}

/**
 * The lease timers' schedule group, the function they invoke and the role Scheduler assumes to invoke
 * it. Fixed for the same reason as the state machines: the API stack arms timers (and passes the
 * role) without a reference to the workflows stack, which deploys them.
 */
export function leaseScheduleGroupName(stage: string): string {
  return `${PROJECT}-${stage}-leases`;
}

export function leaseExpiryFunctionName(stage: string): string {
  return `${PROJECT}-${stage}-lease-expiry`;
}

export function leaseSchedulerRoleName(stage: string): string {
  return `${PROJECT}-${stage}-lease-scheduler`;
}

/**
 * The webhooks' fixed names (infra/constructs/webhooks.ts), for the same reason as the lease timers':
 * the API stack arms their timers and grants their secrets without a reference to the workflows stack.
 */
export const webhookNames = {
  scheduleGroup: (stage: string) => `${PROJECT}-${stage}-webhooks`,
  dispatchFunction: (stage: string) => `${PROJECT}-${stage}-webhook-dispatch`,
  schedulerRole: (stage: string) => `${PROJECT}-${stage}-webhook-scheduler`,
  deadLetters: (stage: string) => `${PROJECT}-${stage}-webhook-dispatch-failures`,
  /** The recurring sweep, in the webhook group (outside the `wh-*` names the dispatcher may create). */
  sweepSchedule: 'fan-out-sweep',
  /** Where the functions vault the signing secrets (functions/adapters/webhook-secrets.ts; test/infra holds the two equal). */
  secretPrefix: (stage: string) => `${PROJECT}/${stage}/webhooks/`,
};

/** The Secrets Manager keys of a stage that hold one secret each (the functions create them on first use). */
export type StageKey = 'cursor-key' | 'bootstrap-token-key' | 'node-signing-key';

export function secretName(stage: string, key: StageKey): string {
  return `${PROJECT}/${stage}/${key}`;
}

/** The prefix of the cloud credentials' secrets, one per credential, named at run time. */
export function credentialSecretPrefix(stage: string): string {
  return `${PROJECT}/${stage}/credentials/`;
}

/** The alarm on a run's failed executions. */
export function executionsFailedAlarmName(stage: string, run: Run): string {
  return `${stateMachineName(stage, run)}-executions-failed`;
}

/** The alarm on Resources entering Failed. */
export function resourcesFailedAlarmName(stage: string): string {
  return `${PROJECT}-${stage}-resources-failed`;
}

/** The SNS topic every alarm of the stage notifies. */
export function alarmTopicName(stage: string): string {
  return `${PROJECT}-${stage}-alarms`;
}

export function alarmTopicDisplayName(stage: string): string {
  return `Plexsphere ${stage} alarms`;
}

/** The CloudWatch namespace of the app's own metrics. It names no stage: stages sharing an account and region share its metrics. */
export const METRIC_NAMESPACE = 'Plexsphere';

// --- Descriptions ---------------------------------------------------------------------------------

export function stackDescription(stage: string, contents: string): string {
  return `Plexsphere broker (${stage}): ${contents}`;
}

/** `plexsphere <stage> <concern>: <what>` (function descriptions), or `plexsphere <stage>: <what>` without a concern. */
export function description(stage: string, what: string, concern?: string): string {
  return `${PROJECT} ${stage}${concern ? ` ${concern}` : ''}: ${what}`;
}

// --- Construct ids --------------------------------------------------------------------------------
// Logical ids are derived from these: changing one replaces the resource on the next deploy.

/** `provision-steps` → `ProvisionSteps`. */
function pascal(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export const ConstructIds = {
  /** An API function group's function (`auth` → `AuthApi`) and its HttpApi integration. */
  apiFunction: (group: string) => `${pascal(group)}Api`,
  apiIntegration: (group: string) => `${pascal(group)}Integration`,
  /** The web console's function (infra/constructs/console.ts) and its HttpApi integration. */
  consoleFunction: 'Console',
  consoleIntegration: 'ConsoleIntegration',
  /** A step group's function (`provision-steps` → `ProvisionSteps`). */
  stepFunction: (group: string) => pascal(group),
  stateMachine: (run: Run) => pascal(run),
  stateMachineLogs: (run: Run) => `${pascal(run)}Logs`,
  executionsFailedAlarm: (run: Run) => `${pascal(run)}ExecutionsFailed`,
} as const;
