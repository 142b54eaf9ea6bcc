// What each cloud provider needs of the catalog: the shape of a cloud's endpoint, the keys its
// credential payload carries, and the unpacking of both for the substrate steps.
import { z } from 'zod';
import { UnprocessableError } from '../errors.ts';
import { fieldError } from './shared.ts';

export const CLOUD_PROVIDERS = ['aws', 'azure'] as const;
export const CloudProviderSchema = z.enum(CLOUD_PROVIDERS);
export type CloudProvider = z.infer<typeof CloudProviderSchema>;

const AwsRegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as us-east-1');
const HttpUrlSchema = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

// Per-provider shapes of the free-form blobs. Unknown keys are kept: they are the provider's.
const AwsEndpointSchema = z.looseObject({ region: AwsRegionSchema, url: HttpUrlSchema.optional() });
export const ENDPOINT_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: AwsEndpointSchema,
  azure: z.looseObject({ url: HttpUrlSchema.optional() }),
};
export const REGION_DEFAULTS_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: z.looseObject({ region: AwsRegionSchema.optional() }),
  azure: z.looseObject({}),
};

/**
 * What the vault holds for a credential: the payload exactly as issued (base64) and the optional
 * key/value map. One envelope for every provider, so reading it never depends on the cloud.
 */
export const CredentialSecretSchema = z.object({
  format: z.literal('plexsphere.cloud-credential.v1'),
  payload: z.string(),
  key_values: z.record(z.string(), z.string()),
});
export type CredentialSecret = z.infer<typeof CredentialSecretSchema>;

/** The decoded payload of an aws credential. */
export const AwsCredentialPayloadSchema = z.strictObject({
  access_key_id: z.string().trim().min(1).max(128),
  secret_access_key: z.string().trim().min(1).max(256),
  session_token: z.string().min(1).optional(),
});
export type AwsCredentialPayload = z.infer<typeof AwsCredentialPayloadSchema>;

/** Checks the decoded payload is what the provider's substrate will need; UnprocessableError otherwise. */
export function checkPayloadForProvider(provider: CloudProvider, bytes: Uint8Array): void {
  if (provider !== 'aws') return;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new UnprocessableError(
      'invalid_credential_payload',
      'An aws credential payload must be base64 of the JSON {"access_key_id", "secret_access_key"}.',
      {
        errors: [{ path: 'payload', message: 'not a JSON document' }],
      },
    );
  }
  const parsed = AwsCredentialPayloadSchema.safeParse(json);
  if (!parsed.success) {
    // Name the offending keys, never their values.
    const errors = parsed.error.issues.map((i) => ({
      path: ['payload', ...i.path.map(String)].join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown keys ${i.keys.join(', ')}` : i.message,
    }));
    throw fieldError('invalid_credential_payload', errors, UnprocessableError);
  }
}

/** The aws endpoint of a cloud, for the substrate's EC2 client. */
export function awsEndpointOf(cloud: { id: string; provider: CloudProvider; endpoint: Record<string, unknown> }): {
  region: string;
  url?: string;
} {
  if (cloud.provider !== 'aws') throw new UnprocessableError('cloud_provider_unsupported', `Cloud ${cloud.id} is not an aws cloud.`);
  const endpoint = AwsEndpointSchema.parse(cloud.endpoint);
  return endpoint.url ? { region: endpoint.region, url: endpoint.url } : { region: endpoint.region };
}

/** Reads an aws credential's keys back from its vaulted envelope (for the substrate steps). */
export function awsKeysFromSecret(secretValue: string): AwsCredentialPayload {
  const secret = CredentialSecretSchema.parse(JSON.parse(secretValue));
  const bytes = Uint8Array.from(atob(secret.payload), (c) => c.charCodeAt(0));
  return AwsCredentialPayloadSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}
