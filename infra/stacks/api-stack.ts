import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { FUNCTION_GROUPS, type FunctionGroup, ROUTES } from '../../functions/api/routes.ts';
import { ApiFunction } from '../constructs/api-function.ts';
import type { SecretGrantee, StageSecrets } from '../constructs/stage-secrets.ts';
import type { DataStack } from './data-stack.ts';

export interface ApiStackProps extends StackProps {
  stage: string;
  data: DataStack;
}

/**
 * Secrets access beyond reading the signing key, per group. Keyed by FunctionGroup so that a new
 * group cannot be deployed without deciding what it may do.
 */
const SECRET_GRANTS: Record<FunctionGroup, (secrets: StageSecrets, grantee: SecretGrantee) => void> = {
  auth: (secrets, grantee) => secrets.grantSigningKeyWrite(grantee),
  tenancy: () => {},
  catalog: (secrets, grantee) => secrets.grantCredentialCreate(grantee),
  assignments: () => {},
  resources: () => {},
  nodes: () => {},
};

/** The public HTTP API: one route per ROUTES entry, one function per FUNCTION_GROUPS entry. */
export class ApiStack extends Stack {
  readonly httpApi: HttpApi;
  readonly functions: Record<FunctionGroup, ApiFunction>;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { stage, data } = props;
    const dev = stage === 'dev';
    const logRetention = dev ? RetentionDays.ONE_WEEK : RetentionDays.THREE_MONTHS;
    const logRemovalPolicy = dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.httpApi = new HttpApi(this, 'HttpApi', { apiName: `plexsphere-${stage}`, createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: logRemovalPolicy });
    this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const groups = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];
    this.functions = Object.fromEntries(
      groups.map((group) => {
        const def = FUNCTION_GROUPS[group];
        const fn = new ApiFunction(this, `${pascal(group)}Api`, {
          entry: def.entry,
          description: `plexsphere ${stage} ${group}: ${def.description}`,
          logRetention,
          logRemovalPolicy,
          environment: {
            STAGE: stage,
            TABLE_NAME: data.table.tableName,
            PUBLIC_URL: this.httpApi.apiEndpoint,
            SIGNING_KEY_SECRET_ID: data.secrets.signingKeyName,
            CREDENTIAL_SECRET_PREFIX: data.secrets.credentialPrefix,
          },
        });
        data.table.grantReadWriteData(fn.fn);
        data.secrets.grantSigningKeyRead(fn.fn);
        SECRET_GRANTS[group](data.secrets, fn.fn);
        return [group, fn];
      }),
    ) as Record<FunctionGroup, ApiFunction>;

    const integrations = Object.fromEntries(
      groups.map((group) => [group, new HttpLambdaIntegration(`${pascal(group)}Integration`, this.functions[group].fn)]),
    ) as Record<FunctionGroup, HttpLambdaIntegration>;
    for (const route of ROUTES) {
      this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integrations[route.group] });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'PUBLIC_URL of the broker (plexctl --api-url)' });
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

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
