import * as z from 'zod';
import { IN_PROJECT, pickView, TIMESTAMPS } from '../entity.ts';
import { IdSchema } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';
import { type Terms, TermsSchema } from './terms.ts';

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
  ...IN_PROJECT,
  cloud_credential_id: IdSchema,
  credential_owner_id: IdSchema,
  requested_by: IdSchema,
  /** The requester's email when the request was made, so an approver sees who asks, not only an id. */
  requested_by_email: z.string().optional(),
  state: AssignmentStateSchema,
  ...TIMESTAMPS,
  expires_at: z.string(),
  decided_at: z.string().optional(),
  decided_by: z.string().optional(),
  decision_reason: z.string().optional(),
  handle: CredentialHandleSchema.optional(),
  /** What the requester asked for; the approver may only narrow it. */
  proposed_terms: TermsSchema.optional(),
  /** What the approval granted (absent: no limits). Narrowed later, never widened. */
  terms: TermsSchema.optional(),
  /**
   * Provisioned Resources holding one of this assignment's quota slots: taken in the transaction
   * that stores a Resource, given back in the one that marks it Deleted (or Failed before it had
   * a machine). Absent reads as 0.
   */
  live_resources: z.number().int().optional(),
});
export type Assignment = z.infer<typeof AssignmentSchema>;

/** One decision's write (AssignmentStore.transition). */
export interface AssignmentTransition {
  from: AssignmentState;
  to: AssignmentState;
  decidedBy: string;
  at: string;
  reason?: string;
  handle?: CredentialHandle;
  /** What an approval grants. */
  terms?: Terms;
  notRequestedBy?: string;
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
  transition(id: string, change: AssignmentTransition): Promise<Assignment | undefined>;
  /** Marks an undecided, expired request rejected with reason "expired" (idempotent). */
  expire(id: string, at: string): Promise<Assignment | undefined>;
  /** The live assignment of a credential in a project, read consistently through its slot. */
  findLive(projectId: string, credentialId: string): Promise<Assignment | undefined>;
  /**
   * Replaces an approved assignment's terms, in one write conditioned on the state and on the
   * terms read (`seenUpdatedAt`), so two narrowings cannot undo each other. Undefined when either moved.
   */
  setTerms(id: string, terms: Terms, seenUpdatedAt: string, at: string, by?: string): Promise<Assignment | undefined>;
}

export function isExpired(a: Assignment, now: Date): boolean {
  return a.state === 'requested' && Date.parse(a.expires_at) <= now.getTime();
}

/** The assignment as it stands now: an undecided request past its expiry reads as rejected. */
export function effective(a: Assignment, now: Date): Assignment {
  return isExpired(a, now) ? { ...a, state: 'rejected', decision_reason: 'expired', decided_at: a.expires_at } : a;
}

// The wire hides the domain, the owner and the handle; picks keep the entity's field schemas and the view's key order.
export const AssignmentViewSchema = AssignmentSchema.pick({ id: true, project_id: true, cloud_credential_id: true, state: true }).extend({
  /** Approved and its credential handle pinned. */
  materialised: z.boolean(),
  ...AssignmentSchema.pick({
    requested_by: true,
    requested_by_email: true,
    created_at: true,
    updated_at: true,
    expires_at: true,
    decided_at: true,
    decided_by: true,
    decision_reason: true,
    proposed_terms: true,
    terms: true,
  }).shape,
  usage: z.object({ live_resources: z.number().int() }),
});
export type AssignmentView = z.infer<typeof AssignmentViewSchema>;

export function assignmentView(a: Assignment, now: Date): AssignmentView {
  const e = effective(a, now);
  return pickView(AssignmentViewSchema, {
    ...e,
    materialised: e.state === 'approved' && e.handle !== undefined,
    usage: { live_resources: e.live_resources ?? 0 },
  });
}
