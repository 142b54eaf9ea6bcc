import { requireAllowed } from './access.ts';
import type { AssignmentStore } from './assignments/assignment.ts';
import type { CredentialDirectory } from './assignments/credential-directory.ts';
import { usableHandle } from './assignments/use-cases.ts';
import type { AuthzSubject, Authorizer } from './authz/model.ts';
import type { CatalogStore } from './catalog/store.ts';
import type { Clock } from './clock.ts';
import { ConflictError, NotFoundError, UnprocessableError } from './errors.ts';
import { newId } from './ids.ts';
import type { Page, PageRequest } from './pagination.ts';
import { validateParameters } from './parameters.ts';
import type { TenancyStore } from './ports.ts';
import { authorizedProject, projectResource } from './projects.ts';
import { type CreateResourceBody, type Phase, type Resource, type ResourceStore, TEARDOWN_PHASES } from './resources.ts';
import { resolverFor, type SubstrateResolvers } from './substrate.ts';

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
  authorizer: Authorizer;
  clock: Clock;
}

/**
 * Declares a Resource. Primary course:
 * 1. the caller may deploy in the project;
 * 2. for a provisioned Resource: the blueprint version exists and the parameters fit its schema,
 *    the project has an approved assignment of the named credential (its handle is pinned), and
 *    the broker can provision on its Cloud's provider (422 provider_not_supported otherwise);
 * 3. the Resource is written at phase Pending (behind its Idempotency-Key, if any);
 * 4. the provision run is started. If that start is lost, the reconciler starts it.
 */
export async function createResource(
  ports: ProvisioningPorts,
  subject: AuthzSubject,
  projectId: string,
  body: CreateResourceBody,
  idempotency?: { key: string; requestHash: string },
): Promise<{ resource: Resource; replayed: boolean }> {
  const project = await authorizedProject(ports, subject, projectId, 'deploy');
  if (idempotency) {
    const reserved = await ports.resources.reservedId(project.id, idempotency.key);
    if (reserved && reserved.requestHash !== idempotency.requestHash) {
      throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
    }
    const existing = reserved && (await ports.resources.get(reserved.id));
    if (existing) return { resource: existing, replayed: true };
  }
  const now = ports.clock.now();
  const at = now.toISOString();
  const base = {
    id: newId(now.getTime()),
    project_id: project.id,
    domain_id: project.domain_id,
    kind: body.kind,
    created_at: at,
    updated_at: at,
    created_by: subject.userId,
  };
  let resource: Resource;
  if (body.origin === 'adopted') {
    resource = { ...base, origin: 'adopted', ...(body.external_ref && { external_ref: body.external_ref }) };
  } else {
    const version = await ports.catalog.getVersionById(body.blueprint_version_id);
    if (!version) throw new UnprocessableError('blueprint_version_not_found', 'No blueprint version has that id.');
    const parameters = validateParameters(version.parameter_schema, body.parameters as Record<string, unknown> | undefined);
    const { handle, credential } = await usableHandle(ports, project.id, body.cloud_credential_id);
    const cloud = await ports.catalog.getCloud(credential.cloud_id);
    if (!cloud) throw new UnprocessableError('cloud_not_found', "The credential's cloud no longer exists.");
    resolverFor(ports.substrateResolvers, cloud);
    resource = {
      ...base,
      origin: 'provisioned',
      external_ref: base.id,
      blueprint_id: version.blueprint_id,
      blueprint_version_id: version.id,
      cloud_id: credential.cloud_id,
      cloud_credential_id: credential.id,
      parameters,
      credential_handle: handle,
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
  }
  if (idempotency) resource.request_hash = idempotency.requestHash;
  const result = await ports.resources.create(resource, idempotency);
  const p = result.resource.provisioning;
  if (p && p.phase === 'Pending') await ports.orchestrator.start('provision', result.resource.id, p.generation);
  return result;
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
async function readableResource(
  ports: Pick<ProvisioningPorts, 'tenancy' | 'resources' | 'authorizer'>,
  subject: AuthzSubject,
  id: string,
): Promise<Resource> {
  const resource = await ports.resources.get(id);
  if (!resource) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
  const project = await ports.tenancy.getProject(resource.project_id);
  if (project) await requireAllowed(ports.authorizer, subject, 'read', projectResource(project));
  else if (resource.created_by !== subject.userId) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
  return resource;
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

const DELETABLE: readonly Phase[] = ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Failed'];

/**
 * Deletes a Resource. A provisioned one: its teardown arc starts. Primary course:
 * 1. the caller may deploy in (and so tear down from) the project;
 * 2. one conditional write bumps the generation and enters Deregistering (which fences every
 *    late step of the provision run);
 * 3. the provision run is stopped, the teardown run started.
 * Deleting while a teardown runs, or after Deleted, starts nothing; after a failed teardown it
 * starts a new one.
 * An adopted one has nothing the broker tears down (no substrate, token or node): one conditional
 * write marks it deleted and the project stops counting it, at once (`removed`). Deleting it
 * again finishes that delete if it was cut short, and answers the same.
 */
export async function deleteResource(ports: ProvisioningPorts, subject: AuthzSubject, id: string): Promise<'teardown' | 'removed'> {
  const resource = await readableResource(ports, subject, id);
  const project = await ports.tenancy.getProject(resource.project_id);
  if (project) await requireAllowed(ports.authorizer, subject, 'deploy', projectResource(project));
  if (resource.origin === 'adopted') {
    const retired = await ports.resources.retireAdopted(resource.id, ports.clock.now().toISOString());
    if (!retired) throw new NotFoundError('resource_not_found', 'The resource does not exist.');
    return 'removed';
  }
  const p = resource.provisioning;
  if (!p) throw new ConflictError('resource_not_provisioned', 'Only provisioned resources are torn down by the broker.');
  if (p.phase === 'Deleted' || TEARDOWN_PHASES.includes(p.phase)) return 'teardown';
  if (!DELETABLE.includes(p.phase)) return 'teardown';
  const at = ports.clock.now().toISOString();
  const started = await ports.resources.startRun(resource.id, {
    expectedGeneration: p.generation,
    run: 'teardown',
    phase: 'Deregistering',
    fromPhases: DELETABLE,
    at,
    reason: 'Delete requested; draining the node out of the mesh.',
  });
  if (!started?.provisioning) return 'teardown'; // someone else moved first; their run does the work
  if (p.run === 'provision') await ports.orchestrator.stop('provision', resource.id, p.generation);
  await ports.orchestrator.start('teardown', resource.id, started.provisioning.generation);
  return 'teardown';
}
