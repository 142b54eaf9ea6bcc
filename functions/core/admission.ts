import * as z from 'zod';
import type { Assignment, AssignmentStore } from './assignments/assignment.ts';
import type { CredentialDirectory } from './assignments/credential-directory.ts';
import { type BlueprintVersion, BlueprintVersionViewSchema, versionView } from './catalog/blueprints.ts';
import type { CatalogStore } from './catalog/store.ts';
import { versionNotAllowed, quotaExceeded } from './assignments/terms.ts';
import { usableHandle } from './assignments/use-cases.ts';
import type { Clock } from './clock.ts';
import { BrokerError, UnprocessableError } from './errors.ts';
import { newId } from './ids.ts';
import { parameterContext, validateParameters } from './parameters.ts';
import type { Project } from './tenancy.ts';
import { type CreateResourceBody, type Lease, type Resource, ResourceViewSchema } from './resources.ts';
import { resolverFor, type SubstrateResolvers } from './substrate.ts';

// Admission: every check a create runs before it spends anything, in one place, so that a create
// and its dry run cannot disagree. Checks that need nothing written (the blueprint version, its
// parameters' constraints, the credential's approval, the Cloud's provider, the terms' versions and
// lease ceiling, the quota as read) are collected here; the quota is then taken atomically with
// the Resource's write (ResourceStore.create), which re-checks the terms that can change under us.

export interface AdmissionConfig {
  /** The lease of a Resource whose assignment sets no terms on it (seven days by default). */
  defaultLeaseSeconds: number;
}

export const QuotaViewSchema = z.object({ limit: z.number().int().nullable(), live: z.number().int() });

/** The version a plan was judged against, with its parameters and their constraints. */
export const PlanVersionViewSchema = BlueprintVersionViewSchema.pick({ id: true, version: true, parameter_schema: true });
export type PlanVersionView = z.infer<typeof PlanVersionViewSchema>;

export function planVersionView(v: BlueprintVersion): PlanVersionView {
  const { id, version, parameter_schema } = versionView(v);
  return { id, version, parameter_schema };
}

/**
 * A dry run's answer: would the create be admitted, why not, and what it would store. It names
 * the blueprint version's parameters (constraints included), so a client can build its form from
 * what the server checks without the right to read the catalog.
 */
export const CreatePlanViewSchema = z.object({
  allowed: z.boolean(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
  resource: ResourceViewSchema,
  quota: QuotaViewSchema,
  blueprint_version: PlanVersionViewSchema.optional(),
});

/** What admission reads. */
export interface AdmissionPorts {
  catalog: CatalogStore;
  credentials: CredentialDirectory;
  assignments: AssignmentStore;
  substrateResolvers: SubstrateResolvers;
  clock: Clock;
  config: AdmissionConfig;
}

type ProvisionedBody = Extract<CreateResourceBody, { origin: 'provisioned' }>;

export interface Admission {
  /** The Resource as it would be stored. */
  resource: Resource;
  /** Every check that failed, in the order a create answers them (the first is the one it throws). */
  refusals: BrokerError[];
  quota: { limit: number | null; live: number };
  /** The version judged against, when the project may see it: through an approved assignment of the credential. */
  version?: BlueprintVersion | undefined;
}

/** A refusal is data here: a create throws the first, a dry run lists them all. */
async function check<T>(refusals: BrokerError[], run: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err;
    refusals.push(err);
    return undefined;
  }
}

function leaseOf(now: Date, seconds: number, ceilingSeconds: number | undefined): Lease {
  const after = (s: number) => new Date(now.getTime() + s * 1000).toISOString();
  return { expires_at: after(seconds), max_expires_at: ceilingSeconds === undefined ? null : after(ceilingSeconds) };
}

/**
 * Judges a provisioned Resource's create. Authorization on the project comes first (the caller's
 * business, not a refusal of the plan) and is done by the caller.
 */
export async function admitProvisioned(
  ports: AdmissionPorts,
  project: Project,
  base: Pick<Resource, 'id' | 'project_id' | 'domain_id' | 'kind' | 'created_at' | 'updated_at' | 'created_by'>,
  body: ProvisionedBody,
): Promise<Admission> {
  const refusals: BrokerError[] = [];
  const now = new Date(base.created_at);
  const version = await ports.catalog.getVersionById(body.blueprint_version_id);
  if (!version) refusals.push(new UnprocessableError('blueprint_version_not_found', 'No blueprint version has that id.'));
  // The Cloud is read only through an approved assignment: its regions are catalog data, which a
  // project may see only for a credential it was granted (else the same answer whether or not the
  // credential exists).
  const approval: BrokerError[] = [];
  const usable = await check(approval, () => usableHandle(ports, project.id, body.cloud_credential_id));
  const cloud = usable && (await ports.catalog.getCloud(usable.credential.cloud_id));
  const given = body.parameters as Record<string, unknown> | undefined;
  const parameters =
    version && (await check(refusals, () => validateParameters(version.parameter_schema, given, cloud ? parameterContext(cloud) : {})));
  refusals.push(...approval);
  if (usable) {
    if (!cloud) refusals.push(new UnprocessableError('cloud_not_found', "The credential's cloud no longer exists."));
    else await check(refusals, () => resolverFor(ports.substrateResolvers, cloud));
  }
  const assignment: Assignment | undefined = usable?.assignment;
  const terms = assignment?.terms;
  const versionAllowed = !terms?.allowed_blueprint_version_ids || terms.allowed_blueprint_version_ids.includes(body.blueprint_version_id);
  if (!versionAllowed) refusals.push(versionNotAllowed(body.blueprint_version_id));
  const ceiling = terms?.max_lease_seconds;
  const leaseSeconds = body.lease_seconds ?? ceiling ?? ports.config.defaultLeaseSeconds;
  if (ceiling !== undefined && leaseSeconds > ceiling) {
    refusals.push(
      new UnprocessableError(
        'lease_beyond_terms',
        `A lease of ${leaseSeconds} s is longer than the ${ceiling} s the assignment's terms allow.`,
        { max_lease_seconds: ceiling },
      ),
    );
  }
  const quota = { limit: terms?.max_live_resources ?? null, live: assignment?.live_resources ?? 0 };
  if (quota.limit !== null && quota.live >= quota.limit) refusals.push(quotaExceeded(quota.limit, quota.live));
  const at = base.created_at;
  const resource: Resource = {
    ...base,
    origin: 'provisioned',
    external_ref: base.id,
    blueprint_id: version?.blueprint_id ?? body.blueprint_version_id,
    blueprint_version_id: body.blueprint_version_id,
    cloud_id: usable?.credential.cloud_id ?? '',
    cloud_credential_id: body.cloud_credential_id,
    parameters: parameters ?? {},
    ...(usable && { credential_handle: usable.handle, assignment_id: usable.assignment.id, quota_slot: usable.assignment.id }),
    lease: leaseOf(now, Math.min(leaseSeconds, ceiling ?? leaseSeconds), ceiling),
    provisioning: {
      phase: 'Pending',
      generation: 1,
      run: 'provision',
      provisioned_resource_id: newId(now.getTime()),
      reason: 'Accepted; waiting for the broker to apply the substrate.',
      waiting_on: 'substrate-apply',
      transitions: [{ phase: 'Pending', at }],
    },
  };
  // The version's schema is shown only to a project that may provision it: approved for the
  // credential, and the terms (if they list versions) name it.
  return { resource, refusals, quota, version: usable && versionAllowed ? version : undefined };
}
