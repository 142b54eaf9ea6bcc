import type { Action, AuthzResource, AuthzSubject, Authorizer } from './authz/model.ts';
import { ForbiddenError } from './errors.ts';
import { domainsWithRole, ownerDomainsOf, type User } from './tenancy.ts';

/** The relations the policies read, taken from the user item (read consistently per request). */
export function subjectOf(user: User): AuthzSubject {
  return {
    userId: user.id,
    domainId: user.domain_id,
    platformOperator: user.platform_operator,
    adminOf: domainsWithRole(user, ['admin']),
    auditorOf: domainsWithRole(user, ['auditor']),
    mayOwnIn: ownerDomainsOf(user),
  };
}

/** Asks the authorizer and turns a deny into the contract's 403. */
export async function requireAllowed(
  authorizer: Authorizer,
  subject: AuthzSubject,
  action: Action,
  resource: AuthzResource,
): Promise<void> {
  const decision = await authorizer.decide(subject, action, resource);
  if (!decision.allowed) {
    const what =
      resource.type === 'Platform' ? 'the platform catalog' : `this ${resource.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`;
    throw new ForbiddenError(
      'permission_denied',
      `You may not ${action.replace('_', ' ')} ${what}.`,
      decision.reason ?? 'insufficient_relation',
    );
  }
}

/** Non-throwing form, for filtering list rows by visibility. */
export async function isAllowed(authorizer: Authorizer, subject: AuthzSubject, action: Action, resource: AuthzResource): Promise<boolean> {
  return (await authorizer.decide(subject, action, resource)).allowed;
}
