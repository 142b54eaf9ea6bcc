import { toBase64Url } from '../base64.ts';

// The secrets and codes of sign-in: random bearer tokens, their stored hashes, and user codes.

// A subset of the contract's base32 alphabet (A-Z, 2-7) without the look-alikes I and O (0 and 1
// are not in it to begin with), so a code read off a terminal is typed right the first time.
export const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ234567';
const USER_CODE_LENGTH = 8;

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** 256 random bits, URL-safe: device codes, session and CSRF tokens. */
export function newSecretToken(): string {
  return toBase64Url(randomBytes(32));
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Eight characters drawn without modulo bias, stored and compared without the dash. */
export function newUserCode(): string {
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  let code = '';
  while (code.length < USER_CODE_LENGTH) {
    for (const b of randomBytes(16)) {
      if (b < limit && code.length < USER_CODE_LENGTH) code += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
    }
  }
  return code;
}

/** ABCDEFGH → ABCD-EFGH, as shown to people. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What people type: any case, with or without the dash or spaces. Undefined when it cannot be a code. */
export function normaliseUserCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z2-7]{8}$/.test(code) ? code : undefined;
}

export function expired(isoExpiry: string, now: Date): boolean {
  return now.getTime() >= Date.parse(isoExpiry);
}

export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
