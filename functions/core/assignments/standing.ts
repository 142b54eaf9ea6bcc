import type { AuthzSubject } from '../authz/model.ts';
import type { Assignment } from './assignment.ts';

// Who has standing in a domain: anyone holding a role there (admin, member, auditor). Strangers
// learn nothing of a domain's approvals and leave no trace in its audit trail.

/** Whether the subject holds any role in the domain. */
export function hasRoleIn(subject: AuthzSubject, domainId: string): boolean {
  return subject.adminOf.includes(domainId) || subject.auditorOf.includes(domainId) || subject.mayOwnIn.includes(domainId);
}

/**
 * Whether a refusal of this subject on this assignment belongs in the domain's audit trail: a
 * role in the domain, or a party to the assignment (its requester, its credential's owner).
 * Anyone else's would let a stranger write into the trail at will; the request log still has them
 * (every refusal is logged with its correlation id).
 */
export function refusalIsAudited(
  subject: AuthzSubject,
  a: Pick<Assignment, 'domain_id' | 'requested_by' | 'credential_owner_id'>,
): boolean {
  return hasRoleIn(subject, a.domain_id) || a.requested_by === subject.userId || a.credential_owner_id === subject.userId;
}
