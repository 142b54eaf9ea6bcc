import type * as z from 'zod';
import { brokerError } from './errors.ts';

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

/**
 * A secret read back is not in the form the broker stored it in. Its message never quotes the
 * secret: a JSON.parse SyntaxError does (V8 repeats a snippet of the input), and so could a
 * schema's issue, so neither is kept, not even as a cause.
 */
export class SecretUnreadableError extends brokerError('SecretUnreadableError') {}

/** Parses a vaulted secret's JSON against `schema`; SecretUnreadableError `code` (no text of the secret) when it does not fit. */
export function parseVaultedJson<S extends z.ZodType>(text: string, schema: S, code: string, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretUnreadableError(code, `The vaulted ${what} is not JSON.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new SecretUnreadableError(code, `The vaulted ${what} does not have the fields the broker stores.`);
  return parsed.data;
}
