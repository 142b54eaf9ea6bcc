import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToJoseSignature, jwkThumbprint, spkiToJwk } from '../../functions/adapters/es256.ts';
import { PublicKeyRing } from '../../functions/adapters/public-key-ring.ts';
import { KmsAccessTokens } from '../../functions/adapters/kms-access-tokens.ts';
import { TOKEN_AUDIENCE } from '../../functions/adapters/token-signer.ts';
import { UnauthenticatedError } from '../../functions/core/errors.ts';

// The token adapters against an in-memory stand-in for KMS (conformance/suites/kms.ts runs them
// against the local KMS and moto): DER handling, the key cache, and what a verifier refuses.

class FakeKms {
  readonly keys = new Map<string, KeyObject>();
  publicKeyCalls = 0;
  /** Holds a key for each of `ids` from the start. */
  constructor(...ids: string[]) {
    for (const id of ids) this.add(id);
  }
  add(id: string): void {
    this.keys.set(id, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }
  private key(id: string): KeyObject {
    const key = this.keys.get(id);
    if (!key) throw Object.assign(new Error('no such key'), { name: 'NotFoundException' });
    return key;
  }
  async publicKey(id: string): Promise<Uint8Array> {
    this.publicKeyCalls++;
    return createPublicKey(this.key(id)).export({ format: 'der', type: 'spki' });
  }
  async sign(id: string, message: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', message, { key: this.key(id), dsaEncoding: 'der' });
  }
}

const CLAIMS = { subject: 'usr_1', domainId: 'dom_1', email: 'ada@example.com' };
const ISSUER = 'https://broker.example';

function manualClock(start = Date.parse('2026-06-01T00:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

function tokens(kms: FakeKms, clock: { now(): Date }, signingKeyId: string, standbyKeyId?: string) {
  return new KmsAccessTokens(kms, { signingKeyId, standbyKeyId, issuer: ISSUER, ttlSeconds: 600, clock });
}

/** A ring over key 'a' that keeps keys for five minutes and refetches at most every 30 seconds. */
function ringOfKeyA() {
  const kms = new FakeKms('a');
  const clock = manualClock();
  return { kms, clock, ring: new PublicKeyRing(kms, { keyIds: ['a'], clock, ttlMs: 300_000, minRefetchMs: 30_000 }) };
}

async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof UnauthenticatedError ? err.code : `not unauthenticated: ${String(err)}`;
  }
  return undefined;
}

const der = (r: Buffer, s: Buffer) => {
  const int = (v: Buffer) => Buffer.concat([Buffer.from([0x02, v.length]), v]);
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
};

describe('DER to JOSE signatures', () => {
  it('pads short integers to 32 bytes and strips the sign byte of long ones', () => {
    const r = Buffer.alloc(31, 0x11);
    const s = Buffer.concat([Buffer.from([0x00]), Buffer.alloc(32, 0xff)]);
    expect(derToJoseSignature(der(r, s))).toEqual(Buffer.concat([Buffer.from([0]), r, Buffer.alloc(32, 0xff)]));
  });

  it('refuses anything but one SEQUENCE of two INTEGERs of at most 32 bytes', () => {
    const ok = der(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
    const bad = [Buffer.concat([ok, Buffer.from([0])]), Buffer.from([0x31, ...ok.subarray(1)]), der(Buffer.alloc(33, 1), Buffer.alloc(32, 2)), ok.subarray(0, 10)];
    for (const b of bad) expect(() => derToJoseSignature(b)).toThrow(/not a DER ECDSA P-256 signature/);
  });

  it('gives signatures node verifies as ieee-p1363, over many random signatures', async () => {
    const kms = new FakeKms('k');
    const spki = await kms.publicKey('k');
    const { key } = spkiToJwk(spki);
    for (let i = 0; i < 200; i++) {
      const message = Buffer.from(`m${i}`);
      const raw = derToJoseSignature(await kms.sign('k', message));
      expect(raw).toHaveLength(64);
      expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
  });
});

describe('the public key ring', () => {
  it('fetches the configured keys once per TTL, and refetches for an unknown kid at most once per interval', async () => {
    const { kms, clock, ring } = ringOfKeyA();
    const [key] = await ring.keys();
    expect(kms.publicKeyCalls).toBe(1);
    expect(await ring.find(key?.kid as string)).toBe(key);
    // Junk kids within the interval cost no KMS call.
    for (let i = 0; i < 50; i++) expect(await ring.find(`junk-${i}`)).toBeUndefined();
    expect(kms.publicKeyCalls).toBe(1);
    clock.advance(30_000);
    expect(await ring.find('junk-again')).toBeUndefined();
    expect(kms.publicKeyCalls).toBe(2);
    expect(await ring.find('junk-once-more')).toBeUndefined();
    expect(kms.publicKeyCalls).toBe(2);
    clock.advance(300_000);
    await ring.find(key?.kid as string);
    expect(kms.publicKeyCalls).toBe(3);
  });

  it('keeps verifying with the keys it holds while KMS fails, retrying once per interval', async () => {
    const { kms, clock, ring } = ringOfKeyA();
    const [key] = await ring.keys();
    const healthy = kms.publicKey.bind(kms);
    kms.publicKey = async () => {
      kms.publicKeyCalls++;
      throw new Error('KMS is down');
    };
    clock.advance(300_000);
    expect(await ring.find(key?.kid as string)).toEqual(key);
    expect(await ring.find(key?.kid as string)).toEqual(key);
    expect(kms.publicKeyCalls).toBe(2);
    clock.advance(30_000);
    kms.publicKey = healthy;
    expect(await ring.find(key?.kid as string)).toEqual(key);
    expect(kms.publicKeyCalls).toBe(3);
    // With nothing held yet, a failure is an error, not an empty key set.
    const cold = new PublicKeyRing({ publicKey: async () => Promise.reject(new Error('KMS is down')) }, { keyIds: ['a'], clock });
    await expect(cold.find('x')).rejects.toThrow('KMS is down');
  });

  it('skips a standby key that fails and fetches it again later; the signing key is required', async () => {
    const kms = new FakeKms('active');
    const clock = manualClock();
    // Mid-deploy: the standby's alias does not exist yet. A fresh container still checks tokens.
    const t = tokens(kms, clock, 'active', 'standby');
    const { token } = await t.issue(CLAIMS);
    expect(await t.verify(token)).toEqual(CLAIMS);
    expect((await t.jwks()).keys).toHaveLength(1);
    kms.add('standby');
    const standbyToken = (await tokens(kms, clock, 'standby').issue(CLAIMS)).token;
    // Retried on the next refresh, after the refetch interval rather than the whole TTL.
    clock.advance(30_000);
    expect(await t.verify(standbyToken)).toEqual(CLAIMS);
    expect((await t.jwks()).keys).toHaveLength(2);
    // Without the signing key nothing is checked.
    const headless = new PublicKeyRing(kms, { keyIds: ['missing', 'active'], clock });
    await expect(headless.keys()).rejects.toThrow('no such key');
  });

  it('names each key by its RFC 7638 thumbprint', async () => {
    const kms = new FakeKms('a');
    const ring = new PublicKeyRing(kms, { keyIds: ['a'], clock: manualClock() });
    const { jwk } = spkiToJwk(await kms.publicKey('a'));
    expect((await ring.jwks()).keys).toEqual([{ ...jwk, kid: jwkThumbprint(jwk), alg: 'ES256', use: 'sig' }]);
  });
});

describe('KMS access tokens', () => {
  it('verifies tokens of the signing key and of the standby key, and refuses those of a dropped one', async () => {
    const kms = new FakeKms('old', 'new');
    const clock = manualClock();
    const before = await tokens(kms, clock, 'old').issue(CLAIMS);
    const rotated = tokens(kms, clock, 'new', 'old');
    expect(await rotated.verify(before.token)).toEqual(CLAIMS);
    expect(await rotated.verify((await rotated.issue(CLAIMS)).token)).toEqual(CLAIMS);
    expect((await rotated.jwks()).keys).toHaveLength(2);
    expect(await refusal(tokens(kms, clock, 'new').verify(before.token))).toBe('invalid_token');
  });

  it('expires tokens at exp, by the injected clock', async () => {
    const kms = new FakeKms('k');
    const clock = manualClock();
    const t = tokens(kms, clock, 'k');
    const { token } = await t.issue(CLAIMS);
    clock.advance(599_000);
    expect(await t.verify(token)).toEqual(CLAIMS);
    clock.advance(1_000);
    expect(await refusal(t.verify(token))).toBe('token_expired');
  });

  it('refuses a DER signature, another alg or typ, a kid-less header, junk and extra segments', async () => {
    const kms = new FakeKms('k');
    const t = tokens(kms, manualClock(), 'k');
    const { token } = await t.issue(CLAIMS);
    const [h, p] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const reheader = async (patch: object) => {
      const nh = Buffer.from(JSON.stringify({ ...header, ...patch })).toString('base64url');
      const sig = derToJoseSignature(await kms.sign('k', Buffer.from(`${nh}.${p}`)));
      return `${nh}.${p}.${sig.toString('base64url')}`;
    };
    const derSig = Buffer.from(await kms.sign('k', Buffer.from(`${h}.${p}`))).toString('base64url');
    const cases = {
      'DER signature': `${h}.${p}.${derSig}`,
      ES384: await reheader({ alg: 'ES384' }),
      HS256: await reheader({ alg: 'HS256' }),
      'typ at+jwt': await reheader({ typ: 'at+jwt' }),
      'no kid': await reheader({ kid: undefined }),
      junk: 'a.b.c',
      'four segments': `${token}.x`,
      'padded base64': `${h}.${p}=.${token.split('.')[2]}`,
    };
    for (const [what, bad] of Object.entries(cases)) expect([what, await refusal(t.verify(bad))]).toEqual([what, 'invalid_token']);
    // The control: the header unchanged, re-signed, passes.
    expect(await t.verify(await reheader({}))).toEqual(CLAIMS);
    expect(JSON.parse(Buffer.from(p, 'base64url').toString()).aud).toBe(TOKEN_AUDIENCE);
  });
});
