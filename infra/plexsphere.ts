import type { App, Environment } from 'aws-cdk-lib';
import { ApiEnvSchema } from '../functions/shared/env.ts';
import { acknowledgeLeaseTimers } from './constructs/leases.ts';
import { acknowledgeApi, acknowledgeWorkflows } from './nag-acknowledgements.ts';
import { stackDescription, stackName, stageTags } from './naming.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { WorkflowsStack } from './stacks/workflows-stack.ts';

export interface Plexsphere {
  stage: string;
  data: DataStack;
  api: ApiStack;
  workflows: WorkflowsStack;
}

/** The stage named by `-c stage=<name>` (cdk.json defaults it to dev), held to the functions' STAGE rule. */
export function stageOf(app: App): string {
  const stage: unknown = app.node.tryGetContext('stage') ?? 'dev';
  const parsed = ApiEnvSchema.shape.STAGE.safeParse(stage);
  if (!parsed.success) throw new Error(`Invalid stage ${JSON.stringify(stage)}: lower-case letters, digits and '-', at most 21.`);
  return parsed.data;
}

/**
 * Adds one stage of the broker to the app: data, then the API (which names the state machines by
 * their fixed names), then the workflows (which need the API's URL for the nodes' user data).
 */
export function addPlexsphere(app: App, stage: string, env?: Environment): Plexsphere {
  const common = { ...(env && { env }), tags: stageTags(stage) };
  const data = new DataStack(app, stackName(stage, 'data'), { ...common, stage, description: stackDescription(stage, 'table') });
  const api = new ApiStack(app, stackName(stage, 'api'), {
    ...common,
    stage,
    data,
    description: stackDescription(stage, 'HTTP API'),
  });
  const workflows = new WorkflowsStack(app, stackName(stage, 'workflows'), {
    ...common,
    stage,
    data,
    api,
    description: stackDescription(stage, 'state machines, step functions, reconciler, lease timers'),
  });
  // The table is named, not referenced: the order is declared.
  api.addStackDependency(data, 'the API functions use the table by name');
  workflows.addStackDependency(data, 'the step functions use the table by name');
  acknowledgeApi(api, stage);
  acknowledgeWorkflows(workflows, stage);
  for (const stack of [api, workflows]) acknowledgeLeaseTimers(stack, stage);
  return { stage, data, api, workflows };
}
