import type { EventDraft } from './events/event.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { Domain, IdpBinding, Project, User } from './tenancy.ts';

// Store ports, one per aggregate family. Adapters in functions/adapters implement them with
// DynamoDB; unit tests pass in-memory fakes.

export interface TenancyStore {
  getDomain(id: string): Promise<Domain | undefined>;
  listDomains(page: PageRequest, visible: (d: Domain) => boolean): Promise<Page<Domain>>;
  listIdpBindings(domainId: string): Promise<IdpBinding[]>;
  getIdpBinding(domainId: string, bindingId: string): Promise<IdpBinding | undefined>;
  getUser(id: string): Promise<User | undefined>;
  findUserByEmail(domainId: string, email: string): Promise<User | undefined>;
  /** Claims the (domain, slug) pair, then writes the project; ConflictError project_slug_conflict. */
  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | undefined>;
  listProjects(domainId: string, page: PageRequest, visible: (p: Project) => boolean): Promise<Page<Project>>;
  /** Applies a patch; NotFoundError when the project is gone. */
  patchProject(id: string, patch: { name?: string; description?: string }, updatedAt: string): Promise<Project>;
  /** Deletes a project with no resources; ConflictError project_not_empty otherwise. */
  deleteProject(project: Project): Promise<void>;
  /**
   * Sets the owner, only if the owner is still `project.owner_id` (ConflictError
   * project_owner_changed otherwise), with its event in the same transaction.
   */
  transferProject(project: Project, newOwnerId: string, updatedAt: string, event: EventDraft): Promise<Project>;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

export interface AccessTokenClaims {
  subject: string;
  domainId: string;
  email: string;
}

/** Mints and checks access tokens; the signing key never leaves the adapter. */
export interface AccessTokens {
  issue(claims: AccessTokenClaims): Promise<IssuedToken>;
  /** Throws UnauthenticatedError (`invalid_token`, `token_expired`) on anything but a valid token. */
  verify(token: string): Promise<AccessTokenClaims>;
  /** The public keys, as a JWKS document. */
  jwks(): Promise<{ keys: object[] }>;
}

/** Seals list cursors so they are opaque, tamper-evident and bound to one caller and query. */
export interface CursorSealer {
  seal(afterId: string, binding: string): Promise<string>;
  /** Returns the id to start after; 400 `invalid_cursor` when forged, 403 `cursor_binding_mismatch` when replayed by another caller. */
  open(cursor: string, binding: string): Promise<string>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
