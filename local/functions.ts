import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LEASE_EXPIRY_FUNCTION, STEP_GROUPS, type StepGroup, WEBHOOK_DISPATCH_FUNCTION } from '../functions/steps/step-groups.ts';

// Plays Lambda for what invokes functions by ARN: the Task states (a function ARN names a step
// group), the lease timers (the lease-expiry function), and the change feed and lane timers (the
// webhook dispatcher). Each handler module is loaded once and called in process.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNT = '000000000000';

/** The function the lease timers invoke. */
export const LEASE_EXPIRY = LEASE_EXPIRY_FUNCTION.name;

/** The function the table's change feed and the webhook lane timers invoke. */
export const WEBHOOK_DISPATCH = WEBHOOK_DISPATCH_FUNCTION.name;

/** Every local function: one per step group, the lease-expiry function and the webhook dispatcher. */
export type LocalFunction = StepGroup | typeof LEASE_EXPIRY | typeof WEBHOOK_DISPATCH;

/** Each function's handler module. */
export const LOCAL_FUNCTION_ENTRIES: Record<LocalFunction, string> = {
  ...(Object.fromEntries(Object.entries(STEP_GROUPS).map(([group, def]) => [group, def.entry])) as Record<StepGroup, string>),
  [LEASE_EXPIRY]: LEASE_EXPIRY_FUNCTION.entry,
  [WEBHOOK_DISPATCH]: WEBHOOK_DISPATCH_FUNCTION.entry,
};

export function stepFunctionArn(fn: LocalFunction, region = 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${ACCOUNT}:function:plexsphere-local-${fn}`;
}

type Handler = (event: unknown) => Promise<unknown>;

export class LocalStepFunctions {
  private readonly handlers = new Map<LocalFunction, Promise<Handler>>();
  readonly invocations: Partial<Record<LocalFunction, number>> = {};

  private functionOf(arn: string): LocalFunction {
    const name = arn.split(':').pop() ?? '';
    const fn = (Object.keys(LOCAL_FUNCTION_ENTRIES) as LocalFunction[]).find((f) => name === `plexsphere-local-${f}`);
    if (!fn) throw Object.assign(new Error(`No local function ${arn}`), { name: 'Lambda.ResourceNotFoundException' });
    return fn;
  }

  async invoke(arn: string, input: unknown): Promise<unknown> {
    const fn = this.functionOf(arn);
    let handler = this.handlers.get(fn);
    if (!handler) {
      handler = import(pathToFileURL(resolve(ROOT, LOCAL_FUNCTION_ENTRIES[fn])).href).then((m: { handler: Handler }) => m.handler);
      this.handlers.set(fn, handler);
    }
    this.invocations[fn] = (this.invocations[fn] ?? 0) + 1;
    return (await handler)(input);
  }
}
