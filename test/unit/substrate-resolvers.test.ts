import { MemoryAuditLog, MemoryEventLog, RecordingLeaseTimers } from '../support/lease-fakes.ts';
import { describe, expect, it } from 'vitest';
import { AwsSubstrateResolver } from '../../functions/adapters/aws/substrate-resolver.ts';
import type { Assignment, AssignmentStore } from '../../functions/core/assignments/assignment.ts';
import type { BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import type { Cloud } from '../../functions/core/catalog/clouds.ts';
import type { CloudProvider } from '../../functions/core/catalog/provider-keys.ts';
import type { CatalogStore } from '../../functions/core/catalog/store.ts';
import type { TenancyStore } from '../../functions/core/ports.ts';
import { createResource, type ProvisioningPorts } from '../../functions/core/provisioning.ts';
import { resolverFor } from '../../functions/core/substrate.ts';
import { CLOUDLESS_RECIPE, plexdInstallRecipe } from '../../functions/core/user-data.ts';
import { allowAll, IDS, projectAt, subjectOf } from '../support/assignment-ports.ts';
import { DEMO_KEYS, FakeClock, FakeOrchestrator, fakeCatalogAndVault, MemoryResources } from '../support/phase-fakes.ts';

// The substrate behind a Resource is chosen by its Cloud's provider: the aws resolver plans EC2
// launches, and a provider with no resolver is refused when the Resource is declared.

const VERSION_ID = '019100a0-1000-7000-8000-000000000001';
const BLUEPRINT_ID = '019100a0-1100-7000-8000-000000000001';

function version(template?: object): BlueprintVersion {
  return {
    id: VERSION_ID,
    blueprint_id: BLUEPRINT_ID,
    version: '1',
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: [],
    ...(template && { template: JSON.stringify(template) }),
    created_at: '2026-03-01T00:00:00.000Z',
  };
}

/** One project with an approved assignment of a credential on a cloud of `provider`. */
function world(provider: CloudProvider) {
  const clock = new FakeClock();
  const { vault, cloud: awsCloud, secretArn } = fakeCatalogAndVault(clock);
  const cloud: Cloud = provider === 'aws' ? awsCloud : { ...awsCloud, provider, endpoint: {} };
  const at = clock.now().toISOString();
  const project = projectAt(at);
  const assignment: Assignment = {
    id: '019100a0-1200-7000-8000-000000000001',
    project_id: IDS.PROJECT,
    domain_id: IDS.DOMAIN,
    cloud_credential_id: IDS.CREDENTIAL,
    credential_owner_id: IDS.OWNER,
    requested_by: IDS.REQUESTER,
    state: 'approved',
    created_at: at,
    updated_at: at,
    expires_at: at,
    handle: { secret_arn: secretArn, version_id: 'v1' },
  };
  const resources = new MemoryResources();
  const orchestrator = new FakeOrchestrator();
  const ports: ProvisioningPorts = {
    tenancy: { getProject: async (id: string) => (id === project.id ? project : undefined) } as Partial<TenancyStore> as TenancyStore,
    catalog: {
      getCloud: async (id: string) => (id === cloud.id ? cloud : undefined),
      getVersionById: async (id: string) => (id === VERSION_ID ? version() : undefined),
    } as Partial<CatalogStore> as CatalogStore,
    assignments: { findLive: async () => assignment } as Partial<AssignmentStore> as AssignmentStore,
    credentials: {
      getCredential: async (id) =>
        id === IDS.CREDENTIAL
          ? { id, cloud_id: cloud.id, owner_id: IDS.OWNER, status: 'active', secret_arn: secretArn, created_at: at }
          : undefined,
      credentialsOfCloud: async () => [],
    },
    resources,
    orchestrator,
    substrateResolvers: { aws: new AwsSubstrateResolver(vault) },
    leases: new RecordingLeaseTimers(),
    audit: new MemoryAuditLog(),
    events: new MemoryEventLog(),
    authorizer: allowAll,
    clock,
    config: { defaultLeaseSeconds: 7 * 24 * 3600 },
  };
  const declare = () =>
    createResource(ports, subjectOf(IDS.REQUESTER), IDS.PROJECT, {
      origin: 'provisioned',
      kind: 'node',
      blueprint_version_id: VERSION_ID,
      cloud_credential_id: IDS.CREDENTIAL,
    });
  return { cloud, vault, secretArn, resources, orchestrator, declare };
}

describe('a Resource on a cloud whose provider has no substrate resolver', () => {
  it('is refused at creation with 422 provider_not_supported naming the provider, and nothing is stored or started', async () => {
    const w = world('azure');
    await expect(w.declare()).rejects.toMatchObject({
      name: 'UnprocessableError',
      code: 'provider_not_supported',
      message: expect.stringContaining('"azure"'),
    });
    expect(w.resources.items.size).toBe(0);
    expect(w.orchestrator.started).toEqual([]);
  });

  it('is accepted on an aws cloud, where the same declaration starts its provision run', async () => {
    const w = world('aws');
    const { resource } = await w.declare();
    expect(resource.provisioning?.phase).toBe('Pending');
    expect(w.resources.items.size).toBe(1);
    expect(w.orchestrator.started).toEqual([`provision:${resource.id}-1`]);
  });

  it('resolverFor names the provider it has no resolver for', () => {
    const resolvers = { aws: new AwsSubstrateResolver(world('aws').vault) };
    expect(resolverFor(resolvers, { id: 'c-1', provider: 'aws' })).toBe(resolvers.aws);
    expect(() => resolverFor(resolvers, { id: 'c-2', provider: 'azure' })).toThrow(/provider "azure"/);
  });
});

describe('the aws substrate resolver', () => {
  it('plans a launch in the cloud region with the pinned credential, the default machine and the cloudless recipe', async () => {
    const { cloud, vault, secretArn } = world('aws');
    const plan = await new AwsSubstrateResolver(vault).resolve({ cloud, credential: { secret_arn: secretArn, version_id: 'v1' }, parameters: {} });
    expect(plan).toEqual({
      provider: 'aws',
      region: 'eu-west-1',
      target: {
        region: 'eu-west-1',
        endpoint: 'https://ec2.fake',
        credentials: { accessKeyId: DEMO_KEYS.access_key_id, secretAccessKey: DEMO_KEYS.secret_access_key },
        secretRef: { arn: secretArn, versionId: 'v1' },
      },
      machine: { imageId: 'ami-plexsphere-cloudless', instanceType: 't3.micro' },
      install: CLOUDLESS_RECIPE,
    });
  });

  it("takes the region, AMI and instance type from the Resource's parameters, and the recipe from the version", async () => {
    const { cloud, vault, secretArn } = world('aws');
    const plan = await new AwsSubstrateResolver(vault).resolve({
      cloud,
      credential: { secret_arn: secretArn, version_id: 'v1' },
      parameters: { region: 'us-west-2', ami: 'ami-0123456789abcdef0', instanceType: 'm7g.large' },
      version: version({ recipe: 'plexd-download', plexd_url: 'https://downloads.example.com/plexd', plexd_sha256: 'ab'.repeat(32) }),
    });
    expect(plan).toMatchObject({
      region: 'us-west-2',
      target: { region: 'us-west-2' },
      machine: { imageId: 'ami-0123456789abcdef0', instanceType: 'm7g.large' },
      install: plexdInstallRecipe('https://downloads.example.com/plexd', 'ab'.repeat(32)),
    });
  });

  it('refuses a cloud of another provider', async () => {
    const { cloud, vault, secretArn } = world('azure');
    expect(await new AwsSubstrateResolver(vault).resolve({ cloud, credential: { secret_arn: secretArn, version_id: 'v1' }, parameters: {} })).toEqual({
      refused: { code: 'cloud_provider_unsupported', message: `Cloud ${cloud.id} is not an aws cloud.` },
    });
  });
});

describe('the aws resolver and a stored http endpoint', () => {
  const httpCloud = (cloud: Cloud): Cloud => ({ ...cloud, endpoint: { region: 'eu-west-1', url: 'http://ec2.fake' } });

  it('refuses it as insecure_endpoint by default: the keys would travel in cleartext', async () => {
    const { cloud, vault, secretArn } = world('aws');
    const resolving = new AwsSubstrateResolver(vault).resolve({ cloud: httpCloud(cloud), credential: { secret_arn: secretArn, version_id: 'v1' }, parameters: {} });
    await expect(resolving).rejects.toMatchObject({ code: 'insecure_endpoint' });
  });

  it('uses it where the stack allows http endpoints (the embedded stack)', async () => {
    const { cloud, vault, secretArn } = world('aws');
    const plan = await new AwsSubstrateResolver(vault, { allowHttpEndpoints: true }).resolve({
      cloud: httpCloud(cloud),
      credential: { secret_arn: secretArn, version_id: 'v1' },
      parameters: {},
    });
    expect(plan).toMatchObject({ target: { endpoint: 'http://ec2.fake' } });
  });
});
