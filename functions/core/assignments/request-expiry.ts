import type { Clock } from '../clock.ts';
import type { LeaseTimers } from '../lease-timers.ts';
import type { AssignmentStore } from './assignment.ts';

// An undecided request expires when its time comes: its timer fires and the expiry is written,
// with its `assignment.expired` event, in one conditional write. Reads already treat a request
// past its time as expired (effective()); this makes the change, and its event, happen on time.

export type RequestExpiry = 'expired' | 'rearmed' | 'nothing_to_do';

/** Acts on what is stored, not on the timer's time: safe to run early, late, or twice. */
export async function expireRequest(
  ports: { assignments: AssignmentStore; clock: Clock; leases: Pick<LeaseTimers, 'armRequestExpiry'> },
  id: string,
): Promise<RequestExpiry> {
  const a = await ports.assignments.get(id);
  if (a?.state !== 'requested') return 'nothing_to_do';
  const now = ports.clock.now();
  if (Date.parse(a.expires_at) > now.getTime()) {
    await ports.leases.armRequestExpiry(id, new Date(a.expires_at));
    return 'rearmed';
  }
  // Undefined when a decision (or another firing) landed first: then there is nothing left to expire.
  return (await ports.assignments.expire(id, now.toISOString())) ? 'expired' : 'nothing_to_do';
}
