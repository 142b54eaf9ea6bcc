// The public half of the access-token keys, as every function group holds it: fetched from the
// key service (KMS GetPublicKey), cached per container, and picked by a token's kid.
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { log } from '../shared/log.ts';
import { type Es256Jwk, jwkThumbprint, spkiToJwk } from './es256.ts';
import { TOKEN_ALG } from './token-signer.ts';

/** Where a key's public half comes from: KMS GetPublicKey (kms-keys.ts), SPKI DER. */
export interface PublicKeySource {
  publicKey(keyId: string): Promise<Uint8Array>;
}

export interface LiveKey {
  /** As the configuration names it: a KMS key id, ARN or alias. */
  keyId: string;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  jwk: Es256Jwk;
  key: KeyObject;
}

export interface KeyRingOptions {
  /** The live keys' ids, the signing one first; at most two (the signing key and its standby). */
  keyIds: string[];
  clock: Clock;
  /** How long fetched keys are trusted before they are fetched again. */
  ttlMs?: number;
  /** An unknown kid fetches again, but not more often than this: junk kids cannot drive KMS calls. */
  minRefetchMs?: number;
}

const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_MIN_REFETCH_MS = 30_000;

/**
 * The live public keys by kid. Only the configured key ids are ever fetched: a token's kid picks
 * among them and never names a key to fetch. The kid is the key's RFC 7638 thumbprint, not its KMS
 * id, so it is the same however the configuration names the key (id, ARN, alias) and it is bound to
 * the key material itself.
 */
export class PublicKeyRing {
  private cached?: { keys: LiveKey[]; freshUntil: number };
  /** When KMS was last asked, whatever the outcome: an unknown kid asks again only minRefetchMs after it. */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<LiveKey[]>;
  private readonly ttlMs: number;
  private readonly minRefetchMs: number;

  constructor(
    private readonly source: PublicKeySource,
    private readonly opts: KeyRingOptions,
  ) {
    if (opts.keyIds.length === 0) throw new Error('No access-token key is configured.');
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.minRefetchMs = opts.minRefetchMs ?? DEFAULT_MIN_REFETCH_MS;
  }

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  /**
   * Fetches every configured key. The signing key is required (without it nothing can be checked
   * as this stage's own); a standby that fails (an alias not created yet mid-deploy, a key being
   * retired) is logged and left out, or its copy already held is kept, so one bad standby never
   * stops every token check. A set missing a standby is refreshed again after minRefetchMs.
   */
  private fetch(): Promise<LiveKey[]> {
    if (!this.inflight) this.lastFetchAt = this.now();
    this.inflight ??= Promise.allSettled(
      this.opts.keyIds.map(async (keyId): Promise<LiveKey> => ({ keyId, ...withKid(spkiToJwk(await this.source.publicKey(keyId))) })),
    )
      .then((results) => {
        const held = this.cached?.keys ?? [];
        const keys: LiveKey[] = [];
        let missing = false;
        results.forEach((result, i) => {
          const keyId = this.opts.keyIds[i] as string;
          if (result.status === 'fulfilled') {
            keys.push(result.value);
            return;
          }
          if (i === 0) throw result.reason;
          const kept = held.find((k) => k.keyId === keyId);
          if (kept) keys.push(kept);
          else missing = true;
          log('warn', 'access-token standby key unavailable', { key_id: keyId, error: errorName(result.reason) });
        });
        this.cached = { keys, freshUntil: this.now() + (missing ? this.minRefetchMs : this.ttlMs) };
        return keys;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /**
   * The live keys, from the cache while it is fresh. When a refresh fails the keys already held stay
   * in use (a KMS key's public half never changes) and the next try waits minRefetchMs, so an outage
   * of KMS neither rejects valid tokens nor turns every request into a failing call.
   */
  async keys(): Promise<LiveKey[]> {
    const cached = this.cached;
    if (cached && this.now() < cached.freshUntil) return cached.keys;
    try {
      return await this.fetch();
    } catch (err) {
      if (!cached) throw err;
      this.cached = { keys: cached.keys, freshUntil: this.now() + this.minRefetchMs };
      return cached.keys;
    }
  }

  /** The key a token's kid names, or undefined: one refetch at most per minRefetchMs for an unknown kid. */
  async find(kid: string): Promise<LiveKey | undefined> {
    const found = (await this.keys()).find((k) => k.kid === kid);
    if (found) return found;
    if (this.now() - this.lastFetchAt < this.minRefetchMs) return undefined;
    return (await this.fetch()).find((k) => k.kid === kid);
  }

  /** The key that signs: the first configured. */
  async signing(): Promise<LiveKey> {
    const [first] = await this.keys();
    if (!first) throw new Error('No access-token key is configured.');
    return first;
  }

  /** Both live keys as a JWKS document, so a relying party can verify tokens of either. */
  async jwks(): Promise<{ keys: object[] }> {
    return { keys: (await this.keys()).map((k) => ({ ...k.jwk, kid: k.kid, alg: TOKEN_ALG, use: 'sig' })) };
  }
}

function withKid(k: { jwk: Es256Jwk; key: KeyObject }): { kid: string; jwk: Es256Jwk; key: KeyObject } {
  return { ...k, kid: jwkThumbprint(k.jwk) };
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
