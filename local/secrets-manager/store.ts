// The Secrets Manager emulator's state: every secret with its versions and their staging labels,
// in one JSON file under dataDir so secrets survive a restart. Secret values are never logged nor
// put in errors.
import * as z from 'zod';
import type { Clock } from '../../functions/core/clock.ts';
import { ServiceError } from '../aws-json-protocol.ts';
import { loadStateIn, PersistedState } from '../state-file.ts';

const STATE_FILE = 'secrets-manager.json';
export const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

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

export type StoredVersion = z.infer<typeof VersionSchema>;
export type StoredSecret = z.infer<typeof SecretSchema>;
type State = z.infer<typeof StateSchema>;

export const notFound = () => new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const markedForDeletion = () =>
  new ServiceError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

/** Moves each stage onto `versionId`; a moved AWSCURRENT leaves AWSPREVIOUS on its old holder. */
export function assignStages(secret: StoredSecret, versionId: string, stages: string[]): void {
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

export function versionWithStage(secret: StoredSecret, stage: string): string | undefined {
  return Object.entries(secret.versions).find(([, version]) => version.stages.includes(stage))?.[0];
}

/** The secrets by name, saved whole after each change. */
export class SecretsStore extends PersistedState<State> {
  private constructor(
    file: string,
    state: State,
    readonly clock: Clock,
  ) {
    super(file, state);
  }

  static async load(dataDir: string, clock: Clock): Promise<SecretsStore> {
    const { file, state } = await loadStateIn(dataDir, STATE_FILE, StateSchema, () => ({ secrets: {} }), 'Secrets Manager');
    return new SecretsStore(file, state, clock);
  }

  now(): number {
    return this.clock.now().getTime();
  }

  /** Looks up by name, full ARN or partial ARN (without the random suffix), as AWS does. */
  lookup(secretId: string): StoredSecret | undefined {
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

  find(secretId: string): StoredSecret {
    const secret = this.lookup(secretId);
    if (!secret) throw notFound();
    return secret;
  }

  findLive(secretId: string): StoredSecret {
    const secret = this.find(secretId);
    if (secret.deletedDate !== undefined) throw markedForDeletion();
    return secret;
  }

  add(secret: StoredSecret): void {
    this.state.secrets[secret.name] = secret;
  }

  remove(name: string): void {
    delete this.state.secrets[name];
  }
}
