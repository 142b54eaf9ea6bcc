import { fromBase64 } from '../../core/base64.ts';
import * as z from 'zod';
import type { Cloud } from '../../core/catalog/clouds.ts';
import {
  type AwsCredentialPayload,
  AwsCredentialPayloadSchema,
  AwsEndpointSchema,
  CredentialSecretSchema,
} from '../../core/catalog/provider-keys.ts';
import { UnprocessableError } from '../../core/errors.ts';
import type { SubstratePlan, SubstrateRefusal, SubstrateRequest, SubstrateResolver } from '../../core/substrate.ts';
import { recipeFor } from '../../core/user-data.ts';
import { parseVaultedJson, SecretUnreadableError, type Vault } from '../../core/vault.ts';
import type { SubstrateTarget } from './ec2-substrate.ts';

// The aws resolver: a Resource on an aws Cloud becomes an EC2 launch in the Cloud's region (or the
// Resource's `region` parameter), made with the pinned credential's access keys. No EC2 client
// here: the API resolves too (to refuse what it cannot provision) and must not load one.

/** What the blueprint version asks of the machine (the version's internal `template`, as JSON). */
export const MachineTemplateSchema = z.object({
  image_id: z.string().default('ami-plexsphere-cloudless'),
  instance_type: z.string().default('t3.micro'),
  recipe: z.enum(['cloudless', 'plexd-download']).default('cloudless'),
  plexd_url: z.string().optional(),
  /** The sha256 the download must hash to before it is installed (see core/user-data.ts). */
  plexd_sha256: z.string().optional(),
  /**
   * The accounts whose AMIs a Resource's `ami` parameter may name (checked with DescribeImages
   * before the launch). Absent: no AMI chosen by a parameter is launched.
   */
  allowed_image_owners: z.array(z.string().regex(/^\d{12}$/)).optional(),
});
export type MachineTemplate = z.infer<typeof MachineTemplateSchema>;

type Parameters = Record<string, string | number | boolean>;

/** A non-empty string parameter, or undefined. */
function text(parameters: Parameters, name: string): string | undefined {
  const value = parameters[name];
  return typeof value === 'string' && value ? value : undefined;
}

export function machineTemplate(template: string | undefined, parameters: Parameters = {}): MachineTemplate {
  const base = MachineTemplateSchema.parse(template ? JSON.parse(template) : {});
  // Parameters named like the template's knobs override it (the aws-ec2-instance blueprint's).
  const ssm = text(parameters, 'ssmParameterName');
  const ami = text(parameters, 'ami');
  const instanceType = text(parameters, 'instanceType');
  return {
    ...base,
    // An AMI id wins; else an SSM parameter that names one, which EC2 resolves at launch.
    ...(ssm && { image_id: `resolve:ssm:${ssm}` }),
    ...(ami && { image_id: ami }),
    ...(instanceType && { instance_type: instanceType }),
  };
}

export interface AwsResolverConfig {
  /** http:// cloud endpoints are used (the embedded stack's local clouds); otherwise https only. */
  allowHttpEndpoints?: boolean;
}

/**
 * The aws endpoint of a cloud, for the substrate's EC2 client. The https check is made again at
 * use: a cloud stored before it was enforced (or written past the API) would send the keys in
 * cleartext. UnprocessableError `insecure_endpoint`.
 */
export function awsEndpointOf(
  cloud: Pick<Cloud, 'id' | 'provider' | 'endpoint'>,
  config: AwsResolverConfig = {},
): { region: string; url?: string } {
  if (cloud.provider !== 'aws') throw new UnprocessableError('cloud_provider_unsupported', `Cloud ${cloud.id} is not an aws cloud.`);
  const endpoint = AwsEndpointSchema.parse(cloud.endpoint);
  if (!endpoint.url) return { region: endpoint.region };
  if (new URL(endpoint.url).protocol !== 'https:' && config.allowHttpEndpoints !== true)
    throw new UnprocessableError('insecure_endpoint', `Cloud ${cloud.id}'s endpoint is not https.`);
  return { region: endpoint.region, url: endpoint.url };
}

/**
 * Reads an aws credential's keys back from its vaulted envelope; SecretUnreadableError
 * `credential_unreadable` when it is not what the broker stored (saying nothing of its text).
 */
export function awsKeysFromSecret(secretValue: string): AwsCredentialPayload {
  const secret = parseVaultedJson(secretValue, CredentialSecretSchema, 'credential_unreadable', 'cloud credential');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fromBase64(secret.payload));
  } catch {
    throw new SecretUnreadableError('credential_unreadable', "The vaulted cloud credential's payload is not base64 of UTF-8 text.");
  }
  return parseVaultedJson(text, AwsCredentialPayloadSchema, 'credential_unreadable', "cloud credential's payload");
}

export class AwsSubstrateResolver implements SubstrateResolver {
  constructor(
    private readonly vault: Vault,
    private readonly config: AwsResolverConfig = {},
  ) {}

  async resolve({ cloud, credential, parameters, version }: SubstrateRequest): Promise<SubstratePlan | SubstrateRefusal> {
    if (cloud.provider !== 'aws')
      return { refused: { code: 'cloud_provider_unsupported', message: `Cloud ${cloud.id} is not an aws cloud.` } };
    const endpoint = awsEndpointOf(cloud, this.config);
    const secret = await this.vault.read(credential.secret_arn, credential.version_id);
    const keys = awsKeysFromSecret(secret.value);
    const target: SubstrateTarget = {
      region: text(parameters, 'region') ?? endpoint.region,
      ...(endpoint.url && { endpoint: endpoint.url }),
      secretRef: { arn: credential.secret_arn, versionId: credential.version_id },
      credentials: {
        accessKeyId: keys.access_key_id,
        secretAccessKey: keys.secret_access_key,
        ...(keys.session_token && { sessionToken: keys.session_token }),
      },
    };
    const template = machineTemplate(version?.template, parameters);
    // An AMI the Resource chose is vouched for by its owner; an SSM public parameter (or the
    // version's own image) is not the Resource's choice of account.
    const chosenAmi = text(parameters, 'ami');
    return {
      provider: 'aws',
      region: target.region,
      target,
      machine: { imageId: template.image_id, instanceType: template.instance_type },
      install: recipeFor(template),
      ...(chosenAmi && { image: { id: chosenAmi, allowedOwners: template.allowed_image_owners ?? [] } }),
    };
  }
}
