import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Table } from '../functions/adapters/dynamo/table.ts';
import { resetEnvCache } from '../functions/shared/env.ts';
import { setDeps } from '../functions/shared/composition.ts';
import { type SeedReport, seedFixtures } from '../scripts/seed.ts';
import { ensureTable, startDynamo } from './dynamodb.ts';
import { startGateway } from './gateway.ts';
import { startSecretsManager } from './secrets-manager.ts';

export interface StackOptions {
  /** Where the local cloud keeps its data; omit for a throwaway in-memory stack. */
  dataDir: string;
  /** Gateway port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Extra function environment (tests shorten intervals). */
  env?: Record<string, string>;
}

export interface RunningStack {
  url: string;
  port: number;
  dynamoUrl: string;
  secretsUrl: string;
  tableName: string;
  seed: SeedReport;
  gateway: Awaited<ReturnType<typeof startGateway>>['gateway'];
  close(): Promise<void>;
}

export const LOCAL_TABLE = 'plexsphere-local';

/**
 * Boots the embedded local cloud in this process: DynamoDB (dynalite), Secrets Manager, and the
 * gateway playing API Gateway + Lambda. The functions reach the services through the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, exactly as they would reach LocalStack or AWS.
 */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  mkdirSync(opts.dataDir, { recursive: true });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dynamo = await startDynamo({ dataDir: join(opts.dataDir, 'dynamodb') });
  const secrets = await startSecretsManager({ dataDir: join(opts.dataDir, 'secrets') });
  const gatewayPort = opts.port ?? 8080;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    // Node 20 is supported here until the SDK's 2027 releases; the notice is noise on every start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    STAGE: 'local',
    TABLE_NAME: LOCAL_TABLE,
    SIGNING_KEY_SECRET_ID: 'plexsphere/local/token-signing-key',
    CREDENTIAL_SECRET_PREFIX: 'plexsphere/local/credentials/',
    DEVICE_POLL_INTERVAL_SECONDS: '1',
    ...opts.env,
  });
  await ensureTable(dynamo.url, LOCAL_TABLE);
  const seed = await seedFixtures(new Table(LOCAL_TABLE));
  // PUBLIC_URL needs the bound port, so the gateway starts before the functions first run.
  const gw = await startGateway({ port: gatewayPort, ...(opts.host && { host: opts.host }) });
  process.env.PUBLIC_URL = opts.env?.PUBLIC_URL ?? gw.url;
  resetEnvCache();
  setDeps(undefined);
  return {
    url: gw.url,
    port: gw.port,
    dynamoUrl: dynamo.url,
    secretsUrl: secrets.url,
    tableName: LOCAL_TABLE,
    seed,
    gateway: gw.gateway,
    async close() {
      await gw.close();
      await secrets.close();
      await dynamo.close();
      setDeps(undefined);
    },
  };
}
