import { type AuditEntry, type AuditLog, AuditEntryViewSchema } from '../core/assignments/audit.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { auditKeys } from './dynamo/keys.ts';
import type { Table } from './dynamo/table.ts';

// An entry is stored exactly as it is shown.
const AuditEntrySchema = AuditEntryViewSchema;

export class DynamoAuditLog implements AuditLog {
  constructor(private readonly table: Table) {}

  async append(entry: AuditEntry): Promise<void> {
    // Entry ids are UUIDv7, unique per write: a plain put never overwrites another entry.
    await this.table.put({ ...auditKeys.entry(entry.domain_id, entry.id), ...auditKeys.list(entry.domain_id), GSI1SK: entry.id, ...entry });
  }

  list(domainId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.table.listPage(auditKeys.list(domainId).GSI1PK, AuditEntrySchema, page);
  }
}
