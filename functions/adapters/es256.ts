// ES256 pieces the access tokens need, with node:crypto alone: KMS answers a signature in DER and
// a public key as SPKI DER, while a JWS carries raw r||s and a JWKS carries JWKs.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

const COORDINATE_BYTES = 32;

/** An EC P-256 public key as a JWKS publishes it. */
export interface Es256Jwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * A DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) as JOSE's 64-byte r||s. Strict:
 * anything but exactly that structure is an error, never a signature.
 */
export function derToJoseSignature(der: Uint8Array): Buffer {
  const bytes = Buffer.from(der);
  const fail = (): never => {
    throw new Error('The signing service answered a signature that is not a DER ECDSA P-256 signature.');
  };
  if (bytes.length < 8 || bytes[0] !== 0x30 || bytes[1] !== bytes.length - 2) fail();
  let at = 2;
  const integer = (): Buffer => {
    if (bytes[at] !== 0x02) fail();
    const length = bytes[at + 1] ?? 0;
    const value = bytes.subarray(at + 2, at + 2 + length);
    if (length === 0 || value.length !== length) fail();
    at += 2 + length;
    // DER pads a value whose top bit is set with one zero byte; strip it (and only it) back off.
    const unsigned = value[0] === 0 && value.length > 1 ? value.subarray(1) : value;
    if (unsigned.length > COORDINATE_BYTES) fail();
    return Buffer.concat([Buffer.alloc(COORDINATE_BYTES - unsigned.length), unsigned]);
  };
  const r = integer();
  const s = integer();
  if (at !== bytes.length) fail();
  return Buffer.concat([r, s]);
}

/** An SPKI DER public key as a P-256 JWK; any other kind of key is refused. */
export function spkiToJwk(spki: Uint8Array): { jwk: Es256Jwk; key: KeyObject } {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('The signing key is not an EC P-256 key.');
  }
  const jwk: JsonWebKey = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw new Error('The signing key did not export as a JWK.');
  return { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, key };
}

/** The RFC 7638 thumbprint: SHA-256 of the required members in lexical order, base64url. */
export function jwkThumbprint(jwk: Es256Jwk): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}
