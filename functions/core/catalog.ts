// The platform catalog: Clouds, their CloudCredentials (metadata here, material in the vault) and
// Blueprints with their immutable versions. Only the platform operator reads or manages it.
import { z } from 'zod';
import { requireAllowed } from './access.ts';
import type { Authorizer, AuthzSubject } from './authz/model.ts';
import type { Clock } from './clock.ts';
import { type FieldError, InvalidInputError, NotFoundError, UnprocessableError } from './errors.ts';
import { IdSchema, newId } from './ids.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { Vault } from './vault.ts';

// ---------------------------------------------------------------------------------------------
// Closed sets of the contract.

export const CLOUD_PROVIDERS = ['aws', 'azure'] as const;
export const PROVIDER_KINDS = ['aws', 'gcp', 'hetzner', 'openstack'] as const;
export const INJECTION_STRATEGIES = ['cloud-init-user-data', 'helm-values', 'provider-secret'] as const;
export const PARAMETER_TYPES = ['boolean', 'integer', 'string'] as const;

export const CloudProviderSchema = z.enum(CLOUD_PROVIDERS);
export type CloudProvider = z.infer<typeof CloudProviderSchema>;
export const ProviderKindSchema = z.enum(PROVIDER_KINDS);
export const InjectionStrategySchema = z.enum(INJECTION_STRATEGIES);

/** The contract's kebab-case slug: no leading, trailing or doubled dashes. */
export const CatalogSlugSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lowercase letters and digits in dash-separated words, at most 63 characters');

const DisplayNameSchema = z.string().trim().min(1, 'must not be blank').max(256);
const JsonObjectSchema = z.record(z.string(), z.unknown());

/**
 * DynamoDB stores at most 32 levels, counting the top-level attribute as level 1 and a scalar leaf
 * as a level: at most 31 maps or lists, one in the other (the blob itself is the first).
 */
export const MAX_JSON_CONTAINER_DEPTH = 31;
/** Magnitudes below this underflow a DynamoDB number (its range is 1E-130 to 9.99…E+125). */
const MIN_STORABLE_MAGNITUDE = 1e-130;

/**
 * What in a free-form JSON value DynamoDB (through the document client) cannot store: numbers
 * that are not safe integers or finite decimals in DynamoDB's range (an integer beyond 2^53 is not
 * exact, and the document client refuses it; 1e200 overflows; 1e-200 underflows) and nesting
 * deeper than DynamoDB's 32 levels. Each problem comes with its path below the field, so a
 * request is refused with 400 `invalid_body` before anything is written, instead of failing
 * half-way through its writes.
 */
export function unstorableJson(value: unknown, path: string[] = [], depth = 1): { path: string[]; message: string }[] {
  if (typeof value === 'number') {
    const storable = Number.isInteger(value)
      ? Number.isSafeInteger(value)
      : Number.isFinite(value) && Math.abs(value) >= MIN_STORABLE_MAGNITUDE;
    return storable
      ? []
      : [
          {
            path,
            message: `must be a safe integer (at most ${Number.MAX_SAFE_INTEGER} in magnitude) or a decimal of at least 1e-130 in magnitude`,
          },
        ];
  }
  if (value === null || typeof value !== 'object') return [];
  if (depth > MAX_JSON_CONTAINER_DEPTH) return [{ path, message: `nests more than ${MAX_JSON_CONTAINER_DEPTH} objects or arrays` }];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const issues: { path: string[]; message: string }[] = [];
  for (const [key, child] of entries) issues.push(...unstorableJson(child, [...path, key], depth + 1));
  return issues;
}

/** A free-form JSON object of a request body that DynamoDB can store (see unstorableJson). */
const StorableJsonObjectSchema = JsonObjectSchema.superRefine((value, ctx) => {
  for (const issue of unstorableJson(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});
const TimestampSchema = z.string();

/** Maximum decoded credential payload the contract accepts (base64 text of at most 4096 characters). */
export const MAX_PAYLOAD_CHARS = 4096;
/** Credentials issued without `expires_at` live this long. */
export const DEFAULT_CREDENTIAL_TTL_MS = 365 * 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Entities, as stored (and parsed back on read).

export const CloudSchema = z.object({
  id: IdSchema,
  display_name: z.string(),
  slug: z.string(),
  provider: CloudProviderSchema,
  endpoint: JsonObjectSchema,
  region_defaults: JsonObjectSchema,
  external_id: z.string(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export type Cloud = z.infer<typeof CloudSchema>;

export const CloudCredentialSchema = z.object({
  id: IdSchema,
  cloud_id: IdSchema,
  display_name: z.string(),
  version: z.number().int().min(1),
  owner_id: IdSchema,
  expires_at: TimestampSchema,
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  revoked_at: TimestampSchema.optional(),
  revoke_reason: z.string().optional(),
  /** Where the material lives; storage-internal, never on the wire. */
  secret_arn: z.string(),
  secret_version_id: z.string(),
});
export type CloudCredential = z.infer<typeof CloudCredentialSchema>;

export const CredentialStatusSchema = z.enum(['active', 'expired', 'revoked']);
export type CredentialStatus = z.infer<typeof CredentialStatusSchema>;

export const BlueprintSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  display_name: z.string(),
  description: z.string().optional(),
  status: z.enum(['active', 'retired']),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export type Blueprint = z.infer<typeof BlueprintSchema>;

export const ParameterTypeSchema = z.enum(PARAMETER_TYPES);

export const BlueprintParameterSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a letter or underscore, then letters, digits or underscores (at most 63)'),
  type: ParameterTypeSchema,
  required: z.boolean(),
  default: z.union([z.boolean(), z.number(), z.string()]).optional(),
});
export type BlueprintParameter = z.infer<typeof BlueprintParameterSchema>;

export const BlueprintVersionSchema = z.object({
  id: IdSchema,
  blueprint_id: IdSchema,
  version: z.string(),
  provider_kinds: z.array(ProviderKindSchema),
  injection_strategy: InjectionStrategySchema,
  parameter_schema: z.array(BlueprintParameterSchema),
  xrd: JsonObjectSchema.optional(),
  composition: JsonObjectSchema.optional(),
  /** Substrate recipe for later use by the provisioning steps; not part of the contract's read shape. */
  template: z.string().optional(),
  created_at: TimestampSchema,
});
export type BlueprintVersion = z.infer<typeof BlueprintVersionSchema>;

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

// ---------------------------------------------------------------------------------------------
// Request bodies. These check structure (types, required and unknown fields: `invalid_body`);
// the use cases then check the values and answer with the contract's specific codes.

export const CreateCloudBodySchema = z.strictObject({
  display_name: z.string(),
  slug: z.string(),
  provider: z.string(),
  endpoint: StorableJsonObjectSchema,
  region_defaults: StorableJsonObjectSchema,
  external_id: z.string(),
});
export type CreateCloudBody = z.infer<typeof CreateCloudBodySchema>;

export const PatchCloudBodySchema = z.strictObject({
  display_name: z.string().optional(),
  endpoint: StorableJsonObjectSchema.optional(),
  region_defaults: StorableJsonObjectSchema.optional(),
  // Accepted by the parser only to be refused with the contract's own codes.
  slug: z.unknown().optional(),
  provider: z.unknown().optional(),
});
export type PatchCloudBody = z.infer<typeof PatchCloudBodySchema>;

export const IssueCredentialBodySchema = z.strictObject({
  display_name: z.string(),
  payload: z.string(),
  key_values: z.record(z.string(), z.string()).optional(),
  expires_at: z.string().optional(),
});
export type IssueCredentialBody = z.infer<typeof IssueCredentialBodySchema>;

export const RevokeCredentialBodySchema = z.strictObject({ reason: z.string() });
export type RevokeCredentialBody = z.infer<typeof RevokeCredentialBodySchema>;

export const CreateBlueprintBodySchema = z.strictObject({
  slug: z.string(),
  display_name: z.string(),
  description: z.string().optional(),
});
export type CreateBlueprintBody = z.infer<typeof CreateBlueprintBodySchema>;

export const PublishVersionBodySchema = z.strictObject({
  version: z.string(),
  provider_kinds: z.array(z.string()),
  injection_strategy: z.string(),
  /** The contract's `{"parameters": [...]}` document; the flat list of the read shape is accepted too. */
  parameter_schema: z.unknown(),
  xrd: StorableJsonObjectSchema.optional(),
  composition: StorableJsonObjectSchema.optional(),
});
export type PublishVersionBody = z.infer<typeof PublishVersionBodySchema>;

// ---------------------------------------------------------------------------------------------
// Ports.

/** Persistence of the catalog. Every method reads base-table items consistently. */
export interface CatalogStore {
  /** Claims the slug, then writes the cloud; ConflictError `cloud_slug_conflict`. */
  createCloud(cloud: Cloud): Promise<void>;
  getCloud(id: string): Promise<Cloud | undefined>;
  listClouds(page: PageRequest): Promise<Page<Cloud>>;
  /** Sets the given fields; NotFoundError `cloud_not_found` when the cloud is gone. */
  patchCloud(id: string, patch: Partial<Pick<Cloud, 'display_name' | 'endpoint' | 'region_defaults'>>, updatedAt: string): Promise<Cloud>;
  /** Deletes a cloud that never had a credential; ConflictError `cloud_not_empty`, NotFoundError. */
  deleteCloud(cloud: Cloud): Promise<void>;
  /**
   * Registers the credential on its cloud (so the cloud cannot be deleted under it), then writes
   * it; NotFoundError `cloud_not_found` when the cloud is gone.
   */
  createCredential(credential: CloudCredential): Promise<void>;
  getCredential(id: string): Promise<CloudCredential | undefined>;
  listCredentials(cloudId: string, page: PageRequest): Promise<Page<CloudCredential>>;
  /**
   * Stamps `revoked_at` with one conditional write. `changed` is false when it was already
   * revoked (the stored item is returned unchanged); NotFoundError when it does not exist.
   */
  revokeCredential(id: string, revokedAt: string, reason: string): Promise<{ credential: CloudCredential; changed: boolean }>;
  /** Claims the slug, then writes the blueprint; ConflictError `blueprint_slug_conflict`. */
  createBlueprint(blueprint: Blueprint): Promise<void>;
  getBlueprint(id: string): Promise<Blueprint | undefined>;
  listBlueprints(page: PageRequest): Promise<Page<Blueprint>>;
  /** The blueprint's versions, newest first. */
  listVersions(blueprintId: string): Promise<BlueprintVersion[]>;
  /** Writes an immutable version; ConflictError `blueprint_version_exists` when the version string is taken. */
  publishVersion(version: BlueprintVersion): Promise<void>;
  /** Resolves a version by its id alone (the handle a Resource names). */
  getVersionById(versionId: string): Promise<BlueprintVersion | undefined>;
}

export interface CatalogPorts {
  catalog: CatalogStore;
  vault: Vault;
  authorizer: Authorizer;
  clock: Clock;
  env: { CREDENTIAL_SECRET_PREFIX: string };
}

/** A request body, parsed only once the caller is known to be allowed: a refused caller learns nothing from validation. */
export type Input<T> = () => T;

const PLATFORM = { type: 'Platform' } as const;

const mayRead = (ports: Pick<CatalogPorts, 'authorizer'>, subject: AuthzSubject) =>
  requireAllowed(ports.authorizer, subject, 'catalog_read', PLATFORM);
const mayManage = (ports: Pick<CatalogPorts, 'authorizer'>, subject: AuthzSubject) =>
  requireAllowed(ports.authorizer, subject, 'catalog_manage', PLATFORM);

// ---------------------------------------------------------------------------------------------
// Value checks with the contract's codes.

/** Parses one field and turns a failure into `code`, naming the field path. */
function field<S extends z.ZodType>(schema: S, value: unknown, path: string, code: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw fieldError(
    code,
    parsed.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message })),
  );
}

function fieldError(code: string, errors: FieldError[], error: typeof InvalidInputError | typeof UnprocessableError = InvalidInputError) {
  return new error(code, `Invalid ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

const AwsRegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region such as us-east-1');
const HttpUrlSchema = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

// Per-provider shapes of the free-form blobs. Unknown keys are kept: they are the provider's.
const AwsEndpointSchema = z.looseObject({ region: AwsRegionSchema, url: HttpUrlSchema.optional() });
const ENDPOINT_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: AwsEndpointSchema,
  azure: z.looseObject({ url: HttpUrlSchema.optional() }),
};
const REGION_DEFAULTS_SCHEMAS: Record<CloudProvider, z.ZodType> = {
  aws: z.looseObject({ region: AwsRegionSchema.optional() }),
  azure: z.looseObject({}),
};

function checkEndpoint(provider: CloudProvider, endpoint: Record<string, unknown>): Record<string, unknown> {
  field(ENDPOINT_SCHEMAS[provider], endpoint, 'endpoint', 'invalid_cloud_endpoint');
  return endpoint;
}

function checkRegionDefaults(provider: CloudProvider, regionDefaults: Record<string, unknown>): Record<string, unknown> {
  field(REGION_DEFAULTS_SCHEMAS[provider], regionDefaults, 'region_defaults', 'invalid_cloud_region_defaults');
  return regionDefaults;
}

/** The aws endpoint of a cloud, for the substrate's EC2 client. */
export function awsEndpointOf(cloud: Cloud): { region: string; url?: string } {
  if (cloud.provider !== 'aws') throw new UnprocessableError('cloud_provider_unsupported', `Cloud ${cloud.id} is not an aws cloud.`);
  const endpoint = AwsEndpointSchema.parse(cloud.endpoint);
  return endpoint.url ? { region: endpoint.region, url: endpoint.url } : { region: endpoint.region };
}

// ---------------------------------------------------------------------------------------------
// Clouds.

/**
 * Creates a cloud. Primary course:
 * 1. the caller manages the catalog;
 * 2. the body's values are valid for the provider;
 * 3. the cloud is written together with its slug (one transaction).
 */
export async function createCloud(ports: CatalogPorts, subject: AuthzSubject, input: Input<CreateCloudBody>): Promise<Cloud> {
  await mayManage(ports, subject);
  const body = input();
  const display_name = field(DisplayNameSchema, body.display_name, 'display_name', 'invalid_cloud');
  const slug = field(CatalogSlugSchema, body.slug, 'slug', 'invalid_cloud');
  const external_id = field(z.string().trim().min(1, 'must not be blank').max(4096), body.external_id, 'external_id', 'invalid_cloud');
  const provider = field(CloudProviderSchema, body.provider, 'provider', 'unknown_provider');
  const now = ports.clock.now();
  const cloud: Cloud = {
    id: newId(now.getTime()),
    display_name,
    slug,
    provider,
    endpoint: checkEndpoint(provider, body.endpoint),
    region_defaults: checkRegionDefaults(provider, body.region_defaults),
    external_id,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await ports.catalog.createCloud(cloud);
  return cloud;
}

async function requireCloud(ports: Pick<CatalogPorts, 'catalog'>, id: string): Promise<Cloud> {
  const cloud = await ports.catalog.getCloud(id);
  if (!cloud) throw new NotFoundError('cloud_not_found', `No cloud with id ${id}.`);
  return cloud;
}

export async function getCloud(ports: CatalogPorts, subject: AuthzSubject, id: string): Promise<Cloud> {
  await mayRead(ports, subject);
  return requireCloud(ports, id);
}

export async function listClouds(ports: CatalogPorts, subject: AuthzSubject, page: PageRequest): Promise<Page<Cloud>> {
  await mayRead(ports, subject);
  return ports.catalog.listClouds(page);
}

/** Patches display name, endpoint or region defaults; slug and provider are immutable. */
export async function patchCloud(ports: CatalogPorts, subject: AuthzSubject, id: string, input: Input<PatchCloudBody>): Promise<Cloud> {
  await mayManage(ports, subject);
  const body = input();
  if (body.slug !== undefined) throw new InvalidInputError('slug_immutable', 'A cloud slug cannot change; remove slug from the patch.');
  if (body.provider !== undefined) {
    throw new InvalidInputError('provider_immutable', 'A cloud provider cannot change; remove provider from the patch.');
  }
  if (body.display_name === undefined && body.endpoint === undefined && body.region_defaults === undefined) {
    throw new InvalidInputError('empty_patch', 'Set at least one of display_name, endpoint or region_defaults.');
  }
  const cloud = await requireCloud(ports, id);
  // Each blob is checked against the (immutable) provider alone, so the merged record is valid
  // whichever concurrent patch lands last.
  const patch: Partial<Pick<Cloud, 'display_name' | 'endpoint' | 'region_defaults'>> = {};
  if (body.display_name !== undefined) patch.display_name = field(DisplayNameSchema, body.display_name, 'display_name', 'invalid_cloud');
  if (body.endpoint !== undefined) patch.endpoint = checkEndpoint(cloud.provider, body.endpoint);
  if (body.region_defaults !== undefined) patch.region_defaults = checkRegionDefaults(cloud.provider, body.region_defaults);
  return ports.catalog.patchCloud(id, patch, ports.clock.now().toISOString());
}

export async function deleteCloud(ports: CatalogPorts, subject: AuthzSubject, id: string): Promise<void> {
  await mayManage(ports, subject);
  await ports.catalog.deleteCloud(await requireCloud(ports, id));
}

// ---------------------------------------------------------------------------------------------
// Cloud credentials.

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard, padded base64; InvalidInputError `invalid_payload` on anything else. */
export function decodePayload(payload: string): Uint8Array {
  if (payload.length === 0)
    throw new InvalidInputError('invalid_payload', 'payload must not be empty.', {
      errors: [{ path: 'payload', message: 'must not be empty' }],
    });
  if (payload.length > MAX_PAYLOAD_CHARS) {
    throw new InvalidInputError('invalid_payload', `payload must be at most ${MAX_PAYLOAD_CHARS} characters of base64.`, {
      errors: [{ path: 'payload', message: `at most ${MAX_PAYLOAD_CHARS} characters` }],
    });
  }
  if (!BASE64.test(payload)) {
    throw new InvalidInputError('invalid_payload', 'payload must be standard base64 (RFC 4648, with padding).', {
      errors: [{ path: 'payload', message: 'not standard base64' }],
    });
  }
  return Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
}

/** Checks the decoded payload is what the provider's substrate will need; UnprocessableError otherwise. */
function checkPayloadForProvider(provider: CloudProvider, bytes: Uint8Array): void {
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

/** Reads an aws credential's keys back from its vaulted envelope (for the substrate steps). */
export function awsKeysFromSecret(secretValue: string): AwsCredentialPayload {
  const secret = CredentialSecretSchema.parse(JSON.parse(secretValue));
  const bytes = Uint8Array.from(atob(secret.payload), (c) => c.charCodeAt(0));
  return AwsCredentialPayloadSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

export function credentialStatus(c: Pick<CloudCredential, 'revoked_at' | 'expires_at'>, now: Date): CredentialStatus {
  if (c.revoked_at) return 'revoked';
  if (Date.parse(c.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

export function credentialSecretName(ports: Pick<CatalogPorts, 'env'>, credentialId: string): string {
  return `${ports.env.CREDENTIAL_SECRET_PREFIX}${credentialId}`;
}

function parseExpiry(raw: string | undefined, now: Date): string {
  if (raw === undefined) return new Date(now.getTime() + DEFAULT_CREDENTIAL_TTL_MS).toISOString();
  const at = field(z.iso.datetime({ offset: true }), raw, 'expires_at', 'invalid_expires_at');
  const ms = Date.parse(at);
  if (ms <= now.getTime()) {
    throw new UnprocessableError('invalid_expires_at', 'expires_at must be in the future.', {
      errors: [{ path: 'expires_at', message: 'must be in the future' }],
    });
  }
  return new Date(ms).toISOString();
}

/**
 * Issues a credential. Primary course:
 * 1. the caller manages the catalog; the body is valid and the payload fits the cloud's provider;
 * 2. the material is written to the vault under the credential's id;
 * 3. the credential is registered on its cloud and its metadata written.
 * The vault comes first, so a crash leaves at most an unreferenced secret, never a visible
 * credential without material.
 */
export async function issueCredential(
  ports: CatalogPorts,
  subject: AuthzSubject,
  cloudId: string,
  input: Input<IssueCredentialBody>,
): Promise<CloudCredential> {
  await mayManage(ports, subject);
  const body = input();
  const display_name = field(DisplayNameSchema, body.display_name, 'display_name', 'invalid_display_name');
  const bytes = decodePayload(body.payload);
  const now = ports.clock.now();
  const expires_at = parseExpiry(body.expires_at, now);
  const cloud = await requireCloud(ports, cloudId);
  checkPayloadForProvider(cloud.provider, bytes);
  const id = newId(now.getTime());
  const secret: CredentialSecret = { format: 'plexsphere.cloud-credential.v1', payload: body.payload, key_values: body.key_values ?? {} };
  const vaulted = await ports.vault.create(credentialSecretName(ports, id), JSON.stringify(secret));
  const credential: CloudCredential = {
    id,
    cloud_id: cloud.id,
    display_name,
    version: 1,
    owner_id: subject.userId,
    expires_at,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    secret_arn: vaulted.arn,
    secret_version_id: vaulted.versionId,
  };
  try {
    await ports.catalog.createCredential(credential);
  } catch (err) {
    // Nothing will ever point at the material (e.g. the cloud was deleted meanwhile): take it
    // back out of the vault rather than leave live keys behind. The original error is the answer.
    await ports.vault.remove(vaulted.arn).catch(() => undefined);
    throw err;
  }
  return credential;
}

export async function listCredentials(
  ports: CatalogPorts,
  subject: AuthzSubject,
  cloudId: string,
  page: PageRequest,
): Promise<Page<CloudCredential>> {
  await mayRead(ports, subject);
  await requireCloud(ports, cloudId);
  return ports.catalog.listCredentials(cloudId, page);
}

async function requireCredential(ports: Pick<CatalogPorts, 'catalog'>, id: string): Promise<CloudCredential> {
  const credential = await ports.catalog.getCredential(id);
  if (!credential) throw new NotFoundError('cloud_credential_not_found', `No cloud credential with id ${id}.`);
  return credential;
}

export async function getCredential(ports: CatalogPorts, subject: AuthzSubject, id: string): Promise<CloudCredential> {
  await mayRead(ports, subject);
  return requireCredential(ports, id);
}

/**
 * Revokes a credential: one conditional write stamps `revoked_at`. Revoking again answers the
 * unchanged credential, as the contract's idempotent revoke does. The vaulted material stays:
 * teardown of machines provisioned with it still needs it.
 */
export async function revokeCredential(
  ports: CatalogPorts,
  subject: AuthzSubject,
  id: string,
  input: Input<RevokeCredentialBody>,
): Promise<CloudCredential> {
  await mayManage(ports, subject);
  const reason = field(z.string().trim().min(1, 'must not be blank').max(1024), input().reason, 'reason', 'invalid_revoke_reason');
  const { credential } = await ports.catalog.revokeCredential(id, ports.clock.now().toISOString(), reason);
  return credential;
}

// ---------------------------------------------------------------------------------------------
// Blueprints.

const VersionStringSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'letters, digits, dots, dashes, pluses and underscores, at most 128 characters');

export async function createBlueprint(ports: CatalogPorts, subject: AuthzSubject, input: Input<CreateBlueprintBody>): Promise<Blueprint> {
  await mayManage(ports, subject);
  const body = input();
  const slug = field(CatalogSlugSchema, body.slug, 'slug', 'invalid_blueprint');
  const display_name = field(DisplayNameSchema, body.display_name, 'display_name', 'invalid_blueprint');
  const description =
    body.description === undefined ? undefined : field(z.string().max(4096), body.description, 'description', 'invalid_blueprint');
  const now = ports.clock.now();
  const blueprint: Blueprint = {
    id: newId(now.getTime()),
    slug,
    display_name,
    ...(description !== undefined && { description }),
    status: 'active',
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await ports.catalog.createBlueprint(blueprint);
  return blueprint;
}

async function requireBlueprint(ports: Pick<CatalogPorts, 'catalog'>, id: string): Promise<Blueprint> {
  const blueprint = await ports.catalog.getBlueprint(id);
  if (!blueprint) throw new NotFoundError('blueprint_not_found', `No blueprint with id ${id}.`);
  return blueprint;
}

export async function getBlueprint(
  ports: CatalogPorts,
  subject: AuthzSubject,
  id: string,
): Promise<{ blueprint: Blueprint; versions: BlueprintVersion[] }> {
  await mayRead(ports, subject);
  const blueprint = await requireBlueprint(ports, id);
  return { blueprint, versions: await ports.catalog.listVersions(id) };
}

export async function listBlueprints(ports: CatalogPorts, subject: AuthzSubject, page: PageRequest): Promise<Page<Blueprint>> {
  await mayRead(ports, subject);
  return ports.catalog.listBlueprints(page);
}

const DEFAULT_MATCHES: Record<BlueprintParameter['type'], (v: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  integer: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  string: (v) => typeof v === 'string',
};

/**
 * Names a parameter may not take: every plain object inherits them (`constructor`, `toString`,
 * `__proto__` …), so parameter maps built from JSON would confuse them with the prototype's.
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Parses a parameter schema (the `{"parameters": [...]}` document, or the bare list) and checks
 * what a per-field schema cannot: unique names that no object inherits, a default only on
 * optional parameters, and a default of the declared type. Every problem is reported with its path.
 */
export function parseParameterSchema(raw: unknown): BlueprintParameter[] {
  const doc = z.union([z.array(z.unknown()), z.strictObject({ parameters: z.array(z.unknown()) })]).safeParse(raw);
  if (!doc.success) {
    throw fieldError('invalid_parameter_schema', [
      { path: 'parameter_schema', message: 'must be {"parameters": [...]} or a list of parameters' },
    ]);
  }
  const base = Array.isArray(doc.data) ? 'parameter_schema' : 'parameter_schema.parameters';
  const items = Array.isArray(doc.data) ? doc.data : doc.data.parameters;
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  const params: BlueprintParameter[] = [];
  items.forEach((item, i) => {
    const parsed = BlueprintParameterSchema.safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.push({ path: [`${base}.${i}`, ...issue.path.map(String)].join('.'), message: issue.message });
      return;
    }
    const p = parsed.data;
    if (INHERITED_NAMES.has(p.name)) {
      errors.push({ path: `${base}.${i}.name`, message: `must not be "${p.name}", a name every JavaScript object inherits` });
    }
    const first = seen.get(p.name);
    if (first !== undefined) errors.push({ path: `${base}.${i}.name`, message: `duplicates the name of ${base}.${first}` });
    else seen.set(p.name, i);
    if (p.default !== undefined) {
      if (p.required) errors.push({ path: `${base}.${i}.default`, message: 'a required parameter takes no default' });
      else if (!DEFAULT_MATCHES[p.type](p.default)) errors.push({ path: `${base}.${i}.default`, message: `must be of type ${p.type}` });
    }
    params.push(p);
  });
  if (errors.length > 0) throw fieldError('invalid_parameter_schema', errors);
  return params;
}

function checkManifests(xrd: Record<string, unknown> | undefined, composition: Record<string, unknown> | undefined): void {
  if (xrd === undefined && composition === undefined) return;
  const errors: FieldError[] = [];
  if (xrd === undefined || composition === undefined) {
    errors.push({ path: xrd === undefined ? 'xrd' : 'composition', message: 'xrd and composition come as a pair' });
  } else {
    const XrdSchema = z.looseObject({
      kind: z.literal('CompositeResourceDefinition'),
      spec: z.looseObject({ names: z.looseObject({ kind: z.string().min(1) }) }),
    });
    const CompositionSchema = z.looseObject({
      kind: z.literal('Composition'),
      spec: z.looseObject({ compositeTypeRef: z.looseObject({ kind: z.string().min(1) }) }),
    });
    const x = XrdSchema.safeParse(xrd);
    const c = CompositionSchema.safeParse(composition);
    for (const [name, r] of [
      ['xrd', x],
      ['composition', c],
    ] as const) {
      if (!r.success) for (const i of r.error.issues) errors.push({ path: [name, ...i.path.map(String)].join('.'), message: i.message });
    }
    if (x.success && c.success && x.data.spec.names.kind !== c.data.spec.compositeTypeRef.kind) {
      errors.push({ path: 'composition.spec.compositeTypeRef.kind', message: 'must name the composite type the xrd declares' });
    }
  }
  if (errors.length > 0) throw fieldError('invalid_manifest', errors);
}

/**
 * Publishes an immutable version. Primary course:
 * 1. the caller manages the catalog and the blueprint exists;
 * 2. version, provider kinds, injection strategy, parameter schema and manifests are valid;
 * 3. the version is written once (ConflictError `blueprint_version_exists` when its string is taken).
 */
export async function publishVersion(
  ports: CatalogPorts,
  subject: AuthzSubject,
  blueprintId: string,
  input: Input<PublishVersionBody>,
  extra: { template?: string } = {},
): Promise<BlueprintVersion> {
  await mayManage(ports, subject);
  const body = input();
  const version = field(VersionStringSchema, body.version, 'version', 'invalid_blueprint');
  const provider_kinds = field(
    z
      .array(ProviderKindSchema)
      .min(1, 'name at least one provider kind')
      .refine((k) => new Set(k).size === k.length, 'must not repeat a kind'),
    body.provider_kinds,
    'provider_kinds',
    'invalid_provider_kind',
  );
  const injection_strategy = field(InjectionStrategySchema, body.injection_strategy, 'injection_strategy', 'invalid_injection_strategy');
  const parameter_schema = parseParameterSchema(body.parameter_schema);
  checkManifests(body.xrd, body.composition);
  const blueprint = await requireBlueprint(ports, blueprintId);
  const now = ports.clock.now();
  const published: BlueprintVersion = {
    id: newId(now.getTime()),
    blueprint_id: blueprint.id,
    version,
    provider_kinds,
    injection_strategy,
    parameter_schema,
    ...(body.xrd && { xrd: body.xrd }),
    ...(body.composition && { composition: body.composition }),
    ...(extra.template !== undefined && { template: extra.template }),
    created_at: now.toISOString(),
  };
  await ports.catalog.publishVersion(published);
  return published;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes. Credential views carry metadata only: never the material, nor where it is kept.

// A Cloud holds nothing secret: its wire shape is the stored entity's.
export const CloudViewSchema = CloudSchema;
export type CloudView = z.infer<typeof CloudViewSchema>;

export function cloudView(c: Cloud): CloudView {
  return {
    id: c.id,
    display_name: c.display_name,
    slug: c.slug,
    provider: c.provider,
    endpoint: c.endpoint,
    region_defaults: c.region_defaults,
    external_id: c.external_id,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

export const CredentialViewSchema = z.object({
  id: IdSchema,
  cloud_id: IdSchema,
  display_name: z.string(),
  version: z.number().int().min(1),
  status: CredentialStatusSchema,
  expires_at: TimestampSchema,
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  revoked_at: TimestampSchema.optional(),
  owner_id: IdSchema,
});
export type CredentialView = z.infer<typeof CredentialViewSchema>;

export function credentialView(c: CloudCredential, now: Date): CredentialView {
  return {
    id: c.id,
    cloud_id: c.cloud_id,
    display_name: c.display_name,
    version: c.version,
    status: credentialStatus(c, now),
    expires_at: c.expires_at,
    created_at: c.created_at,
    updated_at: c.updated_at,
    ...(c.revoked_at && { revoked_at: c.revoked_at }),
    owner_id: c.owner_id,
  };
}

export const BlueprintVersionViewSchema = z.object({
  id: IdSchema,
  version: z.string(),
  provider_kinds: z.array(ProviderKindSchema),
  injection_strategy: InjectionStrategySchema,
  parameter_schema: z.array(
    z.object({
      name: z.string(),
      type: ParameterTypeSchema,
      required: z.boolean(),
      default: z.union([z.boolean(), z.number(), z.string()]).optional(),
    }),
  ),
  created_at: TimestampSchema,
});
export type BlueprintVersionView = z.infer<typeof BlueprintVersionViewSchema>;

export function versionView(v: BlueprintVersion): BlueprintVersionView {
  return {
    id: v.id,
    version: v.version,
    provider_kinds: v.provider_kinds,
    injection_strategy: v.injection_strategy,
    parameter_schema: v.parameter_schema.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.default !== undefined && { default: p.default }),
    })),
    created_at: v.created_at,
  };
}

/** A blueprint with its versions (none in a list: GET the blueprint for them). */
export const BlueprintViewSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  display_name: z.string(),
  description: z.string(),
  status: BlueprintSchema.shape.status,
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  versions: z.array(BlueprintVersionViewSchema),
});
export type BlueprintView = z.infer<typeof BlueprintViewSchema>;

export function blueprintView(b: Blueprint, versions: BlueprintVersion[] = []): BlueprintView {
  return {
    id: b.id,
    slug: b.slug,
    display_name: b.display_name,
    description: b.description ?? '',
    status: b.status,
    created_at: b.created_at,
    updated_at: b.updated_at,
    versions: versions.map(versionView),
  };
}
