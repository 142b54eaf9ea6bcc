// The access token's format, apart from where its key lives: a compact JWS (ES256) whose header
// and claims are written and checked here by hand, so the functions need no JWT library and the
// signature can come from KMS (kms-access-tokens.ts) and be checked with a public key (public-key-ring.ts).
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import * as z from 'zod';
import { UnauthenticatedError } from '../core/errors.ts';
import { jsonOrUndefined } from '../core/json-or-undefined.ts';
import type { AccessTokenClaims } from '../core/ports.ts';

export const TOKEN_ALG = 'ES256';
export const TOKEN_AUDIENCE = 'plexsphere-api';
/** KMS signs at most 4096 bytes of RAW message; our header and claims are a few hundred. */
export const MAX_SIGNING_INPUT_BYTES = 4096;

export interface TokenClaimsInput {
  claims: AccessTokenClaims;
  issuer: string;
  issuedAt: number;
  ttlSeconds: number;
  jti: string;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `header.payload`, the bytes the signature covers; claims in the order tokens have always had. */
export function signingInput(kid: string, t: TokenClaimsInput): string {
  const header = { alg: TOKEN_ALG, kid, typ: 'JWT' };
  const payload = {
    domain_id: t.claims.domainId,
    email: t.claims.email,
    sub: t.claims.subject,
    iss: t.issuer,
    aud: TOKEN_AUDIENCE,
    iat: t.issuedAt,
    exp: t.issuedAt + t.ttlSeconds,
    jti: t.jti,
  };
  return `${b64(header)}.${b64(payload)}`;
}

const Segment = /^[A-Za-z0-9_-]+$/;

const HeaderSchema = z
  .looseObject({ alg: z.literal(TOKEN_ALG), kid: z.string().min(1).max(128), typ: z.literal('JWT').optional() })
  // A critical extension we do not understand must be refused (RFC 7515 §4.1.11); we understand none.
  .refine((h) => !Object.hasOwn(h, 'crit'));

const PayloadSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.string(),
  domain_id: z.string(),
  email: z.string(),
  // Required: a token without exp would never expire.
  exp: z.number(),
  iat: z.number(),
  nbf: z.number().optional(),
});

const invalid = () => new UnauthenticatedError('invalid_token', 'The access token is not valid.');

const json = (segment: string): unknown => jsonOrUndefined(Buffer.from(segment, 'base64url').toString('utf8'));

/** The token's kid, read before its signature is checked: it only picks which of our keys to try. */
export function tokenKid(token: string): string {
  const [header] = token.split('.');
  const parsed = HeaderSchema.safeParse(header && Segment.test(header) ? json(header) : undefined);
  if (!parsed.success) throw invalid();
  return parsed.data.kid;
}

/**
 * Checks a token against the public key its kid named: the ES256 signature over `header.payload`
 * first, then issuer, audience, expiry. Throws UnauthenticatedError (`invalid_token`, `token_expired`).
 */
export function checkToken(token: string, key: KeyObject, opts: { issuer: string; nowSeconds: number }): AccessTokenClaims {
  const parts = token.split('.');
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || !header || !payload || !signature || !parts.every((p) => Segment.test(p))) throw invalid();
  if (!HeaderSchema.safeParse(json(header)).success) throw invalid();
  const sig = Buffer.from(signature, 'base64url');
  // ieee-p1363 is JOSE's r||s; a DER signature, or one of another length, is refused outright.
  if (sig.length !== 64) throw invalid();
  if (!verifySignature('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, sig)) throw invalid();
  const claims = PayloadSchema.safeParse(json(payload));
  if (!claims.success) throw invalid();
  const c = claims.data;
  const audiences = typeof c.aud === 'string' ? [c.aud] : c.aud;
  if (c.iss !== opts.issuer || !audiences.includes(TOKEN_AUDIENCE)) throw invalid();
  if (c.nbf !== undefined && c.nbf > opts.nowSeconds) throw invalid();
  if (c.exp <= opts.nowSeconds) throw new UnauthenticatedError('token_expired', 'The access token has expired; sign in again.');
  return { subject: c.sub, domainId: c.domain_id, email: c.email };
}
