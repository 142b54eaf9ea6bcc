// Blueprints of the platform catalog and their immutable versions. Only the platform operator
// reads or manages them.
import * as z from 'zod';
import type { Authorizer, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { pickView, TIMESTAMPS } from '../entity.ts';
import { type FieldError, found } from '../errors.ts';
import { IdSchema, newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import { BlueprintParameterSchema, parseParameterSchema } from './parameter-schema.ts';
import {
  CatalogSlugSchema,
  DisplayNameSchema,
  field,
  fieldError,
  type Input,
  JsonObjectSchema,
  mayManage,
  mayRead,
  TimestampSchema,
} from './shared.ts';
import { StorableJsonObjectSchema } from './storable-json.ts';

export const PROVIDER_KINDS = ['aws', 'gcp', 'hetzner', 'openstack'] as const;
export const INJECTION_STRATEGIES = ['cloud-init-user-data', 'helm-values', 'provider-secret'] as const;
export const ProviderKindSchema = z.enum(PROVIDER_KINDS);
export const InjectionStrategySchema = z.enum(INJECTION_STRATEGIES);

/** The blueprint as stored (and parsed back on read). */
export const BlueprintSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  display_name: z.string(),
  description: z.string().optional(),
  status: z.enum(['active', 'retired']),
  ...TIMESTAMPS,
});
export type Blueprint = z.infer<typeof BlueprintSchema>;

/** A published version as stored (and parsed back on read). */
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

// Request bodies check structure (`invalid_body`); the use cases check the values with the contract's codes.
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

/** The blueprints of the CatalogStore. Every method reads base-table items consistently. */
export interface BlueprintStore {
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

export interface BlueprintPorts {
  catalog: BlueprintStore;
  authorizer: Authorizer;
  clock: Clock;
}

const VersionStringSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, 'letters, digits, dots, dashes, pluses and underscores, at most 128 characters');

export async function createBlueprint(ports: BlueprintPorts, subject: AuthzSubject, input: Input<CreateBlueprintBody>): Promise<Blueprint> {
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

async function requireBlueprint(ports: Pick<BlueprintPorts, 'catalog'>, id: string): Promise<Blueprint> {
  return found(ports.catalog.getBlueprint(id), 'blueprint_not_found', `No blueprint with id ${id}.`);
}

export async function getBlueprint(
  ports: BlueprintPorts,
  subject: AuthzSubject,
  id: string,
): Promise<{ blueprint: Blueprint; versions: BlueprintVersion[] }> {
  await mayRead(ports, subject);
  const blueprint = await requireBlueprint(ports, id);
  return { blueprint, versions: await ports.catalog.listVersions(id) };
}

export async function listBlueprints(ports: BlueprintPorts, subject: AuthzSubject, page: PageRequest): Promise<Page<Blueprint>> {
  await mayRead(ports, subject);
  return ports.catalog.listBlueprints(page);
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
  ports: BlueprintPorts,
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

// The contract's read shape of a version: no blueprint id, manifests or substrate template.
// Names stay plain strings, as the published document always had them; the name rule is checked on publish.
const ParameterViewSchema = BlueprintParameterSchema.extend({ name: z.string() });

export const BlueprintVersionViewSchema = BlueprintVersionSchema.pick({
  id: true,
  version: true,
  provider_kinds: true,
  injection_strategy: true,
  created_at: true,
}).extend({
  parameter_schema: z.array(ParameterViewSchema),
});
export type BlueprintVersionView = z.infer<typeof BlueprintVersionViewSchema>;

export function versionView(v: BlueprintVersion): BlueprintVersionView {
  return {
    id: v.id,
    version: v.version,
    provider_kinds: v.provider_kinds,
    injection_strategy: v.injection_strategy,
    // With their constraints, so a client can offer what the server will accept.
    parameter_schema: v.parameter_schema.map((p) => pickView(ParameterViewSchema, p)),
    created_at: v.created_at,
  };
}

/** A blueprint with its versions (none in a list: GET the blueprint for them). The wire always has a description, '' when none. */
export const BlueprintViewSchema = BlueprintSchema.extend({
  description: z.string(),
  versions: z.array(BlueprintVersionViewSchema),
});
export type BlueprintView = z.infer<typeof BlueprintViewSchema>;

export function blueprintView(b: Blueprint, versions: BlueprintVersion[] = []): BlueprintView {
  return pickView(BlueprintViewSchema, { ...b, description: b.description ?? '', versions: versions.map(versionView) });
}
