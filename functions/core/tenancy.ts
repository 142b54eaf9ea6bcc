import { z } from 'zod';
import { IdSchema } from './ids.ts';

export const DomainRoleSchema = z.enum(['admin', 'auditor']);
export type DomainRole = z.infer<typeof DomainRoleSchema>;

export const DomainSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  name: z.string(),
  mesh_cidr: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Domain = z.infer<typeof DomainSchema>;

export const IdpBindingSchema = z.object({
  id: IdSchema,
  domain_id: IdSchema,
  label: z.string(),
  kind: z.enum(['password', 'oidc']),
  issuer_host: z.string(),
  primary: z.boolean(),
  platform_scoped: z.boolean(),
});
export type IdpBinding = z.infer<typeof IdpBindingSchema>;

export const UserSchema = z.object({
  id: IdSchema,
  domain_id: IdSchema,
  email: z.string(),
  display_name: z.string(),
  password_hash: z.string(),
  platform_operator: z.boolean(),
  domain_roles: z.record(z.string(), z.array(DomainRoleSchema)),
  created_at: z.string(),
});
export type User = z.infer<typeof UserSchema>;

export const CidrSchema = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'an IPv4 CIDR such as 10.0.0.0/24');

export const SLUG_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const SlugSchema = z.string().regex(SLUG_PATTERN, 'lowercase letters, digits and dashes, 1-63 characters');

export const ProjectSchema = z.object({
  id: IdSchema,
  domain_id: IdSchema,
  name: z.string(),
  slug: SlugSchema,
  description: z.string().optional(),
  sub_range_cidr: z.string().optional(),
  owner_id: IdSchema,
  resource_count: z.number().int().nonnegative(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Project = z.infer<typeof ProjectSchema>;

export const CreateProjectBodySchema = z.strictObject({
  domain_id: IdSchema,
  name: z.string().trim().min(1).max(200),
  slug: SlugSchema,
  description: z.string().max(2000).optional(),
  sub_range_cidr: CidrSchema.optional(),
});

export const PatchProjectBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'at least one field must be given');

/** What a project looks like on the wire: no counter, and a description always (empty when none was given). */
export const ProjectViewSchema = ProjectSchema.omit({ resource_count: true }).extend({
  // The wire has always promised a plain string, not the create-time slug pattern.
  slug: z.string(),
  description: z.string(),
});
export type ProjectView = z.infer<typeof ProjectViewSchema>;

export function projectView(p: Project): ProjectView {
  return {
    id: p.id,
    domain_id: p.domain_id,
    name: p.name,
    slug: p.slug,
    description: p.description ?? '',
    ...(p.sub_range_cidr && { sub_range_cidr: p.sub_range_cidr }),
    owner_id: p.owner_id,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

// The platform's default heartbeat policy; domains carry no override yet.
const DEFAULT_REACHABILITY = { heartbeat_interval: '30s', stale_after: '90s', unreachable_after: '5m' };

// The domain with its heartbeat policy; the picks keep the wire's key order.
export const DomainViewSchema = DomainSchema.pick({ id: true, slug: true, name: true, mesh_cidr: true }).extend({
  reachability: z.object({ heartbeat_interval: z.string(), stale_after: z.string(), unreachable_after: z.string() }),
  ...DomainSchema.pick({ created_at: true, updated_at: true }).shape,
});
export type DomainView = z.infer<typeof DomainViewSchema>;

export function domainView(d: Domain): DomainView {
  return {
    id: d.id,
    slug: d.slug,
    name: d.name,
    mesh_cidr: d.mesh_cidr,
    reachability: DEFAULT_REACHABILITY,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
