import { z } from 'zod';
import { requireAllowed } from './access.ts';
import type { AuthzSubject } from './authz/model.ts';
import { ConflictError, UnprocessableError } from './errors.ts';
import type { LeaseTimers } from './lease-timers.ts';
import { MIN_LEASE_SECONDS } from './assignments/terms.ts';
import { projectResource } from './projects.ts';
import { DELETABLE, type ProvisioningPorts, readableResource, startTeardown } from './provisioning.ts';
import type { Resource } from './resources.ts';

// A provisioned Resource's lease: moved by its project's deployers within the ceiling its terms
// fixed, and enforced by its one timer, which tears the Resource down when the lease runs out.

export const LeaseBodySchema = z.strictObject({ expires_at: z.iso.datetime({ offset: true }) });

/** How many times a lease change re-reads when the lease moved under it. */
const ATTEMPTS = 3;

/**
 * Moves a Resource's lease. Primary course:
 * 1. the caller may deploy in the Resource's project;
 * 2. the Resource is provisioned and not yet tearing down (409 resource_not_leasable);
 * 3. the new end is at least a minute away (422 lease_too_short) and not past `max_expires_at`
 *    (422 lease_beyond_terms);
 * 4. a shorter lease arms its timer before the write, a longer one after it (the write is
 *    conditioned on the end read): whichever step is lost, the timer fires no later than the
 *    stored end, and an early firing re-arms itself (expireLease).
 */
export async function moveLease(ports: ProvisioningPorts, subject: AuthzSubject, id: string, expiresAt: string): Promise<Resource> {
  for (let attempt = 1; ; attempt++) {
    const resource = await readableResource(ports, subject, id);
    const project = await ports.tenancy.getProject(resource.project_id);
    if (project) await requireAllowed(ports.authorizer, subject, 'deploy', projectResource(project));
    const lease = resource.lease;
    const phase = resource.provisioning?.phase;
    if (!lease || !phase || ['Deregistering', 'Deprovisioning', 'Deleted'].includes(phase)) {
      throw new ConflictError('resource_not_leasable', `A ${phase ?? 'adopted'} Resource has no lease to move.`, {
        ...(phase && { phase }),
      });
    }
    const wanted = new Date(expiresAt);
    const now = ports.clock.now();
    if (wanted.getTime() < now.getTime() + MIN_LEASE_SECONDS * 1000) {
      throw new UnprocessableError('lease_too_short', `expires_at must be at least ${MIN_LEASE_SECONDS} s from now.`);
    }
    if (lease.max_expires_at !== null && wanted.getTime() > Date.parse(lease.max_expires_at)) {
      throw new UnprocessableError(
        'lease_beyond_terms',
        `The assignment's terms end this Resource's lease at ${lease.max_expires_at} at the latest.`,
        { max_expires_at: lease.max_expires_at },
      );
    }
    const extends_ = wanted.getTime() > Date.parse(lease.expires_at);
    if (!extends_) await ports.leases.arm(id, wanted);
    const updated = await ports.resources.setLease(id, wanted.toISOString(), lease.expires_at, now.toISOString());
    if (updated) {
      if (extends_) await ports.leases.arm(id, wanted);
      return updated;
    }
    if (attempt >= ATTEMPTS) throw new ConflictError('concurrent_change', 'The Resource kept changing; read it again and retry.');
  }
}

export type LeaseExpiry = 'torn_down' | 'rearmed' | 'nothing_to_do';

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
    if (end > ports.clock.now().getTime()) {
      await ports.leases.arm(id, new Date(end));
      return 'rearmed';
    }
    if (await startTeardown(ports, resource, 'lease_expired', `The lease ran out at ${lease.expires_at}; tearing down.`))
      return 'torn_down';
    // Someone moved the Resource meanwhile (a reconciler's resume, a step): judge it again. The
    // timer's own retries cover a Resource that keeps moving.
    if (attempt >= ATTEMPTS)
      throw new ConflictError('concurrent_change', `Resource ${id} kept changing; its lease expiry will be retried.`);
  }
}
