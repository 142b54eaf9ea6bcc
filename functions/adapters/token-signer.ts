import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError } from '../core/errors.ts';
import type { AccessTokenClaims, AccessTokens, CursorSealer, IssuedToken } from '../core/ports.ts';
import type { Vault } from '../core/vault.ts';

const ALG = 'ES256';
export const TOKEN_AUDIENCE = 'plexsphere-api';

const SigningSecretSchema = z.object({
  kid: z.string(),
  private_jwk: z.record(z.string(), z.unknown()),
  public_jwk: z.record(z.string(), z.unknown()),
  cursor_key: z.string(),
});
type SigningSecret = z.infer<typeof SigningSecretSchema>;
type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

async function newSigningSecret(): Promise<SigningSecret> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return {
    kid,
    private_jwk: { ...(await exportJWK(privateKey)), kid, alg: ALG },
    public_jwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' },
    cursor_key: randomBytes(32).toString('base64'),
  };
}

/**
 * The signing key lives in the vault. It is created once, conditionally: when two cold
 * containers race, the loser's create fails and it reads the winner's key.
 */
async function loadOrCreate(vault: Vault, secretId: string): Promise<SigningSecret> {
  try {
    return SigningSecretSchema.parse(JSON.parse((await vault.read(secretId)).value));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  try {
    await vault.create(secretId, JSON.stringify(await newSigningSecret()));
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
  return SigningSecretSchema.parse(JSON.parse((await vault.read(secretId)).value));
}

const ClaimsSchema = z.object({
  sub: z.string(),
  domain_id: z.string(),
  email: z.string(),
});

export class JoseAccessTokens implements AccessTokens, CursorSealer {
  private secret?: Promise<SigningSecret>;

  constructor(
    private readonly vault: Vault,
    private readonly opts: { secretId: string; issuer: string; ttlSeconds: number; clock: Clock },
  ) {}

  private keys(): Promise<SigningSecret> {
    this.secret ??= loadOrCreate(this.vault, this.opts.secretId).catch((err) => {
      this.secret = undefined;
      throw err;
    });
    return this.secret;
  }

  // The imported keys, once per container: importing a JWK on every request cost a share of each one.
  private imported?: Promise<{ secret: SigningSecret; signing: ImportedKey; verifying: ImportedKey }>;
  private importedKeys() {
    this.imported ??= this.keys()
      .then(async (secret) => ({
        secret,
        signing: await importJWK(secret.private_jwk as JWK, ALG),
        verifying: await importJWK(secret.public_jwk as JWK, ALG),
      }))
      .catch((err) => {
        this.imported = undefined;
        throw err;
      });
    return this.imported;
  }

  async issue(claims: AccessTokenClaims): Promise<IssuedToken> {
    const { secret, signing: key } = await this.importedKeys();
    const nowSeconds = Math.floor(this.opts.clock.now().getTime() / 1000);
    const token = await new SignJWT({ domain_id: claims.domainId, email: claims.email })
      .setProtectedHeader({ alg: ALG, kid: secret.kid, typ: 'JWT' })
      .setSubject(claims.subject)
      .setIssuer(this.opts.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.opts.ttlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(key);
    return { token, expiresIn: this.opts.ttlSeconds };
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const { verifying: key } = await this.importedKeys();
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALG],
        issuer: this.opts.issuer,
        audience: TOKEN_AUDIENCE,
        currentDate: this.opts.clock.now(),
        // jose checks exp only when present: a token without one would never expire.
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      const claims = ClaimsSchema.parse(payload);
      return { subject: claims.sub, domainId: claims.domain_id, email: claims.email };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new UnauthenticatedError('token_expired', 'The access token has expired; sign in again.');
      }
      throw new UnauthenticatedError('invalid_token', 'The access token is not valid.');
    }
  }

  async jwks(): Promise<{ keys: object[] }> {
    return { keys: [(await this.keys()).public_jwk] };
  }

  private async mac(body: string): Promise<Buffer> {
    const key = Buffer.from((await this.keys()).cursor_key, 'base64');
    return createHmac('sha256', key).update(body).digest();
  }

  // A cursor carries the id to resume after and a digest of who may use it on which query. The
  // MAC covers both: a forged or edited cursor is 400, a genuine one replayed elsewhere is 403.
  async seal(afterId: string, binding: string): Promise<string> {
    const body = Buffer.from(JSON.stringify({ v: 1, a: afterId, b: bindingDigest(binding) })).toString('base64url');
    return `${body}.${(await this.mac(body)).toString('base64url')}`;
  }

  async open(cursor: string, binding: string): Promise<string> {
    const [body, tag, extra] = cursor.split('.');
    const invalid = new InvalidInputError('invalid_cursor', 'The cursor is not valid; start the list again without it.');
    if (!body || !tag || extra !== undefined) throw invalid;
    const expected = await this.mac(body);
    const given = Buffer.from(tag, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    const parsed = CursorBodySchema.safeParse(safeJson(Buffer.from(body, 'base64url').toString()));
    if (!parsed.success) throw invalid;
    if (parsed.data.b !== bindingDigest(binding)) {
      throw new ForbiddenError('cursor_binding_mismatch', 'This cursor was issued to another caller or for another query.');
    }
    return parsed.data.a;
  }
}

const CursorBodySchema = z.object({ v: z.literal(1), a: z.string(), b: z.string() });

function bindingDigest(binding: string): string {
  return createHash('sha256').update(binding).digest('base64url').slice(0, 22);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
