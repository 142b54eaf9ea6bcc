import { UUID_PATTERN } from './ids.ts';

// Bootstrap tokens: `psb_<env>_<base32 of the 16 project-id bytes>_node_<random>`. The token is
// a bearer credential that only lives in user data; the broker keeps its hash (an adapter concern:
// the minter both mints and hashes) and expires it in minutes.

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase, unpadded RFC 4648 base32. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes lowercase unpadded base32; undefined on a foreign character or non-zero trailing bits. */
export function base32Decode(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    const value = BASE32_ALPHABET.indexOf(ch);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // Only the canonical encoding is accepted, so one value has exactly one token text.
  if (bits >= 5 || buffer !== 0) return undefined;
  return Uint8Array.from(out);
}

export function uuidToBytes(uuid: string): Uint8Array {
  if (!UUID_PATTERN.test(uuid)) throw new Error('not a lowercase UUID');
  const hex = uuid.replaceAll('-', '');
  return Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error('a UUID is 16 bytes');
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The `<env>` segment of bootstrap tokens and NSK envelopes. The contract allows letters only, so
 * a stage such as `dev-2` is written `dev`.
 */
export function credentialEnv(stage: string): string {
  return stage.toLowerCase().replace(/[^a-z]/g, '') || 'local';
}

/** What node enrolment is configured with. */
export interface EnrolmentConfig {
  /** The `<env>` this deployment's bootstrap tokens and NSK envelopes name (credentialEnv of the stage). */
  credentialEnv: string;
}

export interface BootstrapTokenParts {
  env: string;
  projectId: string;
  random: string;
}

const TOKEN_PATTERN = /^psb_([a-z]+)_([a-z2-7]{26})_node_([a-z2-7]{20,})$/;
/** Any kind of Plexsphere bootstrap token, to tell a bridge token (wrong kind) from garbage. */
const ANY_KIND_PATTERN = /^psb_[a-z]+_[a-z2-7]+_([a-z]+)_[a-z2-7]{20,}$/;

export function formatBootstrapToken(parts: BootstrapTokenParts): string {
  if (!/^[a-z]+$/.test(parts.env)) throw new Error('the token env is lowercase letters only');
  if (!/^[a-z2-7]{20,}$/.test(parts.random)) throw new Error('the token random part is at least 20 base32 characters');
  return `psb_${parts.env}_${base32Encode(uuidToBytes(parts.projectId))}_node_${parts.random}`;
}

/** Splits a node bootstrap token; undefined when it is not one. */
export function parseBootstrapToken(token: string): BootstrapTokenParts | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [, env, project, random] = match as unknown as [string, string, string, string];
  const bytes = base32Decode(project);
  if (bytes?.length !== 16) return undefined;
  return { env, projectId: bytesToUuid(bytes), random };
}

/** The kind segment of a well-shaped token of any kind (`node`, `bridge`), for a kind_mismatch answer. */
export function bootstrapTokenKind(token: string): string | undefined {
  return ANY_KIND_PATTERN.exec(token)?.[1];
}

/**
 * Mints the bootstrap token of a Resource. Deterministic: the same input gives the same token,
 * so a retried provision step renders byte-identical user data (a launch's client-token
 * idempotency refuses a changed request).
 */
export interface BootstrapTokenMinter {
  mint(input: { projectId: string; resourceId: string; salt: string }): Promise<{ token: string; hash: string }>;
  /** The stored form of a presented token; the token itself is never stored. */
  hash(token: string): string;
}

/** When a token minted now stops being redeemable. */
export function bootstrapTokenValidity(now: Date, ttlSeconds: number): { issued_at: string; expires_at: string } {
  return { issued_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString() };
}
