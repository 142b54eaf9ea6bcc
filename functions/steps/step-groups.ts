// The Lambda functions behind the state machines' Task states, as data: infra reads it to build
// one function per group, and the local cloud to route Task invocations. Each Task passes a
// `step` name; a group's handler runs that step.

export type StepGroup = 'provision-steps' | 'substrate-steps';

export interface StepGroupDef {
  entry: string;
  /** The ASL substitution that names this group's function ARN. */
  substitution: string;
  steps: readonly string[];
  description: string;
}

export const STEP_GROUPS: Record<StepGroup, StepGroupDef> = {
  'provision-steps': {
    entry: 'functions/steps/provision-steps.handler.ts',
    substitution: 'ProvisionStepsFunctionArn',
    steps: ['await-enrolment', 'mark-ready', 'mark-failed', 'drain-node'],
    description: 'Phase bookkeeping: enrolment wait, Ready, Failed, node drain',
  },
  'substrate-steps': {
    entry: 'functions/steps/substrate-steps.handler.ts',
    substitution: 'SubstrateStepsFunctionArn',
    steps: ['apply-substrate', 'check-substrate', 'terminate-substrate'],
    description: 'The substrate (loads the EC2 client): launch, watch, terminate',
  },
};

/** The function the lease timers invoke (not a Task of any state machine). Infra and the local cloud both read it. */
export const LEASE_EXPIRY_FUNCTION = { name: 'lease-expiry', entry: 'functions/steps/lease-expiry.handler.ts' } as const;

/**
 * The webhook dispatcher (not a Task of any state machine): the table's change stream wakes it up
 * with new event items, its timers invoke it with a lane or a domain, and the sweep every few
 * minutes. Infra and the local cloud both read it.
 */
export const WEBHOOK_DISPATCH_FUNCTION = { name: 'webhook-dispatch', entry: 'functions/steps/webhook-dispatch.handler.ts' } as const;

/** The dispatcher's sweep: how often it runs (a recurring schedule on AWS, a timer on the embedded stack) and what it is sent. */
export const WEBHOOK_SWEEP = { everyMinutes: 5, event: { sweep: true } } as const;

/** The state machines, with the substitutions each ASL file uses besides the function ARNs. */
export const STATE_MACHINES = {
  provision: { file: 'statemachines/provision.asl.json' },
  teardown: { file: 'statemachines/teardown.asl.json' },
} as const;

export const TIMING_SUBSTITUTIONS = ['SubstratePollSeconds', 'DrainPollSeconds', 'EnrolTimeoutSeconds'] as const;

/**
 * The info-level log message a step handler writes when mark-failed has moved a Resource to
 * Failed; the CDK app's alarm on failed Resources counts these lines.
 */
export const RESOURCE_FAILED_LOG_MESSAGE = 'resource entered Failed';
