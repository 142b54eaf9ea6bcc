// The limits DynamoDB puts on the free-form JSON the catalog stores (endpoints, region defaults,
// manifests), checked on the request so nothing is refused half-way through its writes.
import { JsonObjectSchema } from './shared.ts';

/**
 * DynamoDB stores at most 32 levels, counting the top-level attribute as level 1 and a scalar leaf
 * as a level: at most 31 maps or lists, one in the other (the blob itself is the first).
 */
export const MAX_JSON_CONTAINER_DEPTH = 31;
/** Magnitudes below this underflow a DynamoDB number (its range is 1E-130 to 9.99…E+125). */
const MIN_STORABLE_MAGNITUDE = 1e-130;

/**
 * What in a free-form JSON value DynamoDB (through the document client) cannot store: numbers
 * that are not safe integers or finite decimals in DynamoDB's range (an integer beyond 2^53 is not
 * exact, and the document client refuses it; 1e200 overflows; 1e-200 underflows) and nesting
 * deeper than DynamoDB's 32 levels. Each problem comes with its path below the field, so a
 * request is refused with 400 `invalid_body` before anything is written, instead of failing
 * half-way through its writes.
 */
export function unstorableJson(value: unknown, path: string[] = [], depth = 1): { path: string[]; message: string }[] {
  if (typeof value === 'number') {
    const storable = Number.isInteger(value)
      ? Number.isSafeInteger(value)
      : Number.isFinite(value) && Math.abs(value) >= MIN_STORABLE_MAGNITUDE;
    return storable
      ? []
      : [
          {
            path,
            message: `must be a safe integer (at most ${Number.MAX_SAFE_INTEGER} in magnitude) or a decimal of at least 1e-130 in magnitude`,
          },
        ];
  }
  if (value === null || typeof value !== 'object') return [];
  if (depth > MAX_JSON_CONTAINER_DEPTH) return [{ path, message: `nests more than ${MAX_JSON_CONTAINER_DEPTH} objects or arrays` }];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const issues: { path: string[]; message: string }[] = [];
  for (const [key, child] of entries) issues.push(...unstorableJson(child, [...path, key], depth + 1));
  return issues;
}

/** A free-form JSON object of a request body that DynamoDB can store (see unstorableJson). */
export const StorableJsonObjectSchema = JsonObjectSchema.superRefine((value, ctx) => {
  for (const issue of unstorableJson(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});
