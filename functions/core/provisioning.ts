import { requireAllowed } from './access.ts';
import type { AssignmentStore } from './assignments/assignment.ts';
import type { CredentialDirectory } from './assignments/credential-directory.ts';
import { type AuditLog, auditRefusal } from './assignments/audit.ts';
import { type AdmissionConfig, admitProvisioned, type PlanVersionView, planVersionView } from './admission.ts';
import type { AuthzSubject, Authorizer } from './authz/model.ts';
import type { CatalogStore } from './catalog/store.ts';
import type { Clock } from './clock.ts';
import { BrokerError, ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import type { Page, PageRequest } from './pagination.ts';
import { armLeaseTimers, type LeaseTimers } from './lease-timers.ts';
import type { TenancyStore } from './ports.ts';
import { authorizedProject, projectResource } from './projects.ts';
import { type CreateResourceBody, DELETABLE, type Provisioning, type Resource, type ResourceStore, type RunStart } from './resources.ts';
import { createRefusedEvent } from './events/drafts.ts';
import { type EventLog, userActor } from './events/event.ts';
import type { SubstrateResolvers } from './substrate.ts';
import type { Project } from './tenancy.ts';

/** Starts and stops the phase arcs (Step Functions on AWS and locally). */
export interface Orchestrator {
  /** Starts the run `<resource id>-<generation>`; starting one that already exists is a no-op. */
  start(run: 'provision' | 'teardown', resourceId: string, generation: number): Promise<void>;
  /** Stops the run if it is still going. */
  stop(run: 'provision' | 'teardown', resourceId: string, generation: number): Promise<void>;
  isRunning(run: 'provision' | 'teardown', resourceId: string, generation: number): Promise<boolean>;
}

export interface ProvisioningPorts {
  tenancy: TenancyStore;
  catalog: CatalogStore;
  assignments: AssignmentStore;
  credentials: CredentialDirectory;
  resources: ResourceStore;
  orchestrator: Orchestrator;
  /** Only asked whether the Cloud's provider has one: the steps resolve the launch. */
  substrateResolvers: SubstrateResolvers;
  leases: LeaseTimers;
  audit: AuditLog;
  events: EventLog;
  authorizer: Authorizer;
  clock: Clock;
  config: AdmissionConfig;
}

export interface CreateOptions {
  idempotency?: { key: string; requestHash: string } | undefined;
  correlationId?: string | undefined;
}

/** What a dry run answers: the plan, and every reason it would be refused. */
export interface CreatePlan {
  allowed: boolean;
  reasons: Array<{ code: string; message: string }>;
  resource: Resource;
  quota: { limit: number | null; live: number };
  blueprint_version?: PlanVersionView;
}

/** The fields every new Resource has, whatever its origin. */
function baseOf(project: Project, subject: AuthzSubject, now: Date, kind: string) {
  const at = now.toISOString();
  return {
    id: newId(now.getTime()),
    project_id: project.id,
    domain_id: project.domain_id,
    kind,
    created_at: at,
    updated_at: at,
    created_by: subject.userId,
  };
}

/**
 * Plans a provisioned Resource's create without writing anything: every admission check runs,
 * and each one that fails is a reason.
 */
export async function planResource(
  ports: ProvisioningPorts,
  subject: AuthzSubject,
  projectId: string,
  body: CreateResourceBody,
): Promise<CreatePlan> {
  const project = await authorizedProject(ports, subject, projectId, 'deploy');
  const base = baseOf(project, subject, ports.clock.now(), body.kind);
  if (body.origin === 'adopted') {
    return { allowed: true, reasons: [], resource: adopted(base, body), quota: { limit: null, live: 0 } };
  }
  const { resource, refusals, quota, version } = await admitProvisioned(ports, project, base, body);
  const reasons = refusals.map((r) => ({ code: r.code, message: r.message }));
  return { allowed: refusals.length === 0, reasons, resource, quota, ...(version && { blueprint_version: planVersionView(version) }) };
}

/** What a refused create is audited as. */
const createdIn = (project: Project) => ({ domainId: project.domain_id, action: 'resource.create', target: `projects/${project.id}` });

function adopted(base: ReturnType<typeof baseOf>, body: Extract<CreateResourceBody, { origin: 'adopted' }>): Resource {
  return { ...base, origin: 'adopted', ...(body.external_ref && { external_ref: body.external_ref }) };
}

/**
 * Declares a Resource. Primary course:
 * 1. the caller may deploy in the project;
 * 2. for a provisioned Resource, admission (./admission.ts): the blueprint version and its
 *    parameters' constraints, an approved assignment of the named credential (its handle is
 *    pinned), the Cloud's provider, the assignment's terms and quota; a refusal is audited;
 * 3. the lease's timer is armed (before the write: a timer for a Resource never stored finds
 *    nothing to do, while a stored Resource with no timer would never expire);
 * 4. the Resource is written at phase Pending with its quota slot (behind its Idempotency-Key,
 *    if any), in one transaction;
 * 5. the provision run is started. If that start is lost, the reconciler starts it.
 */
export async function createResource(
  ports: ProvisioningPorts,
  subject: AuthzSubject,
  projectId: string,
  body: CreateResourceBody,
  opts: CreateOptions = {},
): Promise<{ resource: Resource; replayed: boolean }> {
  const { idempotency } = opts;
  const project = await authorizedProject(ports, subject, projectId, 'deploy');
  if (idempotency) {
    const reserved = await ports.resources.reservedId(project.id, idempotency.key);
    if (reserved && reserved.requestHash !== idempotency.requestHash) {
      throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
    }
    const existing = reserved && (await ports.resources.get(reserved.id));
    if (existing) return { resource: existing, replayed: true };
  }
  const base = baseOf(project, subject, ports.clock.now(), body.kind);
  const actor = { subject, correlationId: opts.correlationId ?? '' };
  let resource: Resource;
  if (body.origin === 'adopted') resource = adopted(base, body);
  else {
    const admission = await admitProvisioned(ports, project, base, body);
    const [refusal] = admission.refusals;
    if (refusal) throw await refusedCreate(ports, actor, project, refusal);
    resource = admission.resource;
    if (resource.lease) await armLeaseTimers(ports.leases, resource.id, new Date(resource.lease.expires_at), ports.clock.now());
  }
  if (idempotency) resource.request_hash = idempotency.requestHash;
  let result: { resource: Resource; replayed: boolean };
  try {
    result = await ports.resources.create(resource, idempotency);
  } catch (err) {
    // Lost the race for the last slot (or a revoke or a narrowing landed first).
    if (err instanceof BrokerError && ['quota_exceeded', 'credential_not_approved', 'blueprint_version_not_allowed'].includes(err.code)) {
      throw await refusedCreate(ports, actor, project, err);
    }
    throw err;
  }
  const p = result.resource.provisioning;
  if (p && p.phase === 'Pending') await ports.orchestrator.start('provision', result.resource.id, p.generation);
  return result;
}

/** A refused create leaves its trace in the audit trail and the event log (and nothing else); answers the refusal. */
async function refusedCreate(
  ports: Pick<ProvisioningPorts, 'audit' | 'events' | 'clock'>,
  actor: { subject: AuthzSubject; correlationId: string },
  project: Project,
  refusal: BrokerError,
): Promise<BrokerError> {
  await auditRefusal(ports, actor, createdIn(project), refusal);
  const where = { domain_id: project.domain_id, project_id: project.id };
  const at = ports.clock.now().toISOString();
  await ports.events.append([
    createRefusedEvent(
      where,
      { code: refusal.code, detail: { message: refusal.message, ...refusal.extra } },
      at,
      userActor(actor.subject.userId),
    ),
  ]);
  return refusal;
}

export async function getResource(
  ports: Pick<ProvisioningPorts, 'tenancy' | 'resources' | 'authorizer'>,
  subject: AuthzSubject,
  id: string,
): Promise<Resource> {
  const resource = await readableResource(ports, subject, id);
  // A deleted adopted Resource is gone, as the contract has it (its delete removes the row).
  if (resource.deleted_at !== undefined) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
  return resource;
}

/** The Resource, deleted or not, when the caller may read it. */
export async function readableResource(
  ports: Pick<ProvisioningPorts, 'tenancy' | 'resources' | 'authorizer'>,
  subject: AuthzSubject,
  id: string,
): Promise<Resource> {
  return (await readableWithProject(ports, subject, id)).resource;
}

/**
 * A Resource the caller may read and deploy in (delete it, move its lease). Once its project is
 * gone only its creator reads it, and there is no project left to check deploy on.
 */
export async function deployableResource(
  ports: Pick<ProvisioningPorts, 'tenancy' | 'resources' | 'authorizer'>,
  subject: AuthzSubject,
  id: string,
): Promise<Resource> {
  const { resource, project } = await readableWithProject(ports, subject, id);
  if (project) await requireAllowed(ports.authorizer, subject, 'deploy', projectResource(project));
  return resource;
}

/** A Resource the caller may read, with the project it was read through (absent: the project is gone). */
async function readableWithProject(
  ports: Pick<ProvisioningPorts, 'tenancy' | 'resources' | 'authorizer'>,
  subject: AuthzSubject,
  id: string,
): Promise<{ resource: Resource; project: Project | undefined }> {
  const resource = await ports.resources.get(id);
  if (!resource) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
  const project = await ports.tenancy.getProject(resource.project_id);
  if (project) await requireAllowed(ports.authorizer, subject, 'read', projectResource(project));
  else if (resource.created_by !== subject.userId) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
  return { resource, project };
}

export async function listResources(
  ports: ProvisioningPorts,
  subject: AuthzSubject,
  projectId: string,
  page: PageRequest,
): Promise<Page<Resource>> {
  await authorizedProject(ports, subject, projectId, 'read');
  return ports.resources.listByProject(projectId, page);
}

/**
 * Deletes a Resource. A provisioned one: its teardown arc starts. Primary course:
 * 1. the caller may deploy in (and so tear down from) the project;
 * 2. its teardown starts (startTeardown).
 * Deleting while a teardown runs, or after Deleted, starts nothing; after a failed teardown it
 * starts a new one.
 * An adopted one has nothing the broker tears down (no substrate, token or node): one conditional
 * write marks it deleted and the project stops counting it, at once (`removed`). Deleting it
 * again finishes that delete if it was cut short, and answers the same.
 */
export async function deleteResource(ports: ProvisioningPorts, subject: AuthzSubject, id: string): Promise<'teardown' | 'removed'> {
  const resource = await deployableResource(ports, subject, id);
  if (resource.origin === 'adopted') {
    const retired = await ports.resources.retireAdopted(resource.id, ports.clock.now().toISOString(), userActor(subject.userId));
    if (!retired) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
    return 'removed';
  }
  if (!resource.provisioning)
    throw new ConflictError('resource_not_provisioned', 'Only provisioned resources are torn down by the broker.');
  await startTeardown(ports, resource, {
    reasonCode: 'delete_requested',
    reason: 'Delete requested; draining the node out of the mesh.',
    actor: userActor(subject.userId),
  });
  return 'teardown';
}

/**
 * Starts a provisioned Resource's teardown (delete, an expired lease, a revoke that asks for it):
 * one conditional write bumps the generation and enters Deregistering, which fences every late
 * step of the provision run; then the provision run is stopped and the teardown run started.
 * False when there was nothing to start: already tearing down, Deleted, or someone moved first
 * (whose run does the work).
 */
export async function startTeardown(
  ports: Pick<ProvisioningPorts, 'resources' | 'orchestrator' | 'clock'>,
  resource: Resource,
  why: Pick<RunStart, 'reason' | 'leaseEnd' | 'actor'> & { reasonCode: NonNullable<Provisioning['reason_code']> },
): Promise<boolean> {
  const p = resource.provisioning;
  if (!p || !DELETABLE.includes(p.phase)) return false;
  const started = await ports.resources.startRun(resource.id, {
    expectedGeneration: p.generation,
    run: 'teardown',
    phase: 'Deregistering',
    fromPhases: DELETABLE,
    at: ports.clock.now().toISOString(),
    ...why,
  });
  if (!started?.provisioning) return false;
  if (p.run === 'provision') await ports.orchestrator.stop('provision', resource.id, p.generation);
  await ports.orchestrator.start('teardown', resource.id, started.provisioning.generation);
  return true;
}
