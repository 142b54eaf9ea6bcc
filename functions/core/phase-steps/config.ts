import * as z from 'zod';
import type { CatalogStore } from '../catalog/store.ts';
import type { Clock } from '../clock.ts';
import type { ErrorInfo, ResourceStore } from '../resources.ts';
import type { Substrate, SubstrateResolvers } from '../substrate.ts';
import type { Vault } from '../vault.ts';

// What every step takes and answers, and the ports and settings the steps share.

export const StepInputSchema = z.object({
  resource_id: z.string(),
  generation: z.number().int().positive(),
});
export type StepInput = z.infer<typeof StepInputSchema>;

export type StepOutcome =
  | { status: 'done' }
  | { status: 'waiting'; waiting_on: string }
  | { status: 'failed'; error: ErrorInfo }
  | { status: 'superseded' };

export interface TokenMinter {
  mint(input: { projectId: string; resourceId: string; salt: string }): Promise<{ token: string; hash: string }>;
}

export interface TaskCallbacks {
  /** Completes a waiting task; a token already completed or timed out is not an error. */
  succeed(taskToken: string, output: object): Promise<void>;
}

export interface StepConfig {
  /** The API the node redeems its token at (PLEXD_API). */
  apiUrl: string;
  tokenTtlSeconds: number;
  substrateTimeoutSeconds: number;
  drainTimeoutSeconds: number;
  terminateTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  /**
   * How long after a recorded launch intent a teardown that lists no machine keeps looking before
   * it concludes nothing was created: longer than the substrate step's timeout (a launch sent at
   * its last moment) plus the cloud's listing lag. Defaults to LAUNCH_GRACE_SECONDS.
   */
  launchGraceSeconds?: number;
}

/** The substrate step's Lambda timeout (30 s) plus a margin for the cloud to list a new machine. */
export const LAUNCH_GRACE_SECONDS = 180;

export interface StepPorts {
  resources: ResourceStore;
  catalog: CatalogStore;
  vault: Vault;
  clock: Clock;
  config: StepConfig;
}

/** What the substrate steps add: the machines, and the resolvers that plan them per provider. */
export interface SubstratePorts {
  substrate: Substrate;
  substrateResolvers: SubstrateResolvers;
}
