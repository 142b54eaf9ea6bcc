import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { Table } from '../../functions/adapters/dynamo/table.ts';
import { ensureTable } from '../../local/dynamodb.ts';

/**
 * One implementation of the AWS services the adapters talk to: the embedded local cloud, or moto.
 * The conformance suites run the same tests against each; a discrepancy fails on one backend only.
 */
export interface Backend {
  name: 'local' | 'moto';
  dynamoEndpoint: string;
  secretsEndpoint: string;
  ec2Endpoint: string;
  sfnEndpoint: string;
  schedulerEndpoint: string;
  kmsEndpoint: string;
  region: string;
  /** Keys the backend's EC2 accepts: our local EC2 only the demo credential's, moto any. */
  ec2Credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A suite of conformance tests: a describe factory run once per backend. */
export type ConformanceSuite = (backend: () => Backend) => void;

const CREDENTIALS = { accessKeyId: 'conformance', secretAccessKey: 'conformance' };

export function dynamoClient(backend: Backend): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: backend.dynamoEndpoint, region: backend.region, credentials: CREDENTIALS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

let tables = 0;

/** A new, empty table created as the local cloud creates it (keys and both list indexes), wrapped in the adapters' Table. */
export async function freshTable(backend: Backend, client: DynamoDBDocumentClient, prefix: string): Promise<Table> {
  const name = `conformance-${prefix}-${process.pid}-${++tables}`;
  await ensureTable(backend.dynamoEndpoint, name);
  return new Table(name, client);
}

export function secretsClient(backend: Backend): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: backend.secretsEndpoint, region: backend.region, credentials: CREDENTIALS });
}

export function sfnClient(backend: Backend): SFNClient {
  return new SFNClient({ endpoint: backend.sfnEndpoint, region: backend.region, credentials: CREDENTIALS });
}

export function schedulerClient(backend: Backend): SchedulerClient {
  return new SchedulerClient({ endpoint: backend.schedulerEndpoint, region: backend.region, credentials: CREDENTIALS });
}

export function kmsClient(backend: Backend): KMSClient {
  return new KMSClient({ endpoint: backend.kmsEndpoint, region: backend.region, credentials: CREDENTIALS });
}

/** The SDK settings of a conformance test process: ensureTable and friends take region and keys from here. */
export function useBackendEnv(backend: Backend): void {
  Object.assign(process.env, {
    AWS_REGION: backend.region,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  });
}

/**
 * A fresh table for the suite around the call, with its own client: created before the suite's
 * other beforeAll hooks run (call it first), destroyed after. Read it through the getter.
 */
export function suiteTable(backend: () => Backend, prefix: string): () => Table {
  let client: DynamoDBDocumentClient | undefined;
  let table: Table | undefined;
  beforeAll(async () => {
    client = dynamoClient(backend());
    table = await freshTable(backend(), client, prefix);
  });
  afterAll(() => client?.destroy());
  return () => {
    if (!table) throw new Error(`the ${prefix} table was not created`);
    return table;
  };
}
