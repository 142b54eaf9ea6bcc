import { z } from 'zod';
import { BrokerError } from './errors.ts';

// The substrate a provisioned Resource runs on: machines in a cloud account, reached with the
// credential pinned when the Resource was created.

export interface SubstrateTarget {
  region: string;
  /** Overrides the provider's public endpoint (the local EC2 emulator, LocalStack). */
  endpoint?: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface LaunchSpec {
  /** Makes the launch idempotent: a retry with the same token returns the same machine. */
  clientToken: string;
  imageId: string;
  instanceType: string;
  userData: string;
  tags: Record<string, string>;
}

export type MachineState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface Machine {
  instanceId: string;
  state: MachineState;
  stateReason?: string;
}

export interface Substrate {
  launch(target: SubstrateTarget, spec: LaunchSpec): Promise<Machine>;
  /** Machines carrying the Resource's tag, whatever their state (includes launches still in flight). */
  findByResource(target: SubstrateTarget, resourceId: string): Promise<Machine[]>;
  terminate(target: SubstrateTarget, instanceIds: string[]): Promise<void>;
}

export const RESOURCE_TAG = 'plexsphere:resource-id';
export const PROJECT_TAG = 'plexsphere:project-id';

/** Worth retrying: throttling, a network blip, a 5xx. Step Functions' Retry names it. */
export class TransientError extends BrokerError {
  override readonly name = 'TransientError' as const;
}

/** The cloud refused for good (bad keys, no such image): retrying cannot help. */
export class SubstrateRejectedError extends BrokerError {
  override readonly name = 'SubstrateRejectedError' as const;
}

/** What the blueprint version asks of the machine (the version's internal `template`, as JSON). */
export const MachineTemplateSchema = z.object({
  image_id: z.string().default('ami-plexsphere-cloudless'),
  instance_type: z.string().default('t3.micro'),
  recipe: z.enum(['cloudless', 'plexd-download']).default('cloudless'),
  plexd_url: z.string().optional(),
});
export type MachineTemplate = z.infer<typeof MachineTemplateSchema>;

export function machineTemplate(template: string | undefined, parameters: Record<string, string | number | boolean> = {}): MachineTemplate {
  const base = MachineTemplateSchema.parse(template ? JSON.parse(template) : {});
  // Parameters named like the template's knobs override it (the aws-ec2-instance blueprint's).
  return {
    ...base,
    // An AMI id wins; else an SSM parameter that names one, which EC2 resolves at launch.
    ...(typeof parameters.ssmParameterName === 'string' &&
      parameters.ssmParameterName && { image_id: `resolve:ssm:${parameters.ssmParameterName}` }),
    ...(typeof parameters.ami === 'string' && parameters.ami && { image_id: parameters.ami }),
    ...(typeof parameters.instanceType === 'string' && { instance_type: parameters.instanceType }),
  };
}
