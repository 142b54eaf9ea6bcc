import { z } from 'zod';
import { IN_DOMAIN } from '../entity.ts';
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
