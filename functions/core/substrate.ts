import type { CredentialHandle } from './assignments/assignment.ts';
import type { BlueprintVersion } from './catalog/blueprints.ts';
import type { Cloud } from './catalog/clouds.ts';
import type { CloudProvider } from './catalog/provider-keys.ts';
import { brokerError, UnprocessableError } from './errors.ts';
import type { ErrorInfo } from './resources.ts';
import type { InstallRecipe } from './user-data.ts';

// The substrate a provisioned Resource runs on: machines in a cloud account, reached with the
// credential pinned when the Resource was created. The core knows no provider: a resolver per
// provider turns a Resource into a plan that only that provider's substrate adapter reads.

export type MachineState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface Machine {
  instanceId: string;
  state: MachineState;
  stateReason?: string;
}

/** What the core adds to every launch; the plan's `machine` (image, size) is spread beside it. */
export interface LaunchRequest {
  /** Makes the launch idempotent: a retry with the same token returns the same machine. */
  clientToken: string;
  userData: string;
  tags: Record<string, string>;
}

/** The machines of a cloud account. `target` is a plan's: opaque here, the adapter's own shape. */
export interface Substrate {
  launch(target: unknown, spec: LaunchRequest): Promise<Machine>;
  /** Machines carrying the Resource's tag, whatever their state (includes launches still in flight). */
  findByResource(target: unknown, resourceId: string): Promise<Machine[]>;
  terminate(target: unknown, instanceIds: string[]): Promise<void>;
  /** The account that owns an image; undefined when the cloud does not know it or does not show it to this account. */
  imageOwner(target: unknown, imageId: string): Promise<string | undefined>;
}

/** What a resolver reads to plan a Resource's machines. */
export interface SubstrateRequest {
  cloud: Cloud;
  /** The credential version pinned at creation. */
  credential: CredentialHandle;
  parameters: Record<string, string | number | boolean>;
  /** The version the machine is launched from; absent when only its machines are looked up. */
  version?: BlueprintVersion | undefined;
}

export interface SubstratePlan {
  /** Recorded on the Resource as its substrate reference. */
  provider: CloudProvider;
  region: string;
  /** Where and as whom the substrate adapter reaches the machines. */
  target: unknown;
  /** What to launch (image, size), in the substrate adapter's terms. */
  machine: Record<string, unknown>;
  /** How plexd gets onto the machine. */
  install: InstallRecipe;
  /** An image the Resource's parameters chose: launched only when one of `allowedOwners` owns it. */
  image?: { id: string; allowedOwners: readonly string[] };
}

export interface SubstrateRefusal {
  refused: ErrorInfo;
}

/** One per cloud provider, in the adapters; composition registers them by provider. */
export interface SubstrateResolver {
  resolve(request: SubstrateRequest): Promise<SubstratePlan | SubstrateRefusal>;
}

export type SubstrateResolvers = Partial<Record<CloudProvider, SubstrateResolver>>;

/** The Cloud's resolver; 422 `provider_not_supported` when this broker provisions nothing on its provider. */
export function resolverFor(resolvers: SubstrateResolvers, cloud: Pick<Cloud, 'id' | 'provider'>): SubstrateResolver {
  const resolver = resolvers[cloud.provider];
  if (!resolver) {
    throw new UnprocessableError(
      'provider_not_supported',
      `Resources cannot be provisioned on cloud ${cloud.id}: this broker has no substrate for provider "${cloud.provider}".`,
    );
  }
  return resolver;
}

export const RESOURCE_TAG = 'plexsphere:resource-id';
export const PROJECT_TAG = 'plexsphere:project-id';

/** Worth retrying: throttling, a network blip, a 5xx. Step Functions' Retry names it. */
export class TransientError extends brokerError('TransientError') {}

/** The cloud refused for good (bad keys, no such image): retrying cannot help. */
export class SubstrateRejectedError extends brokerError('SubstrateRejectedError') {}
