// Base64 (RFC 4648) for the domain, on atob/btoa: core runs where Buffer does not exist.

/** Standard base64 to bytes; atob accepts the text with or without padding. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Bytes to standard, padded base64. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Bytes to URL-safe base64 without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** URL-safe base64, padded or not, to bytes. */
export function fromBase64Url(text: string): Uint8Array {
  return fromBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 with its padding (the empty string included). */
export function isStandardBase64(text: string): boolean {
  return STANDARD_BASE64.test(text);
}

const STD_BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** A 32-byte value in canonical standard base64 (44 characters, one `=`); undefined otherwise. */
export function decodeBase64Key(text: string): Uint8Array | undefined {
  if (!STD_BASE64_32.test(text)) return undefined;
  const bytes = fromBase64(text);
  // The canonical form only: the last character's two spare bits must be zero.
  return bytes.length === 32 && toBase64(bytes) === text ? bytes : undefined;
}
