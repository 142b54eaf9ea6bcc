import * as z from 'zod';
import { InvalidInputError } from './errors.ts';

/** RFC 9562 UUIDv7: 48-bit unix-ms timestamp, version and variant bits, random rest. */
export function newId(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let ts = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ts % 256;
    ts = Math.floor(ts / 256);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Any RFC 9562 UUID shape; the seeded fixtures' ids are v7 but we accept every version on input.
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const IdSchema = z.string().regex(UUID_PATTERN, 'must be a UUID');

/** Validates a path id and throws the contract's `invalid_<thing>_id` code. */
export function parseId(value: string | undefined, thing: string): string {
  const lowered = value?.toLowerCase();
  if (!lowered || !UUID_PATTERN.test(lowered)) {
    throw new InvalidInputError(`invalid_${thing}_id`, `The ${thing.replaceAll('_', ' ')} id is not a UUID.`);
  }
  return lowered;
}
