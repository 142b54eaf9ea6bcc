// Which adapter serves which port, for the API handlers (the steps' wiring is step-composition.ts).
// Config is read from the environment here and nowhere else. Built once per container.
import type { Authorizer } from '../core/authz/model.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { AssignmentStore } from '../core/assignments/assignment.ts';
import type { AuditTrail } from '../core/assignments/audit.ts';
import type { EventLog } from '../core/events/event.ts';
import { type CredentialDirectory, credentialDirectory } from '../core/assignments/credential-directory.ts';
import type { AssignmentConfig } from '../core/assignments/use-cases.ts';
import { type AuthConfig, type AuthStore, DEFAULT_SESSION_TTL_SECONDS, DEFAULT_THROTTLE } from '../core/auth/ports.ts';
import type { CatalogConfig } from '../core/catalog/credentials.ts';
import type { CloudConfig } from '../core/catalog/clouds.ts';
import type { CatalogStore } from '../core/catalog/store.ts';
import type { AdmissionConfig } from '../core/admission.ts';
import type { LeaseTimers } from '../core/lease-timers.ts';
import type { Orchestrator } from '../core/provisioning.ts';
import type { ResourceStore } from '../core/resources.ts';
import type { SubstrateResolvers } from '../core/substrate.ts';
import { type BootstrapTokenMinter, credentialEnv, type EnrolmentConfig } from '../core/bootstrap-tokens.ts';
import type { EnrolmentNotifier, NodeSecrets, NodeStore } from '../core/enrolment/ports.ts';
import type { AccessTokens, CursorSealer, PasswordHasher, TenancyStore } from '../core/ports.ts';
import type { Vault } from '../core/vault.ts';
import { DynamoAssignmentStore } from '../adapters/assignment-store.ts';
import { DynamoResourceStore } from '../adapters/resource-store.ts';
import { SchedulerLeaseTimers } from '../adapters/scheduler-lease-timers.ts';
import { StepFunctionsOrchestrator } from '../adapters/sfn-orchestrator.ts';
import { HmacBootstrapTokenMinter } from '../adapters/bootstrap-token-minter.ts';
import { DynamoNodeStore } from '../adapters/node-store.ts';
import { VaultNodeSecrets } from '../adapters/node-secrets.ts';
import { SfnTaskNotifier } from '../adapters/sfn-task-notifier.ts';
import { DynamoAuditLog } from '../adapters/audit-log.ts';
import { DynamoEventLog } from '../adapters/event-log.ts';
import { DynamoAuthStore } from '../adapters/auth-store.ts';
import { DynamoCatalogStore } from '../adapters/catalog-store.ts';
import { CedarAuthorizer } from '../adapters/cedar-authorizer.ts';
import { Table } from '../adapters/dynamo/table.ts';
import { scryptPasswordHasher } from '../adapters/password-hasher.ts';
import { SecretsManagerVault } from '../adapters/secrets-vault.ts';
import { DynamoTenancyStore } from '../adapters/tenancy-store.ts';
import { VaultCursorSealer } from '../adapters/cursor-sealer.ts';
import { KmsAccessTokens } from '../adapters/kms-access-tokens.ts';
import { KmsKeys } from '../adapters/kms-keys.ts';
import { type ApiEnv, apiEnv } from './env.ts';
import { substrateResolvers } from './substrate-resolvers.ts';

/** What the handlers themselves need of the public URL: the cookies' Secure flag and the CSRF origin check. */
export interface HttpConfig {
  publicOrigin: string;
  secureCookies: boolean;
}

/** Every use case's settings in one object: each port bag's `config` is its slice of it. */
export type ApiConfig = AuthConfig & CatalogConfig & CloudConfig & AssignmentConfig & EnrolmentConfig & AdmissionConfig & HttpConfig;

/** The only reading of the environment into settings; handlers and the core see `config`. */
export function apiConfig(env: ApiEnv): ApiConfig {
  const publicUrl = new URL(env.PUBLIC_URL);
  return {
    publicUrl: env.PUBLIC_URL,
    deviceCodeTtlSeconds: env.DEVICE_CODE_TTL_SECONDS,
    pollIntervalSeconds: env.DEVICE_POLL_INTERVAL_SECONDS,
    sessionTtlSeconds: DEFAULT_SESSION_TTL_SECONDS,
    throttle: DEFAULT_THROTTLE,
    credentialSecretPrefix: env.CREDENTIAL_SECRET_PREFIX,
    requestTtlSeconds: env.ASSIGNMENT_REQUEST_TTL_SECONDS,
    defaultLeaseSeconds: env.DEFAULT_LEASE_SECONDS,
    credentialEnv: credentialEnv(env.STAGE),
    publicOrigin: publicUrl.origin,
    secureCookies: publicUrl.protocol === 'https:',
    allowHttpEndpoints: env.CLOUD_ENDPOINT_ALLOW_HTTP === 'true',
  };
}

export interface Deps {
  config: ApiConfig;
  clock: Clock;
  table: Table;
  tenancy: TenancyStore;
  catalog: CatalogStore;
  vault: Vault;
  tokens: AccessTokens;
  cursors: CursorSealer;
  authorizer: Authorizer;
  auth: AuthStore;
  passwords: PasswordHasher;
  assignments: AssignmentStore;
  audit: AuditTrail;
  events: EventLog;
  credentials: CredentialDirectory;
  resources: ResourceStore;
  orchestrator: Orchestrator;
  leases: LeaseTimers;
  substrateResolvers: SubstrateResolvers;
  bootstrapTokens: BootstrapTokenMinter;
  nodes: NodeStore;
  nodeSecrets: NodeSecrets;
  enrolmentNotifier: EnrolmentNotifier;
}

export function buildDeps(env: ApiEnv = apiEnv(), overrides: Partial<Deps> = {}): Deps {
  const clock = overrides.clock ?? systemClock;
  const table = overrides.table ?? new Table(env.TABLE_NAME);
  const vault = overrides.vault ?? new SecretsManagerVault();
  // Every group gets the same adapter; IAM decides what it may do with it: only the auth group may
  // kms:Sign, the others hold kms:GetPublicKey alone and so can only verify (infra/constructs/signing-key.ts).
  const tokens = accessTokens(env, clock);
  const catalog = overrides.catalog ?? new DynamoCatalogStore(table);
  const config = apiConfig(env);
  return {
    config,
    clock,
    table,
    vault,
    tenancy: new DynamoTenancyStore(table),
    catalog,
    tokens,
    cursors: new VaultCursorSealer(vault, env.CURSOR_KEY_SECRET_ID),
    authorizer: new CedarAuthorizer(),
    auth: new DynamoAuthStore(table),
    passwords: scryptPasswordHasher,
    assignments: new DynamoAssignmentStore(table),
    audit: new DynamoAuditLog(table),
    events: new DynamoEventLog(table),
    credentials: credentialDirectory(catalog, clock),
    resources: new DynamoResourceStore(table),
    orchestrator: new StepFunctionsOrchestrator({ provision: env.PROVISION_STATE_MACHINE_ARN, teardown: env.TEARDOWN_STATE_MACHINE_ARN }),
    leases: leaseTimers(env),
    substrateResolvers: substrateResolvers(vault, { allowHttpEndpoints: config.allowHttpEndpoints }),
    bootstrapTokens: new HmacBootstrapTokenMinter(vault, env.STAGE),
    nodes: new DynamoNodeStore(table),
    nodeSecrets: new VaultNodeSecrets(vault, env.STAGE),
    enrolmentNotifier: new SfnTaskNotifier(),
    ...overrides,
  };
}

/**
 * The access tokens. A function the deployment told of no key (the node routes, the workflow
 * functions) gets an adapter that refuses, so a missing grant shows as an error, not a token accepted.
 */
function accessTokens(env: ApiEnv, clock: Clock): AccessTokens {
  const signingKeyId = env.ACCESS_TOKEN_KEY_ID;
  if (signingKeyId) {
    const opts = {
      signingKeyId,
      standbyKeyId: env.ACCESS_TOKEN_STANDBY_KEY_ID,
      issuer: env.PUBLIC_URL,
      ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      clock,
    };
    return new KmsAccessTokens(new KmsKeys(), opts);
  }
  const refuse = async (): Promise<never> => {
    throw new Error('This function has no access-token key configured (ACCESS_TOKEN_KEY_ID).');
  };
  return { issue: refuse, verify: refuse, jwks: refuse };
}

/**
 * The lease timers. A function the deployment gave no lease wiring (a group that starts no
 * Resource) gets one that refuses, so a missing grant shows as an error, not a lease never enforced.
 */
function leaseTimers(env: ApiEnv): LeaseTimers {
  const { LEASE_SCHEDULE_GROUP: groupName, LEASE_EXPIRY_FUNCTION_ARN: targetArn, LEASE_SCHEDULER_ROLE_ARN: roleArn } = env;
  if (groupName && targetArn && roleArn) return new SchedulerLeaseTimers({ groupName, targetArn, roleArn });
  const refuse = async () => {
    throw new Error(
      'This function has no lease timers configured (LEASE_SCHEDULE_GROUP, LEASE_EXPIRY_FUNCTION_ARN, LEASE_SCHEDULER_ROLE_ARN).',
    );
  };
  return { arm: refuse, armRequestExpiry: refuse };
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
