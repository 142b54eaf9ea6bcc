// Cloud credentials: their metadata lives in the catalog, their material in the vault. Only the
// platform operator reads or manages them, and the wire never carries the material.
import { fromBase64, isStandardBase64 } from '../base64.ts';
import * as z from 'zod';
import type { Authorizer, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { TIMESTAMPS } from '../entity.ts';
import { found, InvalidInputError, UnprocessableError } from '../errors.ts';
import { IdSchema, newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import type { Vault } from '../vault.ts';
import { type CloudStore, requireCloud } from './clouds.ts';
import { type CredentialSecret, checkPayloadForProvider } from './provider-keys.ts';
import { DisplayNameSchema, field, type Input, mayManage, mayRead, TimestampSchema } from './shared.ts';

/** Maximum decoded credential payload the contract accepts (base64 text of at most 4096 characters). */
export const MAX_PAYLOAD_CHARS = 4096;
/** Credentials issued without `expires_at` live this long. */
export const DEFAULT_CREDENTIAL_TTL_MS = 365 * 24 * 60 * 60 * 1000;

/** The credential as stored (and parsed back on read). */
export const CloudCredentialSchema = z.object({
  id: IdSchema,
  cloud_id: IdSchema,
  display_name: z.string(),
  version: z.number().int().min(1),
  owner_id: IdSchema,
  expires_at: TimestampSchema,
  ...TIMESTAMPS,
  revoked_at: TimestampSchema.optional(),
  revoke_reason: z.string().optional(),
  /** Where the material lives; storage-internal, never on the wire. */
  secret_arn: z.string(),
  secret_version_id: z.string(),
});
export type CloudCredential = z.infer<typeof CloudCredentialSchema>;

export const CredentialStatusSchema = z.enum(['active', 'expired', 'revoked']);
export type CredentialStatus = z.infer<typeof CredentialStatusSchema>;

// Request bodies check structure (`invalid_body`); the use cases check the values with the contract's codes.
export const IssueCredentialBodySchema = z.strictObject({
  display_name: z.string(),
  payload: z.string(),
  key_values: z.record(z.string(), z.string()).optional(),
  expires_at: z.string().optional(),
});
export type IssueCredentialBody = z.infer<typeof IssueCredentialBodySchema>;

export const RevokeCredentialBodySchema = z.strictObject({ reason: z.string() });
export type RevokeCredentialBody = z.infer<typeof RevokeCredentialBodySchema>;

/** The credentials of the CatalogStore. Every method reads base-table items consistently. */
export interface CredentialStore {
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
}

export interface CatalogConfig {
  /** Credential material is vaulted under this prefix and the credential's id. */
  credentialSecretPrefix: string;
}

export interface CredentialPorts {
  /** Credentials, and their clouds read to check one exists. */
  catalog: Pick<CloudStore, 'getCloud'> & CredentialStore;
  vault: Vault;
  authorizer: Authorizer;
  clock: Clock;
  config: CatalogConfig;
}

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
  if (!isStandardBase64(payload)) {
    throw new InvalidInputError('invalid_payload', 'payload must be standard base64 (RFC 4648, with padding).', {
      errors: [{ path: 'payload', message: 'not standard base64' }],
    });
  }
  return fromBase64(payload);
}

export function credentialStatus(c: Pick<CloudCredential, 'revoked_at' | 'expires_at'>, now: Date): CredentialStatus {
  if (c.revoked_at) return 'revoked';
  if (Date.parse(c.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

export function credentialSecretName(ports: Pick<CredentialPorts, 'config'>, credentialId: string): string {
  return `${ports.config.credentialSecretPrefix}${credentialId}`;
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
  ports: CredentialPorts,
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
  ports: CredentialPorts,
  subject: AuthzSubject,
  cloudId: string,
  page: PageRequest,
): Promise<Page<CloudCredential>> {
  await mayRead(ports, subject);
  await requireCloud(ports, cloudId);
  return ports.catalog.listCredentials(cloudId, page);
}

async function requireCredential(ports: Pick<CredentialPorts, 'catalog'>, id: string): Promise<CloudCredential> {
  return found(ports.catalog.getCredential(id), 'cloud_credential_not_found', `No cloud credential with id ${id}.`);
}

export async function getCredential(ports: CredentialPorts, subject: AuthzSubject, id: string): Promise<CloudCredential> {
  await mayRead(ports, subject);
  return requireCredential(ports, id);
}

/**
 * Revokes a credential: one conditional write stamps `revoked_at`. Revoking again answers the
 * unchanged credential, as the contract's idempotent revoke does. The vaulted material stays:
 * teardown of machines provisioned with it still needs it.
 */
export async function revokeCredential(
  ports: CredentialPorts,
  subject: AuthzSubject,
  id: string,
  input: Input<RevokeCredentialBody>,
): Promise<CloudCredential> {
  await mayManage(ports, subject);
  const reason = field(z.string().trim().min(1, 'must not be blank').max(1024), input().reason, 'reason', 'invalid_revoke_reason');
  const { credential } = await ports.catalog.revokeCredential(id, ports.clock.now().toISOString(), reason);
  return credential;
}

// Metadata only: never the material, nor where it is kept.
export const CredentialViewSchema = CloudCredentialSchema.omit({ revoke_reason: true, secret_arn: true, secret_version_id: true }).extend({
  status: CredentialStatusSchema,
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
