import type { DenyReason } from '../errors.ts';

// The authorization model, independent of the engine that evaluates it (Cedar, in
// functions/adapters/cedar-authorizer.ts). Use cases describe the resource and its relations;
// the engine decides.

export type Action =
  | 'read' // a domain, a project, an assignment list
  | 'manage' // create projects in a domain; patch a project
  | 'delete' // delete a project
  | 'transfer' // hand a project to another owner
  | 'deploy' // request assignments and create resources in a project
  | 'catalog_read' // clouds, credentials, blueprints
  | 'catalog_manage'
  | 'assign' // decide assignments of a credential
  | 'decide'; // approve/reject one assignment (separation of duties lives here)

/** The principal with the relations the policies look at, read from DynamoDB per request. */
export interface AuthzSubject {
  userId: string;
  domainId: string;
  platformOperator: boolean;
  adminOf: string[];
  auditorOf: string[];
  /** Domains where the principal holds a role that may own projects: owner rights hold only there. */
  mayOwnIn: string[];
}

export type AuthzResource =
  | { type: 'Platform' }
  | { type: 'Domain'; id: string }
  | { type: 'Project'; id: string; domainId: string; ownerId: string }
  | { type: 'CloudCredential'; id: string; ownerId: string }
  | { type: 'CredentialAssignment'; id: string; projectId: string; domainId: string; requestedBy: string; credentialOwnerId: string };

export interface AuthzDecision {
  allowed: boolean;
  /** Set when denied: whether the principal had any footing in the resource's domain. */
  reason?: DenyReason;
}

export interface Authorizer {
  decide(subject: AuthzSubject, action: Action, resource: AuthzResource): Promise<AuthzDecision>;
}
