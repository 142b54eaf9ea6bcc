import { type CfnElement, type Stack, Validations } from 'aws-cdk-lib';
import { credentialSecretPrefix, RUNS, stateMachineName, tableName } from './naming.ts';
import type { WorkflowsStack } from './stacks/workflows-stack.ts';

// Each cdk-nag (AwsSolutions) finding this app accepts, with its reason. test/infra/nag.test.ts runs
// the pack: a finding not acknowledged here fails it. IAM5 is acknowledged per wildcard, never as a rule.

const ARN = (service: string, resource: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
const wildcard = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;

function common(stage: string): { id: string; reason: string }[] {
  return [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The AWS managed basic execution policy grants only log writes (CreateLogGroup, CreateLogStream, PutLogEvents); ' +
        'each function writes to its own log group with retention.',
    },
    {
      id: 'AwsSolutions-L1',
      reason:
        'The Lambda runtime is pinned to nodejs24.x, the Node line the tests run on (infra/node-line.ts). It is the newest ' +
        'runtime aws-cdk-lib knows today; when an upgrade knows a newer one, moving runtime and tests together is a deliberate change.',
    },
    { id: wildcard('*'), reason: 'X-Ray trace upload and Step Functions log delivery have no resource-level permissions.' },
    {
      id: wildcard(`${ARN('dynamodb', `table/${tableName(stage)}`)}/index/*`),
      reason: 'The stage table`s own global secondary indexes (list queries); the table adapter reads no other table.',
    },
    {
      id: wildcard(ARN('secretsmanager', `secret:${credentialSecretPrefix(stage)}*`)),
      reason: 'One secret per cloud credential, created at run time under the stage`s credential prefix: the name is known only by prefix.',
    },
    ...RUNS.map((run) => ({
      id: wildcard(ARN('states', `execution:${stateMachineName(stage, run)}:*`)),
      reason: `Executions of the stage's ${run} machine are named per run (<resource id>-<generation>); only that machine's.`,
    })),
  ];
}

export function acknowledgeApi(stack: Stack, stage: string): void {
  for (const ack of common(stage)) Validations.of(stack).acknowledge(ack);
  Validations.of(stack).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      'Authorization happens in the functions, per the route table: access tokens (JWTs verified against the stage signing key) ' +
      'with Cedar decisions, NSK bearer credentials on node routes, and the public routes of the device sign-in flow and node ' +
      'registration. An API Gateway authorizer could not express the node and session schemes and would split the check in two.',
  });
}

export function acknowledgeWorkflows(stack: WorkflowsStack, stage: string): void {
  for (const ack of common(stage)) Validations.of(stack).acknowledge(ack);
  for (const step of Object.values(stack.steps)) {
    const id = stack.resolve(stack.getLogicalId(step.fn.node.defaultChild as CfnElement)) as string;
    Validations.of(stack).acknowledge({
      id: wildcard(`<${id}.Arn>:*`),
      reason: 'grantInvoke adds the function`s versions and aliases (`:*`) beside the function, for its state machines only.',
    });
  }
}
