// The catalog's persistence as one port: the adapter stores clouds, credentials and blueprints
// in one table, and the other use cases (assignments, provisioning) read them through it.
import type { Authorizer } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import type { Vault } from '../vault.ts';
import type { BlueprintStore } from './blueprints.ts';
import type { CloudConfig, CloudStore } from './clouds.ts';
import type { CatalogConfig, CredentialStore } from './credentials.ts';

/** Persistence of the catalog. Every method reads base-table items consistently. */
export interface CatalogStore extends CloudStore, CredentialStore, BlueprintStore {}

/** Everything the catalog's use cases need; each takes only its own part. */
export interface CatalogPorts {
  catalog: CatalogStore;
  vault: Vault;
  authorizer: Authorizer;
  clock: Clock;
  /** Without allowHttpEndpoints, cloud endpoints must be https (the strict default). */
  config: CatalogConfig & Partial<CloudConfig>;
}
