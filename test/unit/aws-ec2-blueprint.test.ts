import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalogStore } from '../../functions/adapters/catalog-store.ts';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import { validateParameters } from '../../functions/core/parameters.ts';
import { machineTemplate } from '../../functions/adapters/aws/substrate-resolver.ts';
import { parseCloudInit, PLEXD_BINARY, recipeFor, renderCloudInit } from '../../functions/core/user-data.ts';
import { startSecretsManager } from '../../local/secrets-manager/api.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { DEFAULT_AMI_PARAMETER, seedAwsEc2Blueprint } from '../../scripts/seed-catalog.ts';
import { seedFixtures } from '../../scripts/seed.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// The seeded aws-ec2-instance blueprint, from its stored version to the machine it asks for and
// the user data that machine boots with (the user data itself is checked in test/infra).
let dynamo: TestDynamo;
let secrets: Awaited<ReturnType<typeof startSecretsManager>>;
const secretsDir = mkdtempSync(join(tmpdir(), 'blueprint-secrets-'));
const freshTable = () => dynamo.freshTable('blueprints');

beforeAll(async () => {
  [dynamo, secrets] = await Promise.all([startTestDynamo(), startSecretsManager({ dataDir: secretsDir })]);
  Object.assign(process.env, { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url, CREDENTIAL_SECRET_PREFIX: 'plexsphere/test/credentials/' });
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), secrets?.close()]);
  rmSync(secretsDir, { recursive: true, force: true });
});

async function seededVersion(table: Table) {
  const store = new DynamoCatalogStore(table);
  const blueprint = await store.getBlueprint(FIXTURES.awsEc2Blueprint.id);
  const versions = blueprint ? await store.listVersions(blueprint.id) : [];
  return { blueprint, version: versions[0] };
}

describe('the aws-ec2-instance blueprint', () => {
  it('is seeded once, with its four parameters, and a second seed keeps it', async () => {
    const table = await freshTable();
    const first = { created: [] as string[], kept: [] as string[] };
    await seedAwsEc2Blueprint(table, first, { plexdUrl: 'https://downloads.example.com/plexd' });
    expect(first.created).toEqual(['blueprint aws-ec2-instance', 'blueprint version aws-ec2-instance v1']);
    const again = { created: [] as string[], kept: [] as string[] };
    await seedAwsEc2Blueprint(table, again);
    expect(again.created).toEqual([]);

    const { blueprint, version } = await seededVersion(table);
    expect(blueprint).toMatchObject({ slug: 'aws-ec2-instance', status: 'active' });
    expect(version?.parameter_schema.map((p) => p.name)).toEqual(['region', 'instanceType', 'ami', 'ssmParameterName']);
  });

  it('launches the AMI the SSM parameter names by default, an explicit AMI when given, and downloads plexd', async () => {
    const table = await freshTable();
    await seedAwsEc2Blueprint(table, { created: [], kept: [] }, { plexdUrl: 'https://downloads.example.com/plexd' });
    const { version } = await seededVersion(table);
    if (!version) throw new Error('no version seeded');

    const defaults = machineTemplate(version.template, validateParameters(version.parameter_schema, {}));
    expect(defaults).toMatchObject({ image_id: `resolve:ssm:${DEFAULT_AMI_PARAMETER}`, instance_type: 't3.small' });
    const chosen = machineTemplate(version.template, validateParameters(version.parameter_schema, { ami: 'ami-0123456789abcdef0', instanceType: 'm7g.large' }));
    expect(chosen).toMatchObject({ image_id: 'ami-0123456789abcdef0', instance_type: 'm7g.large' });
    const viaParameter = machineTemplate(version.template, validateParameters(version.parameter_schema, { ssmParameterName: '/golden/plexd-node' }));
    expect(viaParameter.image_id).toBe('resolve:ssm:/golden/plexd-node');

    const boot = { apiUrl: 'https://api.example.com', projectId: FIXTURES.domain.id, resourceHandle: 'r-1', bootstrapToken: 'psb_dev_x_node_y' };
    const userData = renderCloudInit(boot, recipeFor(defaults));
    expect(userData).toContain(`https://downloads.example.com/plexd`);
    expect(userData).toContain(PLEXD_BINARY);
    expect(parseCloudInit(userData)).toEqual(boot);
  });

  it('is registered for stages other than the embedded local stack only', async () => {
    const local = await freshTable();
    await seedFixtures(local, { stage: 'local' });
    expect((await seededVersion(local)).blueprint).toBeUndefined();
    const deployed = await freshTable();
    await seedFixtures(deployed, { stage: 'dev' });
    expect((await seededVersion(deployed)).blueprint?.slug).toBe('aws-ec2-instance');
  });
});
