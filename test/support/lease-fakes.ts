import type { AuditEntry, AuditLog } from '../../functions/core/assignments/audit.ts';
import type { LeaseTimers } from '../../functions/core/lease-timers.ts';

/** Lease timers that remember each Resource's last arming (one timer per Resource, as the real ones). */
export class RecordingLeaseTimers implements LeaseTimers {
  readonly armed = new Map<string, Date>();
  readonly calls: Array<{ resourceId: string; at: Date }> = [];
  async arm(resourceId: string, at: Date): Promise<void> {
    this.armed.set(resourceId, at);
    this.calls.push({ resourceId, at });
  }
}

/** An audit log in memory. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
  async list(domainId: string) {
    return { items: this.entries.filter((e) => e.domain_id === domainId) };
  }
}
