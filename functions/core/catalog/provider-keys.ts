// What each cloud provider needs of the catalog: the shape of a cloud's endpoint and the keys its
// credential payload carries. Reading them for a substrate is the provider's adapter's business.
import * as z from 'zod';
import { UnprocessableError } from '../errors.ts';
import { fieldError } from './shared.ts';

export const CLOUD_PROVIDERS = ['aws', 'azure'] as const;
export const CloudProviderSchema = z.enum(CLOUD_PROVIDERS);
export type CloudProvider = z.infer<typeof CloudProviderSchema>;

const AwsRegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as us-east-1');
const HttpUrlSchema = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

// Per-provider shapes of the free-form blobs. Unknown keys are kept: they are the provider's.
export const AwsEndpointSchema = z.looseObject({ region: AwsRegionSchema, url: HttpUrlSchema.optional() });
export const ENDPOINT_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: AwsEndpointSchema,
  azure: z.looseObject({ url: HttpUrlSchema.optional() }),
};
/** `allowed_regions`: where Resources on the cloud may run (a blueprint's cloud-region parameter); else the endpoint's region. */
export const AwsRegionDefaultsSchema = z.looseObject({
  region: AwsRegionSchema.optional(),
  allowed_regions: z
    .array(AwsRegionSchema)
    .min(1, 'must list at least one region')
    .refine((r) => new Set(r).size === r.length, 'must not repeat a region')
    .optional(),
});
export const REGION_DEFAULTS_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: AwsRegionDefaultsSchema,
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
