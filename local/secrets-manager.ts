// In-process emulator of the AWS Secrets Manager JSON API (awsJson1_1), enough for the broker's
// vault: Create/Get/Put/Describe/Delete secret with version stages. State lives in one JSON file
// under dataDir so secrets survive a restart. Secret values are never logged nor put in errors.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../functions/core/clock.ts';
import { readBodyText, StateFile } from './state-file.ts';

const STATE_FILE = 'secrets-manager.json';
const ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

const VersionSchema = z.object({
  secretString: z.string().optional(),
  /** Base64, exactly as it travels on the wire. */
  secretBinary: z.string().optional(),
  createdDate: z.number(),
  stages: z.array(z.string()),
});

const SecretSchema = z.object({
  arn: z.string(),
  name: z.string(),
  description: z.string().optional(),
  createdDate: z.number(),
  lastChangedDate: z.number(),
  /** When the secret will be purged; set once deletion is scheduled. */
  deletedDate: z.number().optional(),
  versions: z.record(z.string(), VersionSchema),
});

const StateSchema = z.object({ secrets: z.record(z.string(), SecretSchema) });

type StoredVersion = z.infer<typeof VersionSchema>;
type StoredSecret = z.infer<typeof SecretSchema>;
type State = z.infer<typeof StateSchema>;

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

const CreateSecretInput = z.object({
  Name: SecretName,
  ClientRequestToken: Token.optional(),
  Description: z.string().max(2048).optional(),
  ...Value,
});
const GetSecretValueInput = z.object({
  SecretId,
  VersionId: Token.optional(),
  VersionStage: Stage.optional(),
});
const PutSecretValueInput = z.object({
  SecretId,
  ClientRequestToken: Token.optional(),
  VersionStages: z.array(Stage).min(1).max(20).optional(),
  ...Value,
});
const DescribeSecretInput = z.object({ SecretId });
const DeleteSecretInput = z.object({
  SecretId,
  ForceDeleteWithoutRecovery: z.boolean().optional(),
  RecoveryWindowInDays: z.number().int().optional(),
});

/** An error the SDK maps to a modeled exception class by its `__type`. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const notFound = () => new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new ServiceError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  // Field paths only: the issue text could echo a submitted value.
  const fields = result.error.issues.map((issue) => issue.path.join('.') || '(body)');
  return fail('InvalidParameterException', `Invalid or missing parameter: ${[...new Set(fields)].join(', ')}`);
}

function fail(type: string, message: string): never {
  throw new ServiceError(type, message);
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function arnSuffix(): string {
  return Array.from(randomBytes(6), (byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
}

/** The region the caller signed for, so ARNs match the client's configuration. */
function signedRegion(req: IncomingMessage): string {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '');
  return match?.[1] ?? DEFAULT_REGION;
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

/** Moves each stage onto `versionId`; a moved AWSCURRENT leaves AWSPREVIOUS on its old holder. */
function assignStages(secret: StoredSecret, versionId: string, stages: string[]): void {
  const oldCurrent = stages.includes(CURRENT) ? versionWithStage(secret, CURRENT) : undefined;
  const moved = new Set(oldCurrent && oldCurrent !== versionId ? [...stages, PREVIOUS] : stages);
  for (const version of Object.values(secret.versions)) {
    version.stages = version.stages.filter((stage) => !moved.has(stage));
  }
  const target = secret.versions[versionId];
  if (!target) throw new Error(`version ${versionId} missing`);
  target.stages = [...new Set([...target.stages, ...stages])];
  if (oldCurrent && oldCurrent !== versionId) secret.versions[oldCurrent]?.stages.push(PREVIOUS);
}

function versionWithStage(secret: StoredSecret, stage: string): string | undefined {
  return Object.entries(secret.versions).find(([, version]) => version.stages.includes(stage))?.[0];
}

class SecretsStore {
  private readonly stateFile: StateFile;

  constructor(
    file: string,
    private readonly state: State,
    private readonly clock: Clock,
  ) {
    this.stateFile = new StateFile(file);
  }

  static async load(dataDir: string, clock: Clock): Promise<SecretsStore> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, STATE_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new SecretsStore(file, { secrets: {} }, clock);
      throw error;
    }
    // A corrupt file must not be silently replaced. The parser's own message is dropped: JSON.parse
    // quotes the text it choked on, which here is secret material.
    const parsed = StateSchema.safeParse(parseJson(text));
    if (!parsed.success) throw new Error(`${file} is not a valid Secrets Manager state file; repair or remove it`);
    return new SecretsStore(file, parsed.data, clock);
  }

  async handle(operation: string, body: unknown, region: string): Promise<unknown> {
    switch (operation) {
      case 'CreateSecret':
        return this.create(parse(CreateSecretInput, body), region);
      case 'GetSecretValue':
        return this.getValue(parse(GetSecretValueInput, body));
      case 'PutSecretValue':
        return this.putValue(parse(PutSecretValueInput, body));
      case 'DescribeSecret':
        return this.describe(parse(DescribeSecretInput, body));
      case 'DeleteSecret':
        return this.delete(parse(DeleteSecretInput, body));
      default:
        return fail('UnknownOperationException', `Operation ${operation} is not supported by the local emulator.`);
    }
  }

  /** Waits for pending writes, so a restart sees everything that was acknowledged. */
  flush(): Promise<void> {
    return this.stateFile.settled();
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** Looks up by name, full ARN or partial ARN (without the random suffix), as AWS does. */
  private lookup(secretId: string): StoredSecret | undefined {
    const secret = secretId.startsWith('arn:')
      ? Object.values(this.state.secrets).find((s) => s.arn === secretId || s.arn.slice(0, -7) === secretId)
      : this.state.secrets[secretId];
    // A secret past its recovery window is gone; the purge is persisted with the next write.
    if (secret?.deletedDate !== undefined && secret.deletedDate * 1000 <= this.now()) {
      delete this.state.secrets[secret.name];
      return undefined;
    }
    return secret;
  }

  private find(secretId: string): StoredSecret {
    const secret = this.lookup(secretId);
    if (!secret) throw notFound();
    return secret;
  }

  private findLive(secretId: string): StoredSecret {
    const secret = this.find(secretId);
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    return secret;
  }

  private async create(input: z.infer<typeof CreateSecretInput>, region: string) {
    const existing = this.lookup(input.Name);
    if (existing?.deletedDate !== undefined) {
      fail(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) fail('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
    const value = secretValue(input);
    const now = epochSeconds(this.clock.now());
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
    this.state.secrets[secret.name] = secret;
    await this.save();
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  private getValue(input: z.infer<typeof GetSecretValueInput>) {
    const secret = this.findLive(input.SecretId);
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

  private async putValue(input: z.infer<typeof PutSecretValueInput>) {
    const secret = this.findLive(input.SecretId);
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
    const now = epochSeconds(this.clock.now());
    secret.versions[versionId] = { ...value, createdDate: now, stages: [] };
    assignStages(secret, versionId, input.VersionStages ?? [CURRENT]);
    secret.lastChangedDate = now;
    await this.save();
    return result();
  }

  private describe(input: z.infer<typeof DescribeSecretInput>) {
    const secret = this.find(input.SecretId);
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

  private async delete(input: z.infer<typeof DeleteSecretInput>) {
    if (input.ForceDeleteWithoutRecovery && input.RecoveryWindowInDays !== undefined) {
      fail('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.RecoveryWindowInDays ?? 30;
    if (days < 7 || days > 30) fail('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30.');
    const secret = this.find(input.SecretId);
    // As on AWS (and moto): a scheduled deletion is not scheduled again; only a forced delete goes on.
    if (secret.deletedDate !== undefined && !input.ForceDeleteWithoutRecovery) throw markedForDeletion();
    const deletionDate = input.ForceDeleteWithoutRecovery ? this.now() : this.now() + days * DAY_MS;
    if (input.ForceDeleteWithoutRecovery) delete this.state.secrets[secret.name];
    else secret.deletedDate = deletionDate / 1000;
    await this.save();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletedDate ?? deletionDate / 1000 };
  }

  private save(): Promise<void> {
    return this.stateFile.save(() => this.state);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBodyText(req, MAX_BODY_BYTES, () => {
    throw new ServiceError('InvalidRequestException', 'Request body too large.', 413);
  });
  if (text === '') return {};
  return parseJson(text) ?? fail('SerializationException', 'Request body is not valid JSON.');
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(payload);
}

export async function startSecretsManager(opts: {
  dataDir: string;
  port?: number;
  host?: string;
  clock?: Clock;
}): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const store = await SecretsStore.load(opts.dataDir, opts.clock ?? { now: () => new Date() });

  const server = createServer(async (req, res) => {
    try {
      const target = req.headers['x-amz-target'];
      const operation = typeof target === 'string' && target.startsWith('secretsmanager.') ? target.slice(15) : undefined;
      if (req.method !== 'POST' || !operation) {
        throw new ServiceError('UnknownOperationException', 'Expected POST with X-Amz-Target: secretsmanager.<Operation>.');
      }
      const result = await store.handle(operation, await readBody(req), signedRegion(req));
      send(res, 200, result);
    } catch (error) {
      const known = error instanceof ServiceError;
      const type = known ? error.type : 'InternalServiceError';
      // Unexpected errors are reduced to a fixed message: their text might carry request data.
      const message = known ? error.message : 'An internal error occurred in the local emulator.';
      send(res, known ? error.status : 500, { __type: type, message }, type);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      // SDK clients keep connections alive; without this, close() would wait for them to time out.
      server.closeIdleConnections();
      await closed;
      await store.flush();
    },
  };
}
