// The only wiring that loads the EC2 client: imported by the substrate steps' group alone.
import type { Substrate } from '../core/substrate.ts';
import { Ec2Substrate } from '../adapters/aws/ec2-substrate.ts';

let cached: Substrate | undefined;

export function substrate(): Substrate {
  cached ??= new Ec2Substrate();
  return cached;
}
