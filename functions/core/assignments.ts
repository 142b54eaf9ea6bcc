import { z } from 'zod';
import { requireAllowed } from './access.ts';
import type { Authorizer, AuthzResource, AuthzSubject } from './authz/model.ts';
import { type CatalogStore, type CloudCredential, credentialStatus } from './catalog.ts';
import type { Clock } from './clock.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnprocessableError } from './errors.ts';
import { IdSchema, newId } from './ids.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { TenancyStore } from './ports.ts';
import { authorizedProject } from './projects.ts';
import type { Vault } from './vault.ts';

// Two-party credential assignment: a project's deployer requests a cloud credential, and only
// that credential's owner may grant it; nobody decides their own request.

export const AssignmentStateSchema = z.enum(['requested', 'approved', 'rejected', 'revoked']);
export type AssignmentState = z.infer<typeof AssignmentStateSchema>;

/** Which transitions a decision may make; the store enforces them with a condition on the state. */
export const ASSIGNMENT_TRANSITIONS: Record<'approve' | 'reject' | 'revoke', { from: AssignmentState; to: AssignmentState }> = {
  approve: { from: 'requested', to: 'approved' },
  reject: { from: 'requested', to: 'rejected' },
  revoke: { from: 'approved', to: 'revoked' },
};
export type Decision = keyof typeof ASSIGNMENT_TRANSITIONS;

/** The credential handle an approval pins: the vaulted secret and the version that was readable. */
export const CredentialHandleSchema = z.object({ secret_arn: z.string(), version_id: z.string() });
export type CredentialHandle = z.infer<typeof CredentialHandleSchema>;

export const AssignmentSchema = z.object({
  id: IdSchema,
  project_id: IdSchema,
  domain_id: IdSchema,
  cloud_credential_id: IdSchema,
  credential_owner_id: IdSchema,
  requested_by: IdSchema,
  state: AssignmentStateSchema,
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string(),
  decided_at: z.string().optional(),
  decided_by: z.string().optional(),
  decision_reason: z.string().optional(),
  handle: CredentialHandleSchema.optional(),
});
export type Assignment = z.infer<typeof AssignmentSchema>;

export const RequestAssignmentBodySchema = z
  .strictObject({ cloud_credential_id: IdSchema.optional(), cloud_id: IdSchema.optional() })
  .refine((b) => b.cloud_credential_id !== undefined || b.cloud_id !== undefined, 'name cloud_credential_id (or cloud_id)');

export const ReasonBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(1000) });

/** What an assignment needs to know of a credential. */
export interface AssignableCredential {
  id: string;
  cloud_id: string;
  owner_id: string;
  status: 'active' | 'expired' | 'revoked';
  secret_arn: string;
  created_at: string;
}

export interface CredentialDirectory {
  getCredential(id: string): Promise<AssignableCredential | undefined>;
  /** Credentials of a cloud, newest first. */
  credentialsOfCloud(cloudId: string): Promise<AssignableCredential[]>;
}

/** One audit entry; the list route answers entries as they are stored. */
export const AuditEntryViewSchema = z.object({
  id: IdSchema,
  domain_id: IdSchema,
  at: z.string(),
  actor_subject: z.string(),
  action: z.string(),
  target: z.string(),
  outcome: z.enum(['succeeded', 'denied']),
  reason: z.string().optional(),
  correlation_id: z.string(),
  details: z.record(z.string(), z.string()).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntryViewSchema>;

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  list(domainId: string, page: PageRequest): Promise<Page<AuditEntry>>;
}

export interface AssignmentStore {
  /**
   * Writes the assignment and takes the (project, credential) live slot in one transaction;
   * ConflictError duplicate_live_assignment. `isLive` judges the assignment holding the slot (and may
   * expire it, which frees the slot).
   */
  create(assignment: Assignment, isLive: (holder: Assignment) => Promise<boolean>): Promise<void>;
  get(id: string): Promise<Assignment | undefined>;
  listByProject(projectId: string, page: PageRequest): Promise<Page<Assignment>>;
  listByDomain(domainId: string, page: PageRequest, visible: (a: Assignment) => Promise<boolean>): Promise<Page<Assignment>>;
  /**
   * One conditional write: state must be `from`, the decider must not be the requester, and a
   * pending request must not have expired. Returns undefined when the condition failed.
   */
  transition(
    id: string,
    change: {
      from: AssignmentState;
      to: AssignmentState;
      decidedBy: string;
      at: string;
      reason?: string;
      handle?: CredentialHandle;
      notRequestedBy?: string;
    },
  ): Promise<Assignment | undefined>;
  /** Marks an undecided, expired request rejected with reason "expired" (idempotent). */
  expire(id: string, at: string): Promise<Assignment | undefined>;
  /** The live assignment of a credential in a project, read consistently through its slot. */
  findLive(projectId: string, credentialId: string): Promise<Assignment | undefined>;
}

export interface AssignmentPorts {
  tenancy: TenancyStore;
  assignments: AssignmentStore;
  credentials: CredentialDirectory;
  audit: AuditLog;
  vault: Vault;
  authorizer: Authorizer;
  clock: Clock;
  requestTtlSeconds: number;
}

export interface Actor {
  subject: AuthzSubject;
  correlationId: string;
}

export function isExpired(a: Assignment, now: Date): boolean {
  return a.state === 'requested' && Date.parse(a.expires_at) <= now.getTime();
}

/** The assignment as it stands now: an undecided request past its expiry reads as rejected. */
export function effective(a: Assignment, now: Date): Assignment {
  return isExpired(a, now) ? { ...a, state: 'rejected', decision_reason: 'expired', decided_at: a.expires_at } : a;
}

export const AssignmentViewSchema = z.object({
  id: IdSchema,
  project_id: IdSchema,
  cloud_credential_id: IdSchema,
  state: AssignmentStateSchema,
  /** Approved and its credential handle pinned. */
  materialised: z.boolean(),
  requested_by: IdSchema,
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string(),
  decided_at: z.string().optional(),
  decided_by: z.string().optional(),
  decision_reason: z.string().optional(),
});
export type AssignmentView = z.infer<typeof AssignmentViewSchema>;

export function assignmentView(a: Assignment, now: Date): AssignmentView {
  const e = effective(a, now);
  return {
    id: e.id,
    project_id: e.project_id,
    cloud_credential_id: e.cloud_credential_id,
    state: e.state,
    materialised: e.state === 'approved' && e.handle !== undefined,
    requested_by: e.requested_by,
    created_at: e.created_at,
    updated_at: e.updated_at,
    expires_at: e.expires_at,
    ...(e.decided_at && { decided_at: e.decided_at }),
    ...(e.decided_by && { decided_by: e.decided_by }),
    ...(e.decision_reason && { decision_reason: e.decision_reason }),
  };
}

export const APPROVAL_KIND = 'credential_assignment';

export const ApprovalStateSchema = z.enum(['pending-approval', 'approved', 'rejected', 'expired']);

export function approvalState(a: Assignment, now: Date): z.infer<typeof ApprovalStateSchema> {
  const e = effective(a, now);
  if (e.state === 'requested') return 'pending-approval';
  if (e.state === 'rejected') return e.decision_reason === 'expired' && e.decided_by === undefined ? 'expired' : 'rejected';
  return 'approved';
}

/** An assignment as the approvals queue shows it. */
export const ApprovalViewSchema = z.object({
  id: IdSchema,
  domain_id: IdSchema,
  proposer_subject: IdSchema,
  action_kind: z.literal(APPROVAL_KIND),
  target_resource: z.string(),
  payload: z.object({ project_id: IdSchema, cloud_credential_id: IdSchema, assignment_state: AssignmentStateSchema }),
  state: ApprovalStateSchema,
  created_at: z.string(),
  expires_at: z.string(),
  decided_at: z.string().optional(),
  decided_by_subject: z.string().optional(),
  decision_reason: z.string().optional(),
});
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

export function approvalView(a: Assignment, now: Date): ApprovalView {
  const e = effective(a, now);
  return {
    id: e.id,
    domain_id: e.domain_id,
    proposer_subject: e.requested_by,
    action_kind: APPROVAL_KIND,
    target_resource: `projects/${e.project_id}/credential-assignments/${e.id}`,
    payload: { project_id: e.project_id, cloud_credential_id: e.cloud_credential_id, assignment_state: e.state },
    state: approvalState(a, now),
    created_at: e.created_at,
    expires_at: e.expires_at,
    ...(e.decided_at && { decided_at: e.decided_at }),
    ...(e.decided_by && { decided_by_subject: e.decided_by }),
    ...(e.decision_reason && { decision_reason: e.decision_reason }),
  };
}

const assignmentResource = (a: Assignment): AuthzResource => ({
  type: 'CredentialAssignment',
  id: a.id,
  projectId: a.project_id,
  domainId: a.domain_id,
  requestedBy: a.requested_by,
  credentialOwnerId: a.credential_owner_id,
});

async function audit(
  ports: AssignmentPorts,
  actor: Actor,
  a: Pick<Assignment, 'id' | 'domain_id'>,
  action: string,
  outcome: AuditEntry['outcome'],
  reason?: string,
) {
  const now = ports.clock.now();
  await ports.audit.append({
    id: newId(now.getTime()),
    domain_id: a.domain_id,
    at: now.toISOString(),
    actor_subject: actor.subject.userId,
    action: `credential_assignment.${action}`,
    target: a.id,
    outcome,
    ...(reason && { reason }),
    correlation_id: actor.correlationId,
  });
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
    if (!credential) throw new UnprocessableError('credential_not_assignable', 'No such cloud credential.');
    if (credential.status !== 'active') {
      throw new UnprocessableError('credential_not_assignable', `The cloud credential is ${credential.status} and cannot be assigned.`);
    }
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
 * 3. the request is written together with the (project, credential) live slot; it expires later.
 */
export async function requestAssignment(
  ports: AssignmentPorts,
  actor: Actor,
  projectId: string,
  body: { cloud_credential_id?: string | undefined; cloud_id?: string | undefined },
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
    state: 'requested',
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ports.requestTtlSeconds * 1000).toISOString(),
  };
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
  const a = await ports.assignments.get(id);
  if (!a) throw new NotFoundError('credential_assignment_not_found', 'The credential assignment does not exist.');
  return a;
}

/** Reads one assignment: its requester, its credential's owner, and whoever may read its project. */
export async function getAssignment(ports: AssignmentPorts, subject: AuthzSubject, id: string): Promise<Assignment> {
  const a = await loadAssignment(ports, id);
  if (a.requested_by === subject.userId || a.credential_owner_id === subject.userId) return a;
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
 * 3. one conditional write moves the state, refusing self-decisions and lost races in the write.
 */
export async function decide(ports: AssignmentPorts, actor: Actor, id: string, decision: Decision, reason?: string): Promise<Assignment> {
  const a = await loadAssignment(ports, id);
  const now = ports.clock.now();
  if (isExpired(a, now)) {
    await ports.assignments.expire(a.id, now.toISOString());
    throw new ConflictError('illegal_transition', 'The request expired undecided; ask again.');
  }
  const selfDecision = decision !== 'revoke' && a.requested_by === actor.subject.userId;
  if (selfDecision) {
    await audit(ports, actor, a, decision, 'denied', 'self_approval_denied');
    throw new ForbiddenError('self_approval_denied', 'You cannot decide a request you made yourself.', 'insufficient_relation');
  }
  const action = decision === 'revoke' ? 'assign' : 'decide';
  const resource: AuthzResource =
    decision === 'revoke' ? { type: 'CloudCredential', id: a.cloud_credential_id, ownerId: a.credential_owner_id } : assignmentResource(a);
  try {
    await requireAllowed(ports.authorizer, actor.subject, action, resource);
  } catch (err) {
    await audit(ports, actor, a, decision, 'denied', 'permission_denied');
    throw err;
  }
  const { from, to } = ASSIGNMENT_TRANSITIONS[decision];
  if (a.state !== from) throw illegal(a, decision);
  let handle: CredentialHandle | undefined;
  if (decision === 'approve') handle = await materialise(ports, a);
  const updated = await ports.assignments.transition(a.id, {
    from,
    to,
    decidedBy: actor.subject.userId,
    at: now.toISOString(),
    ...(reason && { reason }),
    ...(handle && { handle }),
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
  if (!credential || credential.status !== 'active') {
    throw new UnprocessableError(
      'credential_not_assignable',
      `The cloud credential is ${credential?.status ?? 'gone'} and cannot be granted.`,
    );
  }
  // Proves the secret is readable now, without bringing its value out of the vault.
  const described = await ports.vault.describe(credential.secret_arn);
  return { secret_arn: described.arn, version_id: described.currentVersionId };
}

/** The approvals queue: rows of one domain (or all the caller's domains), filtered by state and kind. */
export async function listApprovals(
  ports: AssignmentPorts,
  subject: AuthzSubject,
  filters: { status?: string | undefined; kind?: string | undefined; domainId?: string | undefined },
  page: PageRequest,
): Promise<Page<Assignment>> {
  const domainId = filters.domainId ?? subject.domainId;
  const now = ports.clock.now();
  if (filters.kind && filters.kind !== APPROVAL_KIND) return { items: [] };
  const readable = new Map<string, boolean>();
  return ports.assignments.listByDomain(domainId, page, async (a) => {
    if (filters.status && approvalState(a, now) !== filters.status) return false;
    if (a.credential_owner_id === subject.userId || a.requested_by === subject.userId) return true;
    let ok = readable.get(a.project_id);
    if (ok === undefined) {
      const project = await ports.tenancy.getProject(a.project_id);
      ok =
        project !== undefined &&
        (
          await ports.authorizer.decide(subject, 'read', {
            type: 'Project',
            id: project.id,
            domainId: project.domain_id,
            ownerId: project.owner_id,
          })
        ).allowed;
      readable.set(a.project_id, ok);
    }
    return ok;
  });
}

/** The handle a new Resource may use: an approved assignment of an active credential, or a 403 saying which is missing. */
export async function usableHandle(
  ports: Pick<AssignmentPorts, 'assignments' | 'credentials' | 'clock'>,
  projectId: string,
  credentialId: string,
) {
  const live = await ports.assignments.findLive(projectId, credentialId);
  if (!live || effective(live, ports.clock.now()).state !== 'approved' || !live.handle) {
    throw new ForbiddenError(
      'credential_not_approved',
      'The project has no approved assignment of this cloud credential.',
      'insufficient_relation',
    );
  }
  const credential = await ports.credentials.getCredential(credentialId);
  if (!credential || credential.status !== 'active') {
    throw new ForbiddenError(
      'credential_not_approved',
      `The cloud credential is ${credential?.status ?? 'gone'}.`,
      'insufficient_relation',
    );
  }
  return { assignment: live, handle: live.handle, credential };
}

/** Reads credentials for assignments from the catalog, deriving their status at this moment. */
export function credentialDirectory(catalog: CatalogStore, clock: Clock): CredentialDirectory {
  const toAssignable = (c: CloudCredential): AssignableCredential => ({
    id: c.id,
    cloud_id: c.cloud_id,
    owner_id: c.owner_id,
    status: credentialStatus(c, clock.now()),
    secret_arn: c.secret_arn,
    created_at: c.created_at,
  });
  return {
    async getCredential(id) {
      const c = await catalog.getCredential(id);
      return c && toAssignable(c);
    },
    async credentialsOfCloud(cloudId) {
      const all: CloudCredential[] = [];
      let afterId: string | undefined;
      do {
        const page = await catalog.listCredentials(cloudId, afterId ? { limit: 200, afterId } : { limit: 200 });
        all.push(...page.items);
        afterId = page.lastId;
      } while (afterId);
      return all.map(toAssignable).sort((a, b) => b.created_at.localeCompare(a.created_at));
    },
  };
}
