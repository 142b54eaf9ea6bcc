import * as z from 'zod';
import { DynamoCatalogStore } from '../functions/adapters/catalog-store.ts';
import { keys } from '../functions/adapters/dynamo/keys.ts';
import type { Table } from '../functions/adapters/dynamo/table.ts';
import type { MachineTemplate } from '../functions/adapters/aws/substrate-resolver.ts';
import { SecretsManagerVault } from '../functions/adapters/secrets-vault.ts';
import { type BlueprintParameter, parseParameterSchema } from '../functions/core/catalog/parameter-schema.ts';
import type { CredentialSecret } from '../functions/core/catalog/provider-keys.ts';
import { type Clock, systemClock } from '../functions/core/clock.ts';
import { ConflictError } from '../functions/core/errors.ts';
import { IdSchema, newId } from '../functions/core/ids.ts';
import { plexdInstallRecipe } from '../functions/core/user-data.ts';
import type { Vault } from '../functions/core/vault.ts';
import { LOCAL_IMAGE_OWNER } from '../local/ec2/images.ts';
import { FIXTURES } from './fixtures.ts';

/**
 * The demo credential's keys. Dev-only: the local EC2 emulator accepts exactly these and nothing
 * else, and no real account knows them.
 */
export const DEMO_CREDENTIAL_KEYS = {
  access_key_id: 'AKIDEMOLOCAL0000000',
  secret_access_key: 'plexsphere-local-dev-only-demo-secret-0000',
} as const;

export const DEFAULT_LOCAL_EC2_ENDPOINT = 'http://127.0.0.1:4566';
export const DEMO_CLOUD_REGION = 'us-east-1';

const SEEDED_AT = '2026-01-01T00:00:00.000Z';
// The dev credential is meant to outlive any local stack.
const DEMO_CREDENTIAL_EXPIRES_AT = '2099-12-31T23:59:59.000Z';

export interface SeedCatalogOptions {
  vault?: Vault;
  clock?: Clock;
  credentialSecretPrefix?: string;
  /** The local EC2 emulator's URL; defaults to LOCAL_EC2_ENDPOINT, then DEFAULT_LOCAL_EC2_ENDPOINT. */
  ec2Endpoint?: string;
}

const ClaimSchema = z.object({ id: IdSchema });

/**
 * An id minted once, on the first boot: the claim item holding it is written before the entity,
 * so a crash in between is finished by the next boot with the same id.
 */
export async function seedClaimId(table: Table, name: string, clock: Clock): Promise<string> {
  const key = keys.seedClaim(name);
  const existing = await table.get(key, ClaimSchema);
  if (existing) return existing.id;
  const id = newId(clock.now().getTime());
  if (await table.putNew({ ...key, id })) return id;
  // Another process seeded concurrently: use its id.
  const winner = await table.get(key, ClaimSchema);
  if (!winner) throw new Error(`seed claim ${name} vanished`);
  return winner.id;
}

/** Seeds the tutorial's catalog: the demo Cloud, its demo-credential, and the cloudless blueprint. */
export async function seedCatalog(table: Table, report: { created: string[]; kept: string[] }, opts: SeedCatalogOptions = {}): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const store = new DynamoCatalogStore(table);
  const ec2Url = opts.ec2Endpoint ?? process.env.LOCAL_EC2_ENDPOINT ?? DEFAULT_LOCAL_EC2_ENDPOINT;

  // The demo cloud (fixed id).
  const c = FIXTURES.cloud;
  const cloud = await store.getCloud(c.id);
  if (!cloud) {
    await store.createCloud({
      id: c.id,
      display_name: c.displayName,
      slug: c.slug,
      provider: c.provider,
      endpoint: { region: DEMO_CLOUD_REGION, url: ec2Url },
      region_defaults: { region: DEMO_CLOUD_REGION },
      external_id: 'local-ec2',
      created_at: SEEDED_AT,
      updated_at: SEEDED_AT,
    });
    report.created.push('cloud demo-cloud');
  } else if ((opts.ec2Endpoint !== undefined || process.env.LOCAL_EC2_ENDPOINT !== undefined) && cloud.endpoint.url !== ec2Url) {
    // The local EC2 emulator may come back on another port: follow it.
    await store.patchCloud(c.id, { endpoint: { ...cloud.endpoint, url: ec2Url } }, clock.now().toISOString());
    report.created.push('cloud demo-cloud endpoint');
  } else {
    report.kept.push('cloud demo-cloud');
  }

  // The demo credential (id minted on first boot), owned by the platform operator.
  const credentialId = await seedClaimId(table, 'demo-credential', clock);
  if (await store.getCredential(credentialId)) {
    report.kept.push('credential demo-credential');
  } else {
    const vault = opts.vault ?? new SecretsManagerVault();
    const prefix = opts.credentialSecretPrefix ?? process.env.CREDENTIAL_SECRET_PREFIX;
    if (!prefix) throw new Error('CREDENTIAL_SECRET_PREFIX is not set');
    const name = `${prefix}${credentialId}`;
    const secret: CredentialSecret = {
      format: 'plexsphere.cloud-credential.v1',
      payload: Buffer.from(JSON.stringify(DEMO_CREDENTIAL_KEYS)).toString('base64'),
      key_values: {},
    };
    let vaulted: { arn: string; versionId: string };
    try {
      vaulted = await vault.create(name, JSON.stringify(secret));
    } catch (err) {
      // A previous boot stored the material and stopped before the metadata: reuse it.
      if (!(err instanceof ConflictError)) throw err;
      const described = await vault.describe(name);
      vaulted = { arn: described.arn, versionId: described.currentVersionId };
    }
    const now = clock.now().toISOString();
    await store.createCredential({
      id: credentialId,
      cloud_id: c.id,
      display_name: FIXTURES.credential.displayName,
      version: 1,
      owner_id: FIXTURES.operator.id,
      expires_at: DEMO_CREDENTIAL_EXPIRES_AT,
      created_at: now,
      updated_at: now,
      secret_arn: vaulted.arn,
      secret_version_id: vaulted.versionId,
    });
    report.created.push('credential demo-credential');
  }

  // The cloudless blueprint (fixed id) and its one version (id minted on first boot).
  await seedBlueprint(store, table, report, clock, {
    fixture: FIXTURES.cloudlessBlueprint,
    description: 'Dev-only: a node on the local EC2 emulator, enrolled into the mesh by cloud-init user data.',
    versionClaim: 'cloudless-blueprint-version',
    parameterSchema: [],
  });
}

interface BlueprintSeed {
  fixture: { id: string; slug: string; displayName: string; version: string };
  description: string;
  /** The seed claim that keeps the version's id, minted on the first run. */
  versionClaim: string;
  parameterSchema: BlueprintParameter[];
  template?: MachineTemplate;
}

/** A blueprint with its one immutable version, each written unless it exists. */
async function seedBlueprint(store: DynamoCatalogStore, table: Table, report: { created: string[]; kept: string[] }, clock: Clock, seed: BlueprintSeed): Promise<void> {
  const b = seed.fixture;
  if (await store.getBlueprint(b.id)) {
    report.kept.push(`blueprint ${b.slug}`);
  } else {
    await store.createBlueprint({
      id: b.id,
      slug: b.slug,
      display_name: b.displayName,
      description: seed.description,
      status: 'active',
      created_at: SEEDED_AT,
      updated_at: SEEDED_AT,
    });
    report.created.push(`blueprint ${b.slug}`);
  }
  const versionId = await seedClaimId(table, seed.versionClaim, clock);
  if (await store.getVersionById(versionId)) {
    report.kept.push(`blueprint version ${b.slug} ${b.version}`);
    return;
  }
  await store.publishVersion({
    id: versionId,
    blueprint_id: b.id,
    version: b.version,
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    // Checked as a published one would be: a seed is no exception to the rules.
    parameter_schema: parseParameterSchema(seed.parameterSchema),
    ...(seed.template && { template: JSON.stringify(seed.template) }),
    created_at: clock.now().toISOString(),
  });
  report.created.push(`blueprint version ${b.slug} ${b.version}`);
}

/** Where the aws-ec2-instance blueprint's machines download plexd from (PLEXD_DOWNLOAD_URL overrides). */
export const DEFAULT_PLEXD_URL = 'https://downloads.plexsphere.dev/plexd/stable/linux-amd64/plexd';
/**
 * The plexd build the blueprint's machines install: its URL and the sha256 they check it against
 * (PLEXD_DOWNLOAD_SHA256). A pin given is checked here (https, 64 hex digits). Without one the
 * version is seeded unpinned, and provisioning with it is refused (plexd_unpinned) rather than
 * installing a binary nobody vouched for.
 */
function plexdPin(opts: { plexdUrl?: string; plexdSha256?: string }): { url: string; sha256?: string } {
  const url = opts.plexdUrl ?? process.env.PLEXD_DOWNLOAD_URL ?? DEFAULT_PLEXD_URL;
  const sha256 = (opts.plexdSha256 ?? process.env.PLEXD_DOWNLOAD_SHA256)?.trim().toLowerCase();
  if (!sha256) return { url };
  plexdInstallRecipe(url, sha256);
  return { url, sha256 };
}

/** Amazon Linux 2023's public SSM parameter: the AMI EC2 resolves at launch when none is given. */
export const DEFAULT_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
/** The account that publishes Amazon Linux AMIs. */
export const AMAZON_IMAGE_OWNER = '137112412989';
/**
 * x86_64 only: the default image and the plexd download are amd64. Burstable sizes for nodes, one
 * general-purpose size above them.
 */
export const AWS_EC2_INSTANCE_TYPES = ['t3.micro', 't3.small', 't3.medium', 't3.large', 't3a.micro', 't3a.small', 't3a.medium', 'm7i.large'];

/**
 * The real-cloud blueprint `aws-ec2-instance`: a machine in the Cloud's account whose user data
 * downloads plexd, installs it as a unit and starts it. Parameters: region (one of the Cloud's),
 * instanceType (from an allowlist), and an AMI id of an allowed owner or an AWS public SSM
 * parameter naming one. A stack seeded before keeps the version it has: versions are immutable.
 */
export async function seedAwsEc2Blueprint(
  table: Table,
  report: { created: string[]; kept: string[] },
  opts: { clock?: Clock; plexdUrl?: string; plexdSha256?: string } = {},
): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const plexd = plexdPin(opts);
  const store = new DynamoCatalogStore(table);
  await seedBlueprint(store, table, report, clock, {
    fixture: FIXTURES.awsEc2Blueprint,
    description: "An EC2 instance in the Cloud's account, enrolled by plexd installed from cloud-init user data.",
    versionClaim: 'aws-ec2-blueprint-version',
    parameterSchema: [
      {
        name: 'region',
        type: 'string',
        required: false,
        allowed_values_from: 'cloud_regions',
        description: "The AWS region to launch in, one of the Cloud's allowed regions (default: the Cloud's endpoint region).",
      },
      {
        name: 'instanceType',
        type: 'string',
        required: false,
        default: 't3.small',
        allowed_values: AWS_EC2_INSTANCE_TYPES,
        description: 'The EC2 instance type, from the allowlist (x86_64 sizes).',
      },
      {
        name: 'ami',
        type: 'string',
        required: false,
        pattern: 'ami-(?:[0-9a-f]{8}|[0-9a-f]{17})',
        description: 'An AMI id, owned by an account this blueprint allows; takes precedence over ssmParameterName.',
      },
      {
        name: 'ssmParameterName',
        type: 'string',
        required: false,
        default: DEFAULT_AMI_PARAMETER,
        // AWS's public parameters only, each path segment starting with a letter, digit, _ or - (no `.` or `..` segments).
        pattern: '/aws/service(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+',
        description: 'An AWS public SSM parameter (under /aws/service/) naming the AMI, which EC2 resolves at launch.',
      },
    ],
    template: {
      image_id: `resolve:ssm:${DEFAULT_AMI_PARAMETER}`,
      instance_type: 't3.small',
      recipe: 'plexd-download',
      plexd_url: plexd.url,
      ...(plexd.sha256 && { plexd_sha256: plexd.sha256 }),
      allowed_image_owners: [AMAZON_IMAGE_OWNER, LOCAL_IMAGE_OWNER],
    },
  });
}
