import type * as z from 'zod';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { parseVaultedJson, type Vault } from '../core/vault.ts';

/**
 * Reads a key the broker keeps in the vault, creating it on first use. Creation is conditional:
 * when two cold containers race, the loser's create fails and it reads the winner's key, so there
 * is only ever one key.
 */
export async function loadOrCreateKey<S extends z.ZodType>(
  vault: Vault,
  secretId: string,
  schema: S,
  create: () => z.infer<S>,
): Promise<z.infer<S>> {
  try {
    return parseVaultedJson((await vault.read(secretId)).value, schema, 'secret_unreadable', `key ${secretId}`);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    await vault.create(secretId, JSON.stringify(create()));
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
  return parseVaultedJson((await vault.read(secretId)).value, schema, 'secret_unreadable', `key ${secretId}`);
}

/** Caches a loaded key per container; a failed load is retried on the next call. */
export function cachedKey<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
