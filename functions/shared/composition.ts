// The one place that knows which adapter serves which port. Built once per container.
import type { Authorizer } from '../core/authz/model.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { AccessTokens, CursorSealer, TenancyStore } from '../core/ports.ts';
import type { Vault } from '../core/vault.ts';
import { CedarAuthorizer } from '../adapters/cedar-authorizer.ts';
import { Table } from '../adapters/dynamo/table.ts';
import { SecretsManagerVault } from '../adapters/secrets-vault.ts';
import { DynamoTenancyStore } from '../adapters/tenancy-store.ts';
import { JoseAccessTokens } from '../adapters/token-signer.ts';
import { type ApiEnv, apiEnv } from './env.ts';

export interface Deps {
  env: ApiEnv;
  clock: Clock;
  table: Table;
  tenancy: TenancyStore;
  vault: Vault;
  tokens: AccessTokens;
  cursors: CursorSealer;
  authorizer: Authorizer;
}

export function buildDeps(env: ApiEnv = apiEnv(), overrides: Partial<Deps> = {}): Deps {
  const clock = overrides.clock ?? systemClock;
  const table = overrides.table ?? new Table(env.TABLE_NAME);
  const vault = overrides.vault ?? new SecretsManagerVault();
  const signer = new JoseAccessTokens(vault, {
    secretId: env.SIGNING_KEY_SECRET_ID,
    issuer: env.PUBLIC_URL,
    ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    clock,
  });
  return {
    env,
    clock,
    table,
    vault,
    tenancy: new DynamoTenancyStore(table),
    tokens: signer,
    cursors: signer,
    authorizer: new CedarAuthorizer(),
    ...overrides,
  };
}

let cached: Deps | undefined;

export function deps(): Deps {
  cached ??= buildDeps();
  return cached;
}

/** Tests swap ports (a fixed clock, an allow-all authorizer); the local stack resets on restart. */
export function setDeps(next: Deps | undefined): void {
  cached = next;
}
