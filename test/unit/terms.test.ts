import { describe, expect, it } from 'vitest';
import { narrowed, TermsSchema, widenings } from '../../functions/core/assignments/terms.ts';

const V1 = '019100a0-0a00-7000-8000-000000000101';
const V2 = '019100a0-0a00-7000-8000-000000000102';

describe('terms', () => {
  it('are checked at the boundary: a lease ceiling of at least a minute, no repeated version, no unknown field', () => {
    expect(TermsSchema.safeParse({ max_live_resources: 0, max_lease_seconds: 60, allowed_blueprint_version_ids: [V1] }).success).toBe(true);
    expect(TermsSchema.safeParse({ max_lease_seconds: 59 }).success).toBe(false);
    expect(TermsSchema.safeParse({ max_live_resources: -1 }).success).toBe(false);
    expect(TermsSchema.safeParse({ max_live_resources: 1.5 }).success).toBe(false);
    expect(TermsSchema.safeParse({ allowed_blueprint_version_ids: [V1, V1] }).success).toBe(false);
    expect(TermsSchema.safeParse({ allowed_blueprint_version_ids: [] }).success).toBe(false);
    expect(TermsSchema.safeParse({ allowed_blueprint_version_ids: ['v1'] }).success).toBe(false);
    expect(TermsSchema.safeParse({ max_cost: 10 }).success).toBe(false);
  });

  it('anything narrows "no terms", and the same terms narrow themselves', () => {
    const terms = { max_live_resources: 2, max_lease_seconds: 3600, allowed_blueprint_version_ids: [V1] };
    expect(widenings({}, terms)).toEqual([]);
    expect(widenings(terms, terms)).toEqual([]);
    expect(narrowed(terms, { max_live_resources: 1, max_lease_seconds: 60, allowed_blueprint_version_ids: [V1] })).toEqual({
      max_live_resources: 1,
      max_lease_seconds: 60,
      allowed_blueprint_version_ids: [V1],
    });
  });

  it('each limit may not grow, nor be dropped, nor let a version in', () => {
    const current = { max_live_resources: 2, max_lease_seconds: 3600, allowed_blueprint_version_ids: [V1] };
    expect(widenings(current, { ...current, max_live_resources: 3 })).toEqual(['max_live_resources may not grow from 2 to 3']);
    expect(widenings(current, { ...current, max_lease_seconds: 3601 })).toEqual(['max_lease_seconds may not grow from 3600 to 3601']);
    expect(widenings(current, { max_lease_seconds: 3600, allowed_blueprint_version_ids: [V1] })).toEqual([
      'max_live_resources may not be dropped (it is 2)',
    ]);
    expect(widenings(current, { max_live_resources: 2, max_lease_seconds: 3600 })).toEqual(['allowed_blueprint_version_ids may not be dropped']);
    expect(widenings(current, { ...current, allowed_blueprint_version_ids: [V1, V2] })).toEqual([`allowed_blueprint_version_ids may not add ${V2}`]);
  });

  it('a widening is refused with 422 terms_not_narrower listing every lifted limit', () => {
    expect(() => narrowed({ max_live_resources: 1, max_lease_seconds: 60 }, {})).toThrow(
      expect.objectContaining({ name: 'UnprocessableError', code: 'terms_not_narrower', extra: { errors: expect.arrayContaining([expect.any(String)]) } }),
    );
    try {
      narrowed({ max_live_resources: 1, max_lease_seconds: 60 }, {});
    } catch (err) {
      expect((err as { extra: { errors: string[] } }).extra.errors).toHaveLength(2);
    }
  });
});
