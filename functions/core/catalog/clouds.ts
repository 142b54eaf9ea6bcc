// Clouds of the platform catalog: where resources are provisioned. Only the platform operator
// reads or manages them.
import * as z from 'zod';
import type { Authorizer, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { pickView, TIMESTAMPS } from '../entity.ts';
import { found, InvalidInputError } from '../errors.ts';
import { IdSchema, newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import {
  AwsEndpointSchema,
  AwsRegionDefaultsSchema,
  CloudProviderSchema,
  type CloudProvider,
  ENDPOINT_SCHEMAS,
  REGION_DEFAULTS_SCHEMAS,
} from './provider-keys.ts';
import { CatalogSlugSchema, DisplayNameSchema, field, type Input, JsonObjectSchema, mayManage, mayRead } from './shared.ts';
import { StorableJsonObjectSchema } from './storable-json.ts';

/** The cloud as stored (and parsed back on read). */
export const CloudSchema = z.object({
  id: IdSchema,
  display_name: z.string(),
  slug: z.string(),
  provider: CloudProviderSchema,
  endpoint: JsonObjectSchema,
  region_defaults: JsonObjectSchema,
  external_id: z.string(),
  ...TIMESTAMPS,
});
export type Cloud = z.infer<typeof CloudSchema>;

// Request bodies check structure (`invalid_body`); the use cases check the values with the contract's codes.
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

/** The clouds of the CatalogStore. Every method reads base-table items consistently. */
export interface CloudStore {
  /** Claims the slug, then writes the cloud; ConflictError `cloud_slug_conflict`. */
  createCloud(cloud: Cloud): Promise<void>;
  getCloud(id: string): Promise<Cloud | undefined>;
  listClouds(page: PageRequest): Promise<Page<Cloud>>;
  /** Sets the given fields; NotFoundError `cloud_not_found` when the cloud is gone. */
  patchCloud(id: string, patch: Partial<Pick<Cloud, 'display_name' | 'endpoint' | 'region_defaults'>>, updatedAt: string): Promise<Cloud>;
  /** Deletes a cloud that never had a credential; ConflictError `cloud_not_empty`, NotFoundError. */
  deleteCloud(cloud: Cloud): Promise<void>;
}

export interface CloudConfig {
  /** http:// endpoints are accepted (the embedded stack's local clouds); otherwise https only. */
  allowHttpEndpoints: boolean;
}

export interface CloudPorts {
  catalog: CloudStore;
  authorizer: Authorizer;
  clock: Clock;
  /** Absent: the strict default, https endpoints only. */
  config?: Partial<CloudConfig>;
}

function checkEndpoint(provider: CloudProvider, endpoint: Record<string, unknown>, config: CloudPorts['config']): Record<string, unknown> {
  field(ENDPOINT_SCHEMAS[provider], endpoint, 'endpoint', 'invalid_cloud_endpoint');
  // The substrate sends the credential's keys to this URL: over plain http they could be read on the way.
  const url = typeof endpoint.url === 'string' ? endpoint.url : undefined;
  if (url !== undefined && new URL(url).protocol !== 'https:' && config?.allowHttpEndpoints !== true) {
    throw new InvalidInputError('insecure_endpoint', `endpoint.url must be an https:// URL, not "${url}".`, {
      errors: [{ path: 'endpoint.url', message: 'must be https' }],
    });
  }
  return endpoint;
}

function checkRegionDefaults(provider: CloudProvider, regionDefaults: Record<string, unknown>): Record<string, unknown> {
  field(REGION_DEFAULTS_SCHEMAS[provider], regionDefaults, 'region_defaults', 'invalid_cloud_region_defaults');
  return regionDefaults;
}

/**
 * The regions Resources on the cloud may run in: for aws, the endpoint's region and any
 * `region_defaults.allowed_regions`. Other providers declare none yet.
 */
export function cloudRegions(cloud: Pick<Cloud, 'provider' | 'endpoint' | 'region_defaults'>): string[] {
  if (cloud.provider !== 'aws') return [];
  const allowed = AwsRegionDefaultsSchema.safeParse(cloud.region_defaults).data?.allowed_regions ?? [];
  const endpoint = AwsEndpointSchema.safeParse(cloud.endpoint);
  // The Cloud's own region is always among them: a Resource that names no region launches there.
  const home = endpoint.success ? [endpoint.data.region] : [];
  return [...new Set([...home, ...allowed])];
}

/**
 * Creates a cloud. Primary course:
 * 1. the caller manages the catalog;
 * 2. the body's values are valid for the provider;
 * 3. the cloud is written together with its slug (one transaction).
 */
export async function createCloud(ports: CloudPorts, subject: AuthzSubject, input: Input<CreateCloudBody>): Promise<Cloud> {
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
    endpoint: checkEndpoint(provider, body.endpoint, ports.config),
    region_defaults: checkRegionDefaults(provider, body.region_defaults),
    external_id,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  await ports.catalog.createCloud(cloud);
  return cloud;
}

/** The cloud, or NotFoundError `cloud_not_found`. */
export async function requireCloud(ports: { catalog: Pick<CloudStore, 'getCloud'> }, id: string): Promise<Cloud> {
  return found(ports.catalog.getCloud(id), 'cloud_not_found', `No cloud with id ${id}.`);
}

export async function getCloud(ports: CloudPorts, subject: AuthzSubject, id: string): Promise<Cloud> {
  await mayRead(ports, subject);
  return requireCloud(ports, id);
}

export async function listClouds(ports: CloudPorts, subject: AuthzSubject, page: PageRequest): Promise<Page<Cloud>> {
  await mayRead(ports, subject);
  return ports.catalog.listClouds(page);
}

/** Patches display name, endpoint or region defaults; slug and provider are immutable. */
export async function patchCloud(ports: CloudPorts, subject: AuthzSubject, id: string, input: Input<PatchCloudBody>): Promise<Cloud> {
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
  if (body.endpoint !== undefined) patch.endpoint = checkEndpoint(cloud.provider, body.endpoint, ports.config);
  if (body.region_defaults !== undefined) patch.region_defaults = checkRegionDefaults(cloud.provider, body.region_defaults);
  return ports.catalog.patchCloud(id, patch, ports.clock.now().toISOString());
}

export async function deleteCloud(ports: CloudPorts, subject: AuthzSubject, id: string): Promise<void> {
  await mayManage(ports, subject);
  await ports.catalog.deleteCloud(await requireCloud(ports, id));
}

// A Cloud holds nothing secret: its wire shape is the stored entity's.
export const CloudViewSchema = CloudSchema;
export type CloudView = z.infer<typeof CloudViewSchema>;

export function cloudView(c: Cloud): CloudView {
  return pickView(CloudViewSchema, c);
}
