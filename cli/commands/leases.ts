// How a Resource's lease and a create's dry-run plan read to people. The times are judged at a
// `now` handed in, so what counts down can be tested.
import type * as z from 'zod';
import type { CreatePlanViewSchema } from '../../functions/core/admission.ts';
import type { Lease } from '../../functions/core/resources.ts';
import { timeLeft } from '../duration.ts';
import { details } from '../render.ts';

export type CreatePlanView = z.infer<typeof CreatePlanViewSchema>;

/** "2030-01-31T18:00:00.000Z (expires in 1h 59m)". */
export function leaseEnd(lease: Pick<Lease, 'expires_at'>, now: Date): string {
  return `${lease.expires_at} (${timeLeft(lease.expires_at, now)})`;
}

/** The lease's two lines of a detail block; nothing for a Resource without a lease (adopted). */
export function leasePairs(lease: Lease | undefined, now: Date): Array<readonly [string, unknown]> {
  return [
    ['Lease', lease && leaseEnd(lease, now)],
    // null is the broker's "no ceiling": the terms set no longest lease.
    ['Lease ceiling', lease && (lease.max_expires_at ?? 'none')],
  ];
}

/** "2/5 live", or "2 live (no limit)" when the terms set no quota. */
function quotaText(quota: CreatePlanView['quota']): string {
  return quota.limit === null ? `${quota.live} live (no limit)` : `${quota.live}/${quota.limit} live`;
}

/** What a dry run answered: allowed or not, why not, the quota as read, and the lease it would get. */
export function planDetails(plan: CreatePlanView, now: Date): string {
  const head = `Dry run: the broker would ${plan.allowed ? 'accept' : 'refuse'} this create; nothing was stored.\n`;
  const body = details([['Allowed', plan.allowed ? 'yes' : 'no'], ['Quota', quotaText(plan.quota)], ...leasePairs(plan.resource.lease, now)]);
  const reasons = plan.reasons.map((r) => `  ${r.code}: ${r.message}\n`).join('');
  return `${head}${body}${reasons && `Reasons:\n${reasons}`}`;
}
