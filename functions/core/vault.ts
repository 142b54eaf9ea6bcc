// Port for the secret store (Secrets Manager). Credential material goes in and, apart from the
// broker's own use, never comes out again.

export interface VaultedSecret {
  /** The secret's ARN (or the emulator's equivalent). */
  arn: string;
  versionId: string;
}

export interface Vault {
  /** Creates a secret; throws ConflictError('secret_exists') when the name is taken. */
  create(name: string, value: string): Promise<VaultedSecret>;
  /** Reads a secret's value (AWSCURRENT, or a pinned version); throws NotFoundError when absent. */
  read(nameOrArn: string, versionId?: string): Promise<{ value: string; versionId: string }>;
  /** Adds a new current version. */
  put(nameOrArn: string, value: string): Promise<VaultedSecret>;
  /** Checks a version is readable without returning its value. */
  describe(nameOrArn: string): Promise<{ arn: string; currentVersionId: string }>;
  /** Schedules a secret for deletion (recoverable for a while); one that is gone already is fine. */
  remove(nameOrArn: string): Promise<void>;
}
