// Which resolver plans Resources on which cloud provider: wired once for the API (which refuses
// a Cloud whose provider is missing here) and the substrate steps (which resolve the launch).
import type { SubstrateResolvers } from '../core/substrate.ts';
import type { Vault } from '../core/vault.ts';
import { type AwsResolverConfig, AwsSubstrateResolver } from '../adapters/aws/substrate-resolver.ts';

export function substrateResolvers(vault: Vault, config: AwsResolverConfig): SubstrateResolvers {
  return { aws: new AwsSubstrateResolver(vault, config) };
}
