import * as z from 'zod';
import { effective } from './assignments/assignment.ts';
import { auditRefusal } from './assignments/audit.ts';
import type { Actor } from './assignments/use-cases.ts';
import { type BrokerError, ConflictError, UnprocessableError } from './errors.ts';
import { armLeaseTimers, LEASE_WARNING_MS, type LeaseTimers } from './lease-timers.ts';
import { userActor } from './events/event.ts';
import { MIN_LEASE_SECONDS, notApproved } from './assignments/terms.ts';
import { deployableResource, type ProvisioningPorts, startTeardown } from './provisioning.ts';
import { DELETABLE, type Resource } from './resources.ts';

// A provisioned Resource's lease: moved by its project's deployers within the ceiling its terms
// fixed, and enforced by its timers, which tear the Resource down when the lease runs out.

export const LeaseBodySchema = z.strictObject({ expires_at: z.iso.datetime({ offset: true }) });

/** A warning timer firing a little before its time (a clock's skew) still warns rather than re-arming itself. */
const WARNING_SLACK_MS = 5000;

/** How many times a lease change re-reads when the lease moved under it. */
const ATTEMPTS = 3;

/**
 * Moves a Resource's lease. Primary course:
 * 1. the caller may deploy in the Resource's project;
 * 2. the Resource is provisioned and not yet tearing down (409 resource_not_leasable);
 * 3. the new end is at least a minute away (422 lease_too_short) and not past `max_expires_at`
 *    (422 lease_beyond_terms); a longer lease also needs the assignment it was admitted under to
 *    be approved still (403 credential_not_approved: after a revoke a lease may only shorten);
 * 4. a shorter lease arms its timer before the write, a longer one after it (the write is
 *    conditioned on the end read): whichever step is lost, a timer is pending no later than the
 *    stored end, and an early one re-arms itself (expireLease).
 * Each refusal after step 1 is written to the domain's audit trail.
 */
export async function moveLease(ports: ProvisioningPorts, actor: Actor, id: string, expiresAt: string): Promise<Resource> {
  for (let attempt = 1; ; attempt++) {
    const resource = await deployableResource(ports, actor.subject, id);
    const lease = resource.lease;
    const wanted = new Date(expiresAt);
    const refusal = await leaseRefusal(ports, resource, wanted);
    if (refusal) {
      const what = { domainId: resource.domain_id, action: 'resource.lease', target: `resources/${resource.id}` };
      await auditRefusal(ports, actor, what, refusal);
      throw refusal;
    }
    if (!lease) throw new Error('unreachable: a lease refusal covers a Resource without one');
    const extends_ = wanted.getTime() > Date.parse(lease.expires_at);
    const now = ports.clock.now();
    if (!extends_) await armLeaseTimers(ports.leases, id, wanted, now);
    const updated = await ports.resources.setLease(
      id,
      wanted.toISOString(),
      lease.expires_at,
      now.toISOString(),
      userActor(actor.subject.userId),
    );
    if (updated) {
      if (extends_) await armLeaseTimers(ports.leases, id, wanted, now);
      return updated;
    }
    if (attempt >= ATTEMPTS) throw new ConflictError('concurrent_change', 'The Resource kept changing; read it again and retry.');
  }
}

/** Why the lease may not move to `wanted`, if it may not. */
async function leaseRefusal(ports: ProvisioningPorts, resource: Resource, wanted: Date): Promise<BrokerError | undefined> {
  const lease = resource.lease;
  const phase = resource.provisioning?.phase;
  if (!lease || !phase || !DELETABLE.includes(phase)) {
    return new ConflictError('resource_not_leasable', `A ${phase ?? 'adopted'} Resource has no lease to move.`, {
      ...(phase && { phase }),
    });
  }
  if (wanted.getTime() < ports.clock.now().getTime() + MIN_LEASE_SECONDS * 1000) {
    return new UnprocessableError('lease_too_short', `expires_at must be at least ${MIN_LEASE_SECONDS} s from now.`);
  }
  if (lease.max_expires_at !== null && wanted.getTime() > Date.parse(lease.max_expires_at)) {
    return new UnprocessableError(
      'lease_beyond_terms',
      `The assignment's terms end this Resource's lease at ${lease.max_expires_at} at the latest.`,
      { max_expires_at: lease.max_expires_at },
    );
  }
  if (wanted.getTime() > Date.parse(lease.expires_at) && resource.assignment_id) {
    const assignment = await ports.assignments.get(resource.assignment_id);
    if (!assignment || effective(assignment, ports.clock.now()).state !== 'approved') {
      return notApproved(
        'The credential assignment this Resource was admitted under is no longer approved: its lease may be shortened, not extended.',
      );
    }
  }
  return undefined;
}

export type LeaseExpiry = 'torn_down' | 'warned' | 'rearmed' | 'nothing_to_do';

/**
 * The lease timer fired. It acts on what is stored, not on the timer's time: a lease moved later
 * re-arms the timer; an expired one starts the usual teardown (reason lease_expired); a Resource
 * gone, adopted, or already tearing down needs nothing. Safe to run twice.
 */
export async function expireLease(
  ports: Pick<ProvisioningPorts, 'resources' | 'orchestrator' | 'clock'> & { leases: LeaseTimers },
  id: string,
): Promise<LeaseExpiry> {
  for (let attempt = 1; ; attempt++) {
    const resource = await ports.resources.get(id);
    const lease = resource?.lease;
    const phase = resource?.provisioning?.phase;
    if (!resource || !lease || !phase || !DELETABLE.includes(phase)) return 'nothing_to_do';
    const end = Date.parse(lease.expires_at);
    const now = ports.clock.now();
    if (end > now.getTime()) {
      // A warning timer (or an early one, left by an extension): warn once when the end is near.
      if (
        end - now.getTime() <= LEASE_WARNING_MS + WARNING_SLACK_MS &&
        (await ports.resources.warnLeaseExpiring(id, lease.expires_at, now.toISOString()))
      ) {
        await ports.leases.arm(id, new Date(end));
        return 'warned';
      }
      await armLeaseTimers(ports.leases, id, new Date(end), now, false);
      return 'rearmed';
    }
    const reason = `The lease ran out at ${lease.expires_at}; tearing down.`;
    if (await startTeardown(ports, resource, { reasonCode: 'lease_expired', reason, leaseEnd: lease.expires_at })) return 'torn_down';
    // Someone moved the Resource (a step, a reconciler's resume) or its lease (an extension that
    // landed first) meanwhile: judge it again.
    if (attempt >= ATTEMPTS)
      throw new ConflictError('concurrent_change', `Resource ${id} kept changing; its lease expiry will be retried.`);
  }
}
