import { type CloudCredential, credentialStatus } from '../catalog/credentials.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { Clock } from '../clock.ts';

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
      // Read whole (the newest is last in id order): only the platform operator adds credentials
      // to a cloud, so no tenant can grow what one request reads here.
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
