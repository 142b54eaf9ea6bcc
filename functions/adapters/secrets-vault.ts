// Vault port on AWS Secrets Manager. The client takes its endpoint from the environment
// (AWS_ENDPOINT_URL_SECRETS_MANAGER), so the same code talks to AWS, LocalStack or the local emulator.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Vault, VaultedSecret } from '../core/vault.ts';

const CURRENT = 'AWSCURRENT';

export class SecretsManagerVault implements Vault {
  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {}

  async create(name: string, value: string): Promise<VaultedSecret> {
    const out = await this.call(name, () => this.client.send(new CreateSecretCommand({ Name: name, SecretString: value })));
    return { arn: required(out.ARN, 'ARN'), versionId: required(out.VersionId, 'VersionId') };
  }

  async read(nameOrArn: string, versionId?: string): Promise<{ value: string; versionId: string }> {
    const out = await this.call(nameOrArn, () =>
      this.client.send(new GetSecretValueCommand({ SecretId: nameOrArn, VersionId: versionId })),
    );
    // The broker only stores strings; a binary secret here is not one of ours.
    return { value: required(out.SecretString, 'SecretString'), versionId: required(out.VersionId, 'VersionId') };
  }

  async put(nameOrArn: string, value: string): Promise<VaultedSecret> {
    const out = await this.call(nameOrArn, () => this.client.send(new PutSecretValueCommand({ SecretId: nameOrArn, SecretString: value })));
    return { arn: required(out.ARN, 'ARN'), versionId: required(out.VersionId, 'VersionId') };
  }

  async describe(nameOrArn: string): Promise<{ arn: string; currentVersionId: string }> {
    const out = await this.call(nameOrArn, () => this.client.send(new DescribeSecretCommand({ SecretId: nameOrArn })));
    // DescribeSecret still answers for a secret scheduled for deletion, but its value is no longer readable.
    if (out.DeletedDate) throw new NotFoundError('secret_not_found', `Secret ${nameOrArn} is scheduled for deletion.`);
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(CURRENT));
    if (!current) throw new NotFoundError('secret_not_found', `Secret ${nameOrArn} has no current version.`);
    return { arn: required(out.ARN, 'ARN'), currentVersionId: current[0] };
  }

  async remove(nameOrArn: string): Promise<void> {
    try {
      await this.call(nameOrArn, () => this.client.send(new DeleteSecretCommand({ SecretId: nameOrArn, RecoveryWindowInDays: 7 })));
    } catch (error) {
      if (error instanceof NotFoundError) return;
      // A second DeleteSecret of a secret already scheduled for deletion is refused
      // (InvalidRequestException, as for any call on it): its removal is under way, which is done.
      if ((error as { name?: unknown }).name === 'InvalidRequestException' && (await this.scheduledForDeletion(nameOrArn))) return;
      throw error;
    }
  }

  private async scheduledForDeletion(nameOrArn: string): Promise<boolean> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: nameOrArn })).catch(() => undefined);
    return out?.DeletedDate !== undefined;
  }

  /** Runs one SDK call, turning the service's modeled errors into core errors. */
  private async call<T>(secretId: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      switch ((error as { name?: unknown }).name) {
        case 'ResourceExistsException':
          throw new ConflictError('secret_exists', `Secret ${secretId} already exists.`);
        case 'ResourceNotFoundException':
          throw new NotFoundError('secret_not_found', `Secret ${secretId} was not found.`);
        default:
          throw error;
      }
    }
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new Error(`Secrets Manager response lacks ${field}`);
  return value;
}
