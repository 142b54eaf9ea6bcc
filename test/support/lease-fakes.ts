import type { DomainEvent, EventDraft, EventLog, EventPage, EventQuery } from '../../functions/core/events/event.ts';
import { newId } from '../../functions/core/ids.ts';
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
  readonly requests: Array<{ assignmentId: string; at: Date }> = [];
  async armRequestExpiry(assignmentId: string, at: Date): Promise<void> {
    this.requests.push({ assignmentId, at });
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

/** The event log in memory: appended events in order, with the seqs the store would give them. */
export class MemoryEventLog implements EventLog {
  readonly events: DomainEvent[] = [];
  async append(drafts: readonly EventDraft[]): Promise<DomainEvent[]> {
    const count = (where: (e: DomainEvent) => boolean) => this.events.filter(where).length + 1;
    const added: DomainEvent[] = [];
    // One at a time, so each draft counts the ones before it.
    for (const d of drafts) {
      const event = {
        ...d,
        id: newId(),
        seq: count((e) => e.domain_id === d.domain_id),
        ...(d.project_id && { project_seq: count((e) => e.project_id === d.project_id) }),
      };
      this.events.push(event);
      added.push(event);
    }
    return added;
  }
  async listByDomain(domainId: string, q: EventQuery): Promise<EventPage> {
    return this.page((e) => e.domain_id === domainId, (e) => e.seq, q);
  }
  async listByProject(projectId: string, q: EventQuery): Promise<EventPage> {
    return this.page((e) => e.project_id === projectId, (e) => e.project_seq ?? 0, q);
  }
  async lastSeq(of: { domainId: string } | { projectId: string }): Promise<number> {
    const mine = this.events.filter((e) => ('domainId' in of ? e.domain_id === of.domainId : e.project_id === of.projectId));
    return mine.length;
  }
  private page(where: (e: DomainEvent) => boolean, place: (e: DomainEvent) => number, q: EventQuery): EventPage {
    const items = this.events.filter((e) => where(e) && place(e) > q.afterSeq && (!q.types?.length || q.types.includes(e.type))).slice(0, q.limit);
    const last = items.at(-1);
    return { items, lastSeq: last ? place(last) : q.afterSeq };
  }
}
