import { afterAll, beforeAll, describe } from 'vitest';
import { type MotoServer, startMoto } from '../support/moto.ts';
import { type Backend, useBackendEnv } from './backend.ts';
import { describeTransactions } from './dynamo-transactions-suite.ts';
import { ensureTable } from '../../local/dynamodb.ts';
import { CONFORMANCE_SUITES } from './suites/index.ts';

// The conformance suites against moto_server, an implementation of the same services we did not
// write. Where moto departs from AWS's documentation the test says so and expects moto's answer
// explicitly for this backend.

let moto: MotoServer | undefined;
let backend: Backend | undefined;

beforeAll(async () => {
  moto = await startMoto();
  backend = {
    name: 'moto',
    dynamoEndpoint: moto.url,
    secretsEndpoint: moto.url,
    ec2Endpoint: moto.url,
    sfnEndpoint: moto.url,
    schedulerEndpoint: moto.url,
    kmsEndpoint: moto.url,
    region: 'us-east-1',
    ec2Credentials: { accessKeyId: 'AKIACONFORMANCE00001', secretAccessKey: 'conformance' },
  };
  useBackendEnv(backend);
});

afterAll(async () => {
  await moto?.close();
});

const current = (): Backend => {
  if (!backend) throw new Error('moto_server did not start');
  return backend;
};

describe('conformance: moto', () => {
  for (const suite of CONFORMANCE_SUITES) suite(current);
});

let tables = 0;
// moto's gaps against AWS's documentation of transactions, each checked to be still there (it.fails);
// the two isolation gaps show only under some thread timings (moto restores a deep copy of the
// table when a transaction fails, with no lock), so their tests are skipped on moto.
describeTransactions(
  'moto',
  async () => ({
    url: current().dynamoEndpoint,
    freshTableName: async (prefix) => {
      const name = `${prefix}-${process.pid}-${++tables}`;
      await ensureTable(current().dynamoEndpoint, name);
      return name;
    },
    close: async () => {},
  }),
  { deviations: ['client-request-token', 'empty-list', 'entry-without-action', 'size-limit', 'get-projection', 'get-isolation', 'serialisation'] },
);
