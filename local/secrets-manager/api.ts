// In-process emulator of the AWS Secrets Manager JSON API (awsJson1_1), enough for the broker's
// vault: Create/Get/Put/Describe/Delete secret with version stages. State lives in one JSON file
// under dataDir (store.ts) so secrets survive a restart. Secret values are never logged nor put in errors.
import { randomBytes, randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Clock } from '../../functions/core/clock.ts';
import { fail, runOperation, serveJsonStore, signedRegion } from '../aws-json-protocol.ts';
import {
  assignStages,
  CURRENT,
  markedForDeletion,
  SecretsStore,
  type StoredSecret,
  type StoredVersion,
  versionWithStage,
} from './store.ts';

const ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

const SecretName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9/_+=.@-]+$/);
const SecretId = z.string().min(1).max(2048);
const Token = z.string().min(32).max(64);
const Stage = z.string().min(1).max(256);
const Value = {
  SecretString: z.string().max(65536).optional(),
  SecretBinary: z.base64().optional(),
};

/** The operations served and the input each takes; the SecretsManager method of the same name answers it. */
const INPUTS = {
  CreateSecret: z.object({
    Name: SecretName,
    ClientRequestToken: Token.optional(),
    Description: z.string().max(2048).optional(),
    ...Value,
  }),
  GetSecretValue: z.object({
    SecretId,
    VersionId: Token.optional(),
    VersionStage: Stage.optional(),
  }),
  PutSecretValue: z.object({
    SecretId,
    ClientRequestToken: Token.optional(),
    VersionStages: z.array(Stage).min(1).max(20).optional(),
    ...Value,
  }),
  DescribeSecret: z.object({ SecretId }),
  DeleteSecret: z.object({
    SecretId,
    ForceDeleteWithoutRecovery: z.boolean().optional(),
    RecoveryWindowInDays: z.number().int().optional(),
  }),
};
type Input<K extends keyof typeof INPUTS> = z.infer<(typeof INPUTS)[K]>;

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function arnSuffix(): string {
  return Array.from(randomBytes(6), (byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
}

function secretValue(input: { SecretString?: string | undefined; SecretBinary?: string | undefined }) {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    fail('InvalidParameterException', "You can't specify both a binary secret value and a string secret value.");
  }
  return { secretString: input.SecretString, secretBinary: input.SecretBinary };
}

function sameValue(version: StoredVersion, value: ReturnType<typeof secretValue>): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

/** The service actions, over the store. */
class SecretsManager {
  constructor(private readonly store: SecretsStore) {}

  handle(operation: string, body: unknown, region: string): Promise<unknown> {
    return runOperation(this, INPUTS, operation, body, 'InvalidParameterException', region);
  }

  async CreateSecret(input: Input<'CreateSecret'>, region: string) {
    const existing = this.store.lookup(input.Name);
    if (existing?.deletedDate !== undefined) {
      fail(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) fail('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
    const value = secretValue(input);
    const now = epochSeconds(this.store.clock.now());
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${input.Name}-${arnSuffix()}`,
      name: input.Name,
      description: input.Description,
      createdDate: now,
      lastChangedDate: now,
      versions: {},
    };
    // Without a value AWS creates an empty secret; the SDK always sends a token, which we ignore then.
    const hasValue = value.secretString !== undefined || value.secretBinary !== undefined;
    const versionId = hasValue ? (input.ClientRequestToken ?? randomUUID()) : undefined;
    if (versionId) {
      secret.versions[versionId] = { ...value, createdDate: now, stages: [] };
      assignStages(secret, versionId, [CURRENT]);
    }
    this.store.add(secret);
    await this.store.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  GetSecretValue(input: Input<'GetSecretValue'>) {
    const secret = this.store.findLive(input.SecretId);
    // AWSCURRENT is only implied when neither a version nor a stage is asked for.
    const stage = input.VersionStage ?? (input.VersionId === undefined ? CURRENT : undefined);
    const versionId = input.VersionId ?? (stage === undefined ? undefined : versionWithStage(secret, stage));
    const version = versionId === undefined ? undefined : secret.versions[versionId];
    if (!versionId || !version || (stage !== undefined && !version.stages.includes(stage))) {
      const what = input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${stage}`;
      fail('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${what}`);
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: version.stages,
      CreatedDate: version.createdDate,
    };
  }

  async PutSecretValue(input: Input<'PutSecretValue'>) {
    const secret = this.store.findLive(input.SecretId);
    const value = secretValue(input);
    if (value.secretString === undefined && value.secretBinary === undefined) {
      fail('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    }
    const versionId = input.ClientRequestToken ?? randomUUID();
    const existing = secret.versions[versionId];
    const result = () => ({
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      VersionStages: secret.versions[versionId]?.stages,
    });
    // A retried request (same token, same value) is a no-op, as on AWS.
    if (existing && sameValue(existing, value)) return result();
    if (existing) fail('ResourceExistsException', "You can't modify an existing version, you can only create a new version.");
    const now = epochSeconds(this.store.clock.now());
    secret.versions[versionId] = { ...value, createdDate: now, stages: [] };
    assignStages(secret, versionId, input.VersionStages ?? [CURRENT]);
    secret.lastChangedDate = now;
    await this.store.save();
    return result();
  }

  DescribeSecret(input: Input<'DescribeSecret'>) {
    const secret = this.store.find(input.SecretId);
    // Versions without a stage are deprecated and AWS leaves them out of this map.
    const versionIdsToStages = Object.fromEntries(
      Object.entries(secret.versions)
        .filter(([, version]) => version.stages.length > 0)
        .map(([id, version]) => [id, version.stages]),
    );
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      DeletedDate: secret.deletedDate,
      VersionIdsToStages: versionIdsToStages,
    };
  }

  async DeleteSecret(input: Input<'DeleteSecret'>) {
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      fail('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.RecoveryWindowInDays ?? 30;
    if (days < 7 || days > 30) fail('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30.');
    const secret = this.store.find(input.SecretId);
    // As on AWS (and moto): a scheduled deletion is not scheduled again; only a forced delete goes on.
    if (secret.deletedDate !== undefined && !input.ForceDeleteWithoutRecovery) throw markedForDeletion();
    const now = this.store.now();
    const deletionDate = input.ForceDeleteWithoutRecovery ? now : now + days * DAY_MS;
    if (input.ForceDeleteWithoutRecovery) this.store.remove(secret.name);
    else secret.deletedDate = deletionDate / 1000;
    await this.store.save();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate ?? deletionDate / 1000 };
  }
}

export async function startSecretsManager(opts: {
  dataDir: string;
  port?: number;
  host?: string;
  clock?: Clock;
}): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const store = await SecretsStore.load(opts.dataDir, opts.clock ?? { now: () => new Date() });
  const service = new SecretsManager(store);
  return serveJsonStore(store, {
    service: 'secretsmanager',
    version: '1.1',
    host: opts.host,
    port: opts.port,
    maxBodyBytes: MAX_BODY_BYTES,
    tooLargeType: 'InvalidRequestException',
    internalErrorType: 'InternalServiceError',
    nullIsMalformed: true,
    handle: (operation, body, req) => service.handle(operation, body, signedRegion(req) ?? DEFAULT_REGION),
  });
}
