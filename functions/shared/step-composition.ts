// Wiring for the step functions. Kept apart from composition.ts so that the API bundles do not
// pull in what only steps use; the EC2 client is wired in substrate-composition.ts alone.
import { systemClock } from '../core/clock.ts';
import type { StepPorts, TaskCallbacks, TokenMinter } from '../core/phase-steps/config.ts';
import type { SubstrateResolvers } from '../core/substrate.ts';
import { BootstrapTokenMinter } from '../adapters/bootstrap-token-minter.ts';
import { DynamoCatalogStore } from '../adapters/catalog-store.ts';
import { Table } from '../adapters/dynamo/table.ts';
import { DynamoResourceStore } from '../adapters/resource-store.ts';
import { SecretsManagerVault } from '../adapters/secrets-vault.ts';
import { SfnTaskNotifier } from '../adapters/sfn-task-notifier.ts';
import { stepsEnv } from './env.ts';
import { substrateResolvers } from './substrate-resolvers.ts';

export interface StepDeps extends StepPorts {
  minter: TokenMinter;
  callbacks: TaskCallbacks;
  substrateResolvers: SubstrateResolvers;
}

let cached: StepDeps | undefined;

export function stepDeps(): StepDeps {
  if (cached) return cached;
  const env = stepsEnv();
  const table = new Table(env.TABLE_NAME);
  const vault = new SecretsManagerVault();
  cached = {
    resources: new DynamoResourceStore(table),
    catalog: new DynamoCatalogStore(table),
    vault,
    clock: systemClock,
    minter: new BootstrapTokenMinter(vault, env.STAGE),
    callbacks: new SfnTaskNotifier(),
    substrateResolvers: substrateResolvers(vault, { allowHttpEndpoints: env.CLOUD_ENDPOINT_ALLOW_HTTP === 'true' }),
    config: {
      apiUrl: env.PUBLIC_URL,
      tokenTtlSeconds: env.BOOTSTRAP_TOKEN_TTL_SECONDS,
      substrateTimeoutSeconds: env.SUBSTRATE_TIMEOUT_SECONDS,
      drainTimeoutSeconds: env.DRAIN_TIMEOUT_SECONDS,
      terminateTimeoutSeconds: env.TERMINATE_TIMEOUT_SECONDS,
      heartbeatIntervalSeconds: env.HEARTBEAT_INTERVAL_SECONDS,
      launchGraceSeconds: env.LAUNCH_GRACE_SECONDS,
    },
  };
  return cached;
}

/** The local stack restarts its functions' view of the environment. */
export function resetStepDeps(): void {
  cached = undefined;
}
