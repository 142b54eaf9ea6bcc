// Access tokens signed by a KMS key: the auth group signs (kms:Sign), every group verifies with
// the public keys (kms:GetPublicKey only). See public-key-ring.ts for how keys are picked by kid.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { UnauthenticatedError } from '../core/errors.ts';
import type { AccessTokenClaims, AccessTokens, IssuedToken } from '../core/ports.ts';
import { derToJoseSignature } from './es256.ts';
import { PublicKeyRing, type PublicKeySource } from './public-key-ring.ts';
import type { MessageSigner } from './kms-keys.ts';
import { checkToken, signingInput, tokenKid } from './token-signer.ts';

export interface KmsAccessTokenOptions {
  /** The key that signs new tokens. */
  signingKeyId: string;
  /** A second live key, verified and published but never used to sign: the next key before a switch, the previous one after. */
  standbyKeyId?: string | undefined;
  issuer: string;
  ttlSeconds: number;
  clock: Clock;
  /** Tests shorten the key cache. */
  cache?: { ttlMs?: number; minRefetchMs?: number };
}

export class KmsAccessTokens implements AccessTokens {
  private readonly ring: PublicKeyRing;

  constructor(
    private readonly keys: PublicKeySource & MessageSigner,
    private readonly opts: KmsAccessTokenOptions,
  ) {
    const keyIds = [opts.signingKeyId, ...(opts.standbyKeyId && opts.standbyKeyId !== opts.signingKeyId ? [opts.standbyKeyId] : [])];
    this.ring = new PublicKeyRing(keys, { keyIds, clock: opts.clock, ...opts.cache });
  }

  async issue(claims: AccessTokenClaims): Promise<IssuedToken> {
    const { kid } = await this.ring.signing();
    const issuedAt = Math.floor(this.opts.clock.now().getTime() / 1000);
    const input = signingInput(kid, {
      claims,
      issuer: this.opts.issuer,
      issuedAt,
      ttlSeconds: this.opts.ttlSeconds,
      jti: randomBytes(12).toString('base64url'),
    });
    const der = await this.keys.sign(this.opts.signingKeyId, Buffer.from(input));
    return { token: `${input}.${derToJoseSignature(der).toString('base64url')}`, expiresIn: this.opts.ttlSeconds };
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const live = await this.ring.find(tokenKid(token));
    // A kid that names none of our live keys: signed by a key we do not trust (or an old one now dropped).
    if (!live) throw new UnauthenticatedError('invalid_token', 'The access token is not valid.');
    const nowSeconds = Math.floor(this.opts.clock.now().getTime() / 1000);
    return checkToken(token, live.key, { issuer: this.opts.issuer, nowSeconds });
  }

  jwks(): Promise<{ keys: object[] }> {
    return this.ring.jwks();
  }
}
