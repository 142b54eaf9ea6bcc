import * as z from 'zod';
import { IN_DOMAIN, pickView, TIMESTAMPS } from './entity.ts';
import { IdSchema } from './ids.ts';

// admin: runs the domain and all its projects; member: may own projects (handed over by an
// admin); auditor: reads, nothing more.
export const DomainRoleSchema = z.enum(['admin', 'member', 'auditor']);
export type DomainRole = z.infer<typeof DomainRoleSchema>;

/** The roles that may own a project: an owner keeps owner rights only while holding one in the project's domain. */
export const PROJECT_OWNER_ROLES: readonly DomainRole[] = ['admin', 'member'];

/** The domains in which the user holds any of `roles`. */
export function domainsWithRole(user: Pick<User, 'domain_roles'>, roles: readonly DomainRole[]): string[] {
  return Object.entries(user.domain_roles)
    .filter(([, held]) => held.some((r) => roles.includes(r)))
    .map(([domainId]) => domainId);
}

/** The domains in which the user holds a role that may own projects. */
export function ownerDomainsOf(user: Pick<User, 'domain_roles'>): string[] {
  return domainsWithRole(user, PROJECT_OWNER_ROLES);
}

export const DomainSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  name: z.string(),
  mesh_cidr: z.string(),
  ...TIMESTAMPS,
});
export type Domain = z.infer<typeof DomainSchema>;

export const IdpBindingSchema = z.object({
  ...IN_DOMAIN,
  label: z.string(),
  kind: z.enum(['password', 'oidc']),
  issuer_host: z.string(),
  primary: z.boolean(),
  platform_scoped: z.boolean(),
});
export type IdpBinding = z.infer<typeof IdpBindingSchema>;

export const UserSchema = z.object({
  ...IN_DOMAIN,
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
  ...IN_DOMAIN,
  name: z.string(),
  slug: SlugSchema,
  description: z.string().optional(),
  sub_range_cidr: z.string().optional(),
  owner_id: IdSchema,
  resource_count: z.number().int().nonnegative(),
  ...TIMESTAMPS,
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

export const TransferOwnerBodySchema = z.strictObject({
  user_id: IdSchema.describe("The new owner: a user with a role in the project's domain that may own projects (admin or member)."),
});

/** What a project looks like on the wire: no counter, and a description always (empty when none was given). */
export const ProjectViewSchema = ProjectSchema.omit({ resource_count: true }).extend({
  // The wire has always promised a plain string, not the create-time slug pattern.
  slug: z.string(),
  description: z.string(),
});
export type ProjectView = z.infer<typeof ProjectViewSchema>;

export function projectView(p: Project): ProjectView {
  return pickView(ProjectViewSchema, { ...p, description: p.description ?? '' });
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
  return pickView(DomainViewSchema, { ...d, reachability: DEFAULT_REACHABILITY });
}
