import * as z from 'zod';
import { ConflictError, ForbiddenError, UnprocessableError } from '../errors.ts';
import { IdSchema } from '../ids.ts';

// Terms: what an approved assignment lets a project spend. The credential's owner sets them when
// approving (a request may propose them) and may narrow them later; only a new approval widens.
// A field left out means "no limit of this kind".

/** A year: past that a lease is not a lease. */
export const MAX_LEASE_SECONDS = 366 * 24 * 3600;
/** The shortest lease a Resource may hold (and so the shortest ceiling terms may set). */
export const MIN_LEASE_SECONDS = 60;

export const TermsSchema = z.strictObject({
  max_live_resources: z.number().int().min(0).max(100_000).optional(),
  max_lease_seconds: z.number().int().min(MIN_LEASE_SECONDS).max(MAX_LEASE_SECONDS).optional(),
  allowed_blueprint_version_ids: z
    .array(IdSchema)
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id')
    .optional(),
});
export type Terms = z.infer<typeof TermsSchema>;

/** `{"terms": {...}}`, optional as a whole: the body approve and request accept. */
export const TermsBodySchema = z.strictObject({ terms: TermsSchema.optional() });

/** The limits `next` would lift compared with `current`, one sentence per field; empty when `next` only narrows. */
export function widenings(current: Terms, next: Terms): string[] {
  const out: string[] = [];
  const numeric = ['max_live_resources', 'max_lease_seconds'] as const;
  for (const field of numeric) {
    const was = current[field];
    if (was === undefined) continue;
    const now = next[field];
    if (now === undefined) out.push(`${field} may not be dropped (it is ${was})`);
    else if (now > was) out.push(`${field} may not grow from ${was} to ${now}`);
  }
  const allowed = current.allowed_blueprint_version_ids;
  if (allowed) {
    const proposed = next.allowed_blueprint_version_ids;
    if (!proposed) out.push('allowed_blueprint_version_ids may not be dropped');
    else {
      const extra = proposed.filter((id) => !allowed.includes(id));
      if (extra.length) out.push(`allowed_blueprint_version_ids may not add ${extra.join(', ')}`);
    }
  }
  return out;
}

/** `next` when it narrows (or keeps) `current`; 422 `terms_not_narrower` naming what it would lift. */
export function narrowed(current: Terms, next: Terms): Terms {
  const lifted = widenings(current, next);
  if (lifted.length) {
    throw new UnprocessableError('terms_not_narrower', `Terms can only be narrowed here: ${lifted.join('; ')}.`, { errors: lifted });
  }
  return next;
}

export function hasTerms(terms: Terms | undefined): terms is Terms {
  return terms !== undefined && Object.keys(terms).length > 0;
}

/** 403 credential_not_approved: what a grant lacks (by default, no approved assignment at all). */
export function notApproved(detail = 'The project has no approved assignment of this cloud credential.'): ForbiddenError {
  return new ForbiddenError('credential_not_approved', detail, 'insufficient_relation');
}

export function quotaExceeded(limit: number, live: number): ConflictError {
  return new ConflictError(
    'quota_exceeded',
    `The assignment's terms allow ${limit} live Resource${limit === 1 ? '' : 's'} and ${live} ${live === 1 ? 'is' : 'are'} live.`,
    { limit, live },
  );
}

export function versionNotAllowed(blueprintVersionId: string): ForbiddenError {
  return new ForbiddenError(
    'blueprint_version_not_allowed',
    `The assignment's terms do not allow blueprint version ${blueprintVersionId}.`,
    'insufficient_relation',
  );
}
