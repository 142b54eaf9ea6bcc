import * as z from 'zod';
import { requireAllowed } from '../access.ts';
import type { ChainVerdict } from '../audit-chain.ts';
import type { AuthzSubject, Authorizer } from '../authz/model.ts';
import { IN_DOMAIN } from '../entity.ts';
import type { Clock } from '../clock.ts';
import type { BrokerError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Page, PageRequest } from '../pagination.ts';

/**
 * One audit entry; the list route answers entries as they are stored. The chain fields (see
 * ../audit-chain.ts) are set by the log when it appends; entries written before the chain have none.
 */
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
  seq: z.number().int().positive().optional().describe("The entry's place in its domain's chain: 1, 2, 3 … with no gaps."),
  prev_hash: z.string().optional().describe('The hash of the entry before it (64 zeros for the first).'),
  hash: z.string().optional().describe('SHA-256 (hex) of the canonical JSON of every other field of the entry.'),
});
export type AuditEntry = z.infer<typeof AuditEntryViewSchema>;
/** An entry as recorded, before the log gives it its place in the chain. */
export type NewAuditEntry = Omit<AuditEntry, 'seq' | 'prev_hash' | 'hash'>;

export interface AuditLog {
  /** Appends the entry as the next link of its domain's chain. */
  append(entry: NewAuditEntry): Promise<void>;
  list(domainId: string, page: PageRequest): Promise<Page<AuditEntry>>;
}

/** Checking a domain's chain, read whole and in order as stored. */
export interface AuditChain {
  verify(domainId: string): Promise<ChainVerdict>;
}

/** The audit trail as the API uses it: appended to, listed and checked. */
export type AuditTrail = AuditLog & AuditChain;

/** Checks a domain's audit chain; the same right as reading its entries (read on the Domain). */
export async function verifyAuditTrail(
  ports: { authorizer: Authorizer; audit: AuditChain },
  subject: AuthzSubject,
  domainId: string,
): Promise<ChainVerdict> {
  await requireAllowed(ports.authorizer, subject, 'read', { type: 'Domain', id: domainId });
  return ports.audit.verify(domainId);
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
