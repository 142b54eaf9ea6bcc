import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STEP_GROUPS, type StepGroup } from '../functions/steps/step-groups.ts';

// Plays Lambda for the Task states: a function ARN names a step group, whose handler module is
// loaded once and called in process.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNT = '000000000000';

export function stepFunctionArn(group: StepGroup, region = 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${ACCOUNT}:function:plexsphere-local-${group}`;
}

type StepHandler = (event: unknown) => Promise<unknown>;

export class LocalStepFunctions {
  private readonly handlers = new Map<string, Promise<StepHandler>>();
  readonly invocations: Partial<Record<StepGroup, number>> = {};

  private groupOf(arn: string): StepGroup {
    const name = arn.split(':').pop() ?? '';
    const group = (Object.keys(STEP_GROUPS) as StepGroup[]).find((g) => name === `plexsphere-local-${g}`);
    if (!group) throw Object.assign(new Error(`No local function ${arn}`), { name: 'Lambda.ResourceNotFoundException' });
    return group;
  }

  async invoke(arn: string, input: unknown): Promise<unknown> {
    const group = this.groupOf(arn);
    let handler = this.handlers.get(group);
    if (!handler) {
      handler = import(pathToFileURL(resolve(ROOT, STEP_GROUPS[group].entry)).href).then((m: { handler: StepHandler }) => m.handler);
      this.handlers.set(group, handler);
    }
    this.invocations[group] = (this.invocations[group] ?? 0) + 1;
    return (await handler)(input);
  }
}
