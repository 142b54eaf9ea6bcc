import { z } from 'zod';
import { IN_DOMAIN } from '../entity.ts';
import type { Clock } from '../clock.ts';
import type { BrokerError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';

/** One audit entry; the list route answers entries as they are stored. */
export const AuditEntryViewSchema = z.object({
  ...IN_DOMAIN,
  at: z.string(),
  actor_subject: z.string(),
  action: z.string(),
  target: z.string(),
  outcome: z.enum(['succeeded', 'denied']),
  reason: z.string().optional(),
  correlation_id: z.string(),
  details: z.record(z.string(), z.string()).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntryViewSchema>;

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  list(domainId: string, page: PageRequest): Promise<Page<AuditEntry>>;
}

/** Who did it, as every use case's caller has it. */
export interface AuditActor {
  subject: { userId: string };
  correlationId: string;
}

/** What an entry records besides who and when. */
export interface AuditRecord {
  domainId: string;
  action: string;
  target: string;
  outcome: AuditEntry['outcome'];
  reason?: string | undefined;
}

/** Appends one entry to the domain's audit trail, stamped now. */
export async function record(ports: { audit: AuditLog; clock: Clock }, actor: AuditActor, r: AuditRecord): Promise<void> {
  const now = ports.clock.now();
  await ports.audit.append({
    id: newId(now.getTime()),
    domain_id: r.domainId,
    at: now.toISOString(),
    actor_subject: actor.subject.userId,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    ...(r.reason && { reason: r.reason }),
    correlation_id: actor.correlationId,
  });
}

/** Records a refusal (which stores nothing else) with its code. */
export function auditRefusal(
  ports: { audit: AuditLog; clock: Clock },
  actor: AuditActor,
  what: Pick<AuditRecord, 'domainId' | 'action' | 'target'>,
  refusal: BrokerError,
): Promise<void> {
  return record(ports, actor, { ...what, outcome: 'denied', reason: refusal.code });
}
