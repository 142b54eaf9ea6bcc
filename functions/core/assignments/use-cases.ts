import * as z from 'zod';
import { requireAllowed } from '../access.ts';
import type { Authorizer, AuthzResource, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, ForbiddenError, found, InvalidInputError, NotFoundError, UnprocessableError } from '../errors.ts';
import { IdSchema, newId } from '../ids.ts';
import type { PageRequest } from '../pagination.ts';
import type { TenancyStore } from '../ports.ts';
import { authorizedProject } from '../projects.ts';
import type { Vault } from '../vault.ts';
import type { LeaseTimers } from '../lease-timers.ts';
import {
  ASSIGNMENT_TRANSITIONS,
  type Assignment,
  type AssignmentStore,
  type CredentialHandle,
  type Decision,
  effective,
  isExpired,
} from './assignment.ts';
import { type AuditEntry, type AuditLog, record } from './audit.ts';
import type { CredentialDirectory } from './credential-directory.ts';
import { hasRoleIn, refusalIsAudited } from './standing.ts';
import { hasTerms, narrowed, notApproved, type Terms, TermsSchema } from './terms.ts';

// Request, read, decide (approve, reject, revoke) an assignment, and the handle an approval grants.

export const RequestAssignmentBodySchema = z
  .strictObject({ cloud_credential_id: IdSchema.optional(), cloud_id: IdSchema.optional(), terms: TermsSchema.optional() })
  .refine((b) => b.cloud_credential_id !== undefined || b.cloud_id !== undefined, 'name cloud_credential_id (or cloud_id)');

const ReasonSchema = z.string().trim().min(1).max(1000);
export const ReasonBodySchema = z.strictObject({ reason: ReasonSchema });
/** Approve: optional terms (narrowing what was proposed) and an optional reason. */
export const ApproveBodySchema = z.strictObject({ terms: TermsSchema.optional(), reason: ReasonSchema.optional() });
/** Revoke: a reason, and whether the assignment's running Resources are torn down too. */
export const RevokeBodySchema = z.strictObject({ reason: ReasonSchema, teardown: z.boolean().optional() });

export interface AssignmentConfig {
  /** How long a request waits for a decision. */
  requestTtlSeconds: number;
}

export interface AssignmentPorts {
  tenancy: TenancyStore;
  assignments: AssignmentStore;
  credentials: CredentialDirectory;
  audit: AuditLog;
  vault: Vault;
  authorizer: Authorizer;
  clock: Clock;
  config: AssignmentConfig;
  /** Arms a request's expiry, so an undecided request expires (with its event) when its time comes. */
  leases: Pick<LeaseTimers, 'armRequestExpiry'>;
}

export interface Actor {
  subject: AuthzSubject;
  correlationId: string;
  /** The person's email, kept on what they request so approvers can tell who asks. */
  email?: string;
}

const assignmentResource = (a: Assignment): AuthzResource => ({
  type: 'CredentialAssignment',
  id: a.id,
  projectId: a.project_id,
  domainId: a.domain_id,
  requestedBy: a.requested_by,
  credentialOwnerId: a.credential_owner_id,
});

export async function audit(
  ports: Pick<AssignmentPorts, 'audit' | 'clock'>,
  actor: Actor,
  a: Pick<Assignment, 'id' | 'domain_id'>,
  action: string,
  outcome: AuditEntry['outcome'],
  reason?: string,
) {
  await record(ports, actor, { domainId: a.domain_id, action: `credential_assignment.${action}`, target: a.id, outcome, reason });
}

/** Audits a refused decision, unless the actor has no standing in the assignment's domain (see ./standing.ts). */
export async function auditRefused(
  ports: Pick<AssignmentPorts, 'audit' | 'clock'>,
  actor: Actor,
  a: Assignment,
  action: string,
  reason: string,
) {
  if (refusalIsAudited(actor.subject, a)) await audit(ports, actor, a, action, 'denied', reason);
}

function notAssignable(): UnprocessableError {
  return new UnprocessableError('credential_not_assignable', 'No active cloud credential has this id.');
}

async function resolveCredential(
  ports: AssignmentPorts,
  body: { cloud_credential_id?: string | undefined; cloud_id?: string | undefined },
) {
  if (body.cloud_credential_id && body.cloud_id) {
    throw new InvalidInputError('ambiguous_credential_target', 'Name either cloud_credential_id or cloud_id, not both.');
  }
  if (body.cloud_credential_id) {
    const credential = await ports.credentials.getCredential(body.cloud_credential_id);
    // The requester cannot read the catalog: a missing, revoked or expired credential answer alike,
    // so the request tells nothing of credentials it could not use anyway.
    if (credential?.status !== 'active') throw notAssignable();
    return credential;
  }
  // The cloud's list comes from an index (eventually consistent on AWS): it only nominates
  // candidates; each is re-read from its own item before it counts as active.
  for (const candidate of await ports.credentials.credentialsOfCloud(body.cloud_id as string)) {
    if (candidate.status !== 'active') continue;
    const current = await ports.credentials.getCredential(candidate.id);
    if (current?.status === 'active') return current;
  }
  throw new UnprocessableError('no_eligible_credential_for_cloud', 'The cloud has no active credential to assign.');
}

/**
 * Requests a credential for a project. Primary course:
 * 1. the caller may deploy in the project;
 * 2. the credential exists and is active;
 * 3. its expiry timer is armed (before the write: a timer for a request never stored finds nothing);
 * 4. the request is written together with the (project, credential) live slot; it expires later.
 */
export async function requestAssignment(
  ports: AssignmentPorts,
  actor: Actor,
  projectId: string,
  body: { cloud_credential_id?: string | undefined; cloud_id?: string | undefined; terms?: Terms | undefined },
): Promise<Assignment> {
  const project = await authorizedProject(ports, actor.subject, projectId, 'deploy');
  const credential = await resolveCredential(ports, body);
  const now = ports.clock.now();
  const assignment: Assignment = {
    id: newId(now.getTime()),
    project_id: project.id,
    domain_id: project.domain_id,
    cloud_credential_id: credential.id,
    credential_owner_id: credential.owner_id,
    requested_by: actor.subject.userId,
    ...(actor.email && { requested_by_email: actor.email }),
    state: 'requested',
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ports.config.requestTtlSeconds * 1000).toISOString(),
    ...(hasTerms(body.terms) && { proposed_terms: body.terms }),
  };
  await ports.leases.armRequestExpiry(assignment.id, new Date(assignment.expires_at));
  await ports.assignments.create(assignment, async (holder) => {
    const current = effective(holder, ports.clock.now());
    if (current !== holder) await ports.assignments.expire(holder.id, ports.clock.now().toISOString());
    return current.state === 'requested' || current.state === 'approved';
  });
  await audit(ports, actor, assignment, 'request', 'succeeded');
  return assignment;
}

export async function listAssignments(ports: AssignmentPorts, subject: AuthzSubject, projectId: string, page: PageRequest) {
  await authorizedProject(ports, subject, projectId, 'read');
  return ports.assignments.listByProject(projectId, page);
}

async function loadAssignment(ports: AssignmentPorts, id: string): Promise<Assignment> {
  return found(ports.assignments.get(id), 'credential_assignment_not_found', 'The credential assignment does not exist.');
}

/**
 * Reads one assignment: its requester while it holds a role in the assignment's domain (one who
 * left the domain keeps nothing of it), its credential's owner, and whoever may read its project.
 */
export async function getAssignment(ports: AssignmentPorts, subject: AuthzSubject, id: string): Promise<Assignment> {
  const a = await loadAssignment(ports, id);
  if (a.requested_by === subject.userId && hasRoleIn(subject, a.domain_id)) return a;
  if (a.credential_owner_id === subject.userId) return a;
  const project = await ports.tenancy.getProject(a.project_id);
  if (!project) throw new NotFoundError('credential_assignment_not_found', 'The credential assignment does not exist.');
  await requireAllowed(ports.authorizer, subject, 'read', {
    type: 'Project',
    id: project.id,
    domainId: project.domain_id,
    ownerId: project.owner_id,
  });
  return a;
}

/**
 * Decides an assignment. Primary course:
 * 1. the caller may decide it (the credential's owner; never its requester);
 * 2. on approve, the vaulted secret is checked readable and its version pinned as the handle;
 * 3. on approve, the terms granted are the ones proposed, or narrower ones the approver sets
 *    (422 terms_not_narrower otherwise);
 * 4. one conditional write moves the state, refusing self-decisions and lost races in the write.
 */
export async function decide(
  ports: AssignmentPorts,
  actor: Actor,
  id: string,
  decision: Decision,
  opts: { reason?: string | undefined; terms?: Terms | undefined } = {},
): Promise<Assignment> {
  const { reason } = opts;
  const a = await loadAssignment(ports, id);
  const now = ports.clock.now();
  if (isExpired(a, now)) {
    await ports.assignments.expire(a.id, now.toISOString());
    throw new ConflictError('illegal_transition', 'The request expired undecided; ask again.');
  }
  const selfDecision = decision !== 'revoke' && a.requested_by === actor.subject.userId;
  if (selfDecision) {
    await auditRefused(ports, actor, a, decision, 'self_approval_denied');
    throw new ForbiddenError('self_approval_denied', 'You cannot decide a request you made yourself.', 'insufficient_relation');
  }
  const action = decision === 'revoke' ? 'assign' : 'decide';
  const resource: AuthzResource =
    decision === 'revoke' ? { type: 'CloudCredential', id: a.cloud_credential_id, ownerId: a.credential_owner_id } : assignmentResource(a);
  try {
    await requireAllowed(ports.authorizer, actor.subject, action, resource);
  } catch (err) {
    await auditRefused(ports, actor, a, decision, 'permission_denied');
    throw err;
  }
  const { from, to } = ASSIGNMENT_TRANSITIONS[decision];
  if (a.state !== from) throw illegal(a, decision);
  let handle: CredentialHandle | undefined;
  let terms: Terms | undefined;
  if (decision === 'approve') {
    try {
      terms = opts.terms === undefined ? a.proposed_terms : narrowed(a.proposed_terms ?? {}, opts.terms);
    } catch (err) {
      await auditRefused(ports, actor, a, decision, 'terms_not_narrower');
      throw err;
    }
    handle = await materialise(ports, a);
  }
  const updated = await ports.assignments.transition(a.id, {
    from,
    to,
    decidedBy: actor.subject.userId,
    at: now.toISOString(),
    ...(reason && { reason }),
    ...(handle && { handle }),
    ...(hasTerms(terms) && { terms }),
    ...(decision !== 'revoke' && { notRequestedBy: actor.subject.userId }),
  });
  if (!updated) {
    const current = await loadAssignment(ports, id);
    if (current.requested_by === actor.subject.userId && decision !== 'revoke') {
      throw new ForbiddenError('self_approval_denied', 'You cannot decide a request you made yourself.', 'insufficient_relation');
    }
    throw illegal(current, decision);
  }
  await audit(ports, actor, a, decision, 'succeeded', reason);
  return updated;
}

function illegal(a: Assignment, decision: Decision): ConflictError {
  return new ConflictError('illegal_transition', `Cannot ${decision} an assignment that is ${a.state}.`, { state: a.state });
}

async function materialise(ports: AssignmentPorts, a: Assignment): Promise<CredentialHandle> {
  const credential = await ports.credentials.getCredential(a.cloud_credential_id);
  if (credential?.status !== 'active') {
    throw new UnprocessableError(
      'credential_not_assignable',
      `The cloud credential is ${credential?.status ?? 'gone'} and cannot be granted.`,
    );
  }
  // Proves the secret is readable now, without bringing its value out of the vault.
  const described = await ports.vault.describe(credential.secret_arn);
  return { secret_arn: described.arn, version_id: described.currentVersionId };
}

/** The handle a new Resource may use: an approved assignment of an active credential, or a 403 saying which is missing. */
export async function usableHandle(
  ports: Pick<AssignmentPorts, 'assignments' | 'credentials' | 'clock'>,
  projectId: string,
  credentialId: string,
) {
  const live = await ports.assignments.findLive(projectId, credentialId);
  if (!live || effective(live, ports.clock.now()).state !== 'approved' || !live.handle) throw notApproved();
  const credential = await ports.credentials.getCredential(credentialId);
  if (credential?.status !== 'active') throw notApproved(`The cloud credential is ${credential?.status ?? 'gone'}.`);
  return { assignment: live, handle: live.handle, credential };
}
