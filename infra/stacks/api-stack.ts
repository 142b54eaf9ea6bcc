import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CONSOLE_ROUTES, FUNCTION_GROUPS, type FunctionGroup, ROUTES } from '../../functions/api/routes.ts';
import type { ApiEnvInput } from '../../functions/shared/env.ts';
import { apiEnvironment } from '../constructs/api-environment.ts';
import { type BrokerFunction, groupFunctions, stageLogs } from '../constructs/broker-function.ts';
import { type ConsoleEnv, consoleFunction } from '../constructs/console.ts';
import { reservedConcurrency, STAGE_THROTTLE, throttleRoutes } from '../constructs/edge-limits.ts';
import { grantLeaseTimers, leaseTimerEnvironment } from '../constructs/leases.ts';
import { AccessTokenKeys, type TokenKeyUser } from '../constructs/signing-key.ts';
import type { SecretGrantee } from '../constructs/stage-secrets.ts';
import { executionsArn, stateMachineArn } from '../constructs/state-machine-arns.ts';
import { acknowledgeWebhooks, grantLaneTimers, grantWebhookSecretsManage, webhookEnvironment } from '../constructs/webhooks.ts';
import { ConstructIds, httpApiName, RUNS } from '../naming.ts';
import type { DataStack } from './data-stack.ts';

export interface ApiStackProps extends StackProps {
  stage: string;
  data: DataStack;
}

interface GrantContext {
  stage: string;
  data: DataStack;
  fn: SecretGrantee & TokenKeyUser;
  tokenKeys: AccessTokenKeys;
}

/**
 * Groups that serve `user` routes verify access tokens with the public keys (kms:GetPublicKey) and
 * seal list cursors with the cursor key; the auth group alone also signs (kms:Sign).
 */
const withSigningKey = ({ data, fn, tokenKeys }: GrantContext, sign = false) => {
  data.secrets.grantCursorKeyLoadOrCreate(fn);
  if (sign) tokenKeys.grantSign(fn);
  else tokenKeys.grantVerify(fn);
};

/**
 * What each group may do beyond its table actions, from what its use cases call. Keyed by
 * FunctionGroup so that a new group cannot be deployed without deciding what it may do.
 */
/** Starting a Resource's runs, and stopping or reading its executions. */
function withPhaseArcs(ctx: GrantContext): void {
  Grant.addToPrincipal({
    grantee: ctx.fn,
    actions: ['states:StartExecution'],
    resourceArns: RUNS.map((r) => stateMachineArn(ctx.fn, ctx.stage, r)),
  });
  Grant.addToPrincipal({
    grantee: ctx.fn,
    actions: ['states:StopExecution', 'states:DescribeExecution'],
    resourceArns: RUNS.map((r) => executionsArn(ctx.fn, ctx.stage, r)),
  });
}

const GROUP_GRANTS: Record<FunctionGroup, (ctx: GrantContext) => void> = {
  auth: (ctx) => withSigningKey(ctx, true),
  tenancy: (ctx) => withSigningKey(ctx),
  catalog: (ctx) => {
    withSigningKey(ctx);
    ctx.data.secrets.grantCredentialCreate(ctx.fn);
  },
  assignments: (ctx) => {
    withSigningKey(ctx);
    // Approving pins the credential's current version.
    ctx.data.secrets.grantCredentialDescribe(ctx.fn);
    // A revoke with teardown stops the provision arcs of the assignment's Resources and starts their teardown arcs.
    withPhaseArcs(ctx);
    // A request arms the timer that expires it if nobody decides.
    grantLeaseTimers(ctx.fn, ctx.stage);
  },
  resources: (ctx) => {
    withSigningKey(ctx);
    // Declaring starts the provision arc; deleting stops it and starts the teardown arc.
    withPhaseArcs(ctx);
    // Declaring a provisioned Resource, and moving its lease, arm its lease timer.
    grantLeaseTimers(ctx.fn, ctx.stage);
  },
  events: (ctx) => withSigningKey(ctx),
  webhooks: (ctx) => {
    withSigningKey(ctx);
    // A new webhook's signing secret is vaulted; deleting the webhook deletes it.
    grantWebhookSecretsManage(ctx.fn, ctx.stage);
    // Redelivering by hand arms its lane's timer.
    grantLaneTimers(ctx.fn, ctx.stage);
  },
  // Node routes authenticate with NSKs, never access tokens: no signing key here.
  nodes: (ctx) => {
    ctx.data.secrets.grantNodeSigningKeyLoadOrCreate(ctx.fn);
    // Registration completes the Enrolling wait; a task token's grant names its state machine.
    Grant.addToPrincipal({
      grantee: ctx.fn,
      actions: ['states:SendTaskSuccess'],
      resourceArns: [stateMachineArn(ctx.fn, ctx.stage, 'provision')],
    });
  },
};

/**
 * The public HTTP API: one route per ROUTES entry, one function per FUNCTION_GROUPS entry; and the web
 * console on the same origin, one route per CONSOLE_ROUTES entry to its own function (why: constructs/console.ts).
 */
export class ApiStack extends Stack {
  readonly httpApi: HttpApi;
  readonly functions: Record<FunctionGroup, BrokerFunction<ApiEnvInput>>;
  /** The KMS keys that sign access tokens (auth group) and whose public halves the other groups read. */
  readonly tokenKeys: AccessTokenKeys;
  /** Serves the web console's page and files: no table, no secrets, no Cedar. */
  readonly console: BrokerFunction<ConsoleEnv>;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { stage, data } = props;
    const logs = stageLogs(stage);

    this.httpApi = new HttpApi(this, 'HttpApi', { apiName: httpApiName(stage), createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: logs.logRetention, removalPolicy: logs.logRemovalPolicy });
    const defaultStage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: STAGE_THROTTLE,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const reserved = reservedConcurrency(this);
    const tokenKeys = new AccessTokenKeys(this, 'AccessTokenKeys', stage);
    this.tokenKeys = tokenKeys;
    this.functions = groupFunctions<FunctionGroup, ApiEnvInput>(this, FUNCTION_GROUPS, {
      stage,
      id: ConstructIds.apiFunction,
      reserved,
      props: {
        ...logs,
        environment: apiEnvironment(stage, data, this.httpApi.apiEndpoint, {
          provision: stateMachineArn(this, stage, 'provision'),
          teardown: stateMachineArn(this, stage, 'teardown'),
        }),
      },
      wire: (group, fn) => {
        data.grantTableUse(fn, group);
        GROUP_GRANTS[group]({ stage, data, fn, tokenKeys });
      },
    });
    // Only the groups that arm timers (leases, request expiries) are told where they live (the others' composition refuses to arm).
    for (const group of ['resources', 'assignments'] as const) {
      for (const [name, value] of Object.entries(leaseTimerEnvironment(this, stage))) this.functions[group].fn.addEnvironment(name, value);
    }
    for (const [name, value] of Object.entries(webhookEnvironment(this, stage))) this.functions.webhooks.fn.addEnvironment(name, value);
    acknowledgeWebhooks(this, stage);
    const groups = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];

    const integrations = Object.fromEntries(
      groups.map((group) => [group, new HttpLambdaIntegration(ConstructIds.apiIntegration(group), this.functions[group].fn)]),
    ) as Record<FunctionGroup, HttpLambdaIntegration>;
    const routes = ROUTES.flatMap((route) =>
      this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integrations[route.group] }),
    );
    throttleRoutes(defaultStage, routes);

    this.console = consoleFunction(this, stage, logs, reserved.console);
    const consoleIntegration = new HttpLambdaIntegration(ConstructIds.consoleIntegration, this.console.fn);
    for (const route of CONSOLE_ROUTES) {
      this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: consoleIntegration });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'PUBLIC_URL of the broker (plexctl --api-url)' });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.httpApi.apiEndpoint}/console/`, description: 'The web console, on the API origin' });
  }
}

// JSON access logs; HTTP APIs have no X-Ray, so the request id here is what joins a log line to its function logs.
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    time: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);
