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
import { LOCAL_IMAGE_OWNER } from '../../local/ec2/images.ts';
import { AMAZON_IMAGE_OWNER, DEFAULT_AMI_PARAMETER, seedAwsEc2Blueprint } from '../../scripts/seed-catalog.ts';
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

/** A plexd build's sha256, as a stage seed pins it (PLEXD_DOWNLOAD_SHA256). */
const PIN = 'c0ffee00'.repeat(8);

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
    await seedAwsEc2Blueprint(table, { created: [], kept: [] }, { plexdUrl: 'https://downloads.example.com/plexd', plexdSha256: PIN });
    const { version } = await seededVersion(table);
    if (!version) throw new Error('no version seeded');

    const defaults = machineTemplate(version.template, validateParameters(version.parameter_schema, {}));
    expect(defaults).toMatchObject({ image_id: `resolve:ssm:${DEFAULT_AMI_PARAMETER}`, instance_type: 't3.small' });
    const chosen = machineTemplate(version.template, validateParameters(version.parameter_schema, { ami: 'ami-0123456789abcdef0', instanceType: 'm7i.large' }));
    expect(chosen).toMatchObject({ image_id: 'ami-0123456789abcdef0', instance_type: 'm7i.large' });
    const ubuntu = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';
    const viaParameter = machineTemplate(version.template, validateParameters(version.parameter_schema, { ssmParameterName: ubuntu }));
    expect(viaParameter.image_id).toBe(`resolve:ssm:${ubuntu}`);

    const boot = { apiUrl: 'https://api.example.com', projectId: FIXTURES.domain.id, resourceHandle: 'r-1', bootstrapToken: 'psb_dev_x_node_y' };
    const userData = renderCloudInit(boot, recipeFor(defaults));
    expect(userData).toContain(`https://downloads.example.com/plexd`);
    expect(userData).toContain(`"${PIN}"`);
    expect(userData).toContain(PLEXD_BINARY);
    expect(parseCloudInit(userData)).toEqual(boot);
  });

  it('pins plexd: an unpinned version is refused at provisioning, a bad pin or an http download at seeding', async () => {
    const table = await freshTable();
    await seedAwsEc2Blueprint(table, { created: [], kept: [] }, { plexdUrl: 'https://downloads.example.com/plexd' });
    const { version } = await seededVersion(table);
    expect(() => recipeFor(machineTemplate(version?.template))).toThrow(expect.objectContaining({ code: 'plexd_unpinned' }));
    const other = await freshTable();
    await expect(seedAwsEc2Blueprint(other, { created: [], kept: [] }, { plexdUrl: 'https://downloads.example.com/plexd', plexdSha256: 'abc' })).rejects.toMatchObject({
      code: 'plexd_unpinned',
    });
    await expect(seedAwsEc2Blueprint(other, { created: [], kept: [] }, { plexdUrl: 'http://downloads.example.com/plexd', plexdSha256: PIN })).rejects.toMatchObject({
      code: 'insecure_endpoint',
    });
  });

  it("constrains what a Resource may ask for: allowlisted sizes, AMI ids, AWS public SSM parameters, the Cloud's regions", async () => {
    const table = await freshTable();
    await seedAwsEc2Blueprint(table, { created: [], kept: [] });
    const { version } = await seededVersion(table);
    if (!version) throw new Error('no version seeded');
    const context = { cloudRegions: ['eu-west-1', 'us-east-1'] };
    const refused = (parameters: Record<string, unknown>) => {
      try {
        validateParameters(version.parameter_schema, parameters, context);
      } catch (err) {
        return ((err as { extra: { errors: Array<{ name: string }> } }).extra.errors ?? []).map((e) => e.name);
      }
      return [];
    };
    expect(refused({ region: 'us-east-1', instanceType: 't3.large', ami: 'ami-0123abcd' })).toEqual([]);
    expect(refused({ ssmParameterName: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' })).toEqual([]);
    for (const instanceType of ['m7g.large', 'p5.48xlarge', 'T3.SMALL']) expect(refused({ instanceType })).toEqual(['instanceType']);
    for (const ami of ['ami-xyz', 'ami-0123', 'ami-0123456789abcdef0 ', 'resolve:ssm:/golden']) expect(refused({ ami })).toEqual(['ami']);
    for (const ssmParameterName of ['/golden/plexd-node', '/aws/service/', '/aws/service/../../golden/ami', '/aws/service/./x', '/aws/servicex/a', '/aws/service//a']) {
      expect(refused({ ssmParameterName }), ssmParameterName).toEqual(['ssmParameterName']);
    }
    expect(refused({ region: 'ap-south-1' })).toEqual(['region']);
    expect(refused({ region: 'ap-south-1', instanceType: 'x1.huge', ami: 'x' })).toEqual(['region', 'instanceType', 'ami']);
    expect(version.parameter_schema.every((p) => p.description)).toBe(true);
    // Amazon's AMIs, and the local EC2 emulator's own (its DescribeImages answers for them).
    expect(machineTemplate(version.template).allowed_image_owners).toEqual([AMAZON_IMAGE_OWNER, LOCAL_IMAGE_OWNER]);
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
