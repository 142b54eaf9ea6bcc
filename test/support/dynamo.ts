import { documentClient, Table } from '../../functions/adapters/dynamo/table.ts';
import { ensureTable, startDynamo } from '../../local/dynamodb.ts';

/** The SDK settings every test process uses against the local cloud. */
export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } as const;

export interface TestDynamo {
  url: string;
  /** A new, empty table with the broker's keys and indexes; returns its name. */
  freshTableName(prefix: string): Promise<string>;
  /** The same, wrapped in the adapters' Table. */
  freshTable(prefix: string): Promise<Table>;
  close(): Promise<void>;
}

/**
 * dynalite for tests that drive the DynamoDB adapters directly (no whole stack): the SDK of this
 * test process is pointed at it, and each test can take a table of its own.
 */
export async function startTestDynamo(): Promise<TestDynamo> {
  const dynamo = await startDynamo({});
  Object.assign(process.env, LOCAL_AWS_ENV, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.url });
  let tables = 0;
  const freshTableName = async (prefix: string) => {
    const name = `${prefix}-${++tables}`;
    await ensureTable(dynamo.url, name);
    return name;
  };
  return {
    url: dynamo.url,
    freshTableName,
    freshTable: async (prefix) => new Table(await freshTableName(prefix), documentClient()),
    close: () => dynamo.close(),
  };
}
