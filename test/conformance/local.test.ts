import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { startDynamo } from '../../local/dynamodb.ts';
import { startEc2 } from '../../local/ec2/service.ts';
import { startKms } from '../../local/kms/api.ts';
import { startScheduler } from '../../local/scheduler/api.ts';
import { startSecretsManager } from '../../local/secrets-manager/api.ts';
import { startStepFunctions } from '../../local/stepfunctions/api.ts';
import { DEMO_CLOUD_REGION, DEMO_CREDENTIAL_KEYS } from '../../scripts/seed-catalog.ts';
import { type Backend, useBackendEnv } from './backend.ts';
import { CONFORMANCE_SUITES } from './suites/index.ts';

// The conformance suites against the embedded local cloud: dynalite, and our Secrets Manager,
// EC2, Step Functions and Scheduler emulators. moto.test.ts runs the same suites against moto.

let backend: Backend | undefined;
const closers: Array<() => Promise<void>> = [];
const dataDir = mkdtempSync(join(tmpdir(), 'plexsphere-conformance-'));

beforeAll(async () => {
  const dynamo = await startDynamo({});
  closers.push(() => dynamo.close());
  const secrets = await startSecretsManager({ dataDir: join(dataDir, 'secrets') });
  closers.push(() => secrets.close());
  // Machines here run nothing: they are up as soon as they are launched, and down when stopped.
  const ec2 = await startEc2({
    dataDir: join(dataDir, 'ec2'),
    acceptedKeys: [{ accessKeyId: DEMO_CREDENTIAL_KEYS.access_key_id }],
    region: DEMO_CLOUD_REGION,
    runner: { launch: async () => ({ stop: async () => {} }) },
  });
  closers.push(() => ec2.close());
  const sfn = await startStepFunctions({
    invokeTask: async () => {
      throw new Error('no Task runs in the conformance suites');
    },
  });
  closers.push(() => sfn.close());
  // Nothing fires here: moto never does, so what is compared is what the schedules say.
  const scheduler = await startScheduler({
    dataDir: join(dataDir, 'scheduler'),
    invoke: async () => {
      throw new Error('no schedule fires in the conformance suites');
    },
  });
  closers.push(() => scheduler.close());
  const kms = await startKms({ dataDir: join(dataDir, 'kms') });
  closers.push(() => kms.close());
  backend = {
    name: 'local',
    dynamoEndpoint: dynamo.url,
    secretsEndpoint: secrets.url,
    ec2Endpoint: ec2.url,
    sfnEndpoint: sfn.url,
    schedulerEndpoint: scheduler.url,
    kmsEndpoint: kms.url,
    region: DEMO_CLOUD_REGION,
    ec2Credentials: { accessKeyId: DEMO_CREDENTIAL_KEYS.access_key_id, secretAccessKey: DEMO_CREDENTIAL_KEYS.secret_access_key },
  };
  useBackendEnv(backend);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  rmSync(dataDir, { recursive: true, force: true });
});

const current = (): Backend => {
  if (!backend) throw new Error('the local cloud did not start');
  return backend;
};

describe('conformance: embedded local cloud', () => {
  for (const suite of CONFORMANCE_SUITES) suite(current);
});
