// The domain event log: every change a person would want to hear about, in order, per domain.
// An event is written in the same transaction as the change it records (the stores take the
// events with the change), so there is no event for a change that did not happen and no change
// without its event. `seq` counts 1, 2, 3 … per domain with no gaps: the store takes it from the
// domain's counter in that same transaction.
import * as z from 'zod';
import { InvalidInputError } from '../errors.ts';
import { IdSchema } from '../ids.ts';

export const EVENT_TYPES = [
  'resource.created',
  'resource.phase_changed',
  'resource.deleted',
  'resource.create_refused',
  'resource.lease_set',
  'resource.lease_extended',
  'resource.lease_expiring',
  'resource.lease_expired',
  'assignment.requested',
  'assignment.approved',
  'assignment.rejected',
  'assignment.revoked',
  'assignment.expired',
  'assignment.terms_changed',
  'project.owner_changed',
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** A seq in a sort key is zero-padded to this many digits, so text order is number order. */
export const SEQ_DIGITS = 12;
/** The largest seq SEQ_DIGITS can order. */
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/** A seq as a sort key: zero-padded to SEQ_DIGITS. */
export function seqKey(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/** Event types by name, each known, without repeats; an unknown name is refused (400 invalid_event_type), never dropped. */
export function eventTypesNamed(names: readonly string[]): EventType[] {
  const types = new Set<EventType>();
  for (const name of names) {
    const parsed = EventTypeSchema.safeParse(name);
    if (!parsed.success) {
      throw new InvalidInputError('invalid_event_type', `"${name}" is not an event type; use one of ${EVENT_TYPES.join(', ')}.`, {
        allowed: [...EVENT_TYPES],
      });
    }
    types.add(parsed.data);
  }
  return [...types];
}

/** What an event is about: a refused create has no Resource yet, so it is about the project. */
export const SubjectKindSchema = z.enum(['resource', 'credential_assignment', 'project']);

/** Who caused it: absent when the broker itself did (a phase step, a lease timer). */
export const EventActorSchema = z.object({ kind: z.literal('user'), id: z.string() });
export type EventActor = z.infer<typeof EventActorSchema>;

export const DomainEventSchema = z.object({
  id: IdSchema,
  seq: z.number().int().positive(),
  type: EventTypeSchema,
  at: z.string(),
  domain_id: IdSchema,
  project_id: IdSchema.optional(),
  /** The event's place among its project's events: 1, 2, 3 … with no gaps, like seq in the domain. */
  project_seq: z.number().int().positive().optional(),
  subject: z.object({ kind: SubjectKindSchema, id: z.string() }),
  actor: EventActorSchema.optional(),
  data: z.record(z.string(), z.unknown()),
});
export type DomainEvent = z.infer<typeof DomainEventSchema>;

/** An event before the store gives it its id and place in the domain's sequence. */
export type EventDraft = Omit<DomainEvent, 'id' | 'seq' | 'project_seq'>;

/** The user behind a request, as an event's actor; undefined for the broker's own work. */
export function userActor(userId: string | undefined): EventActor | undefined {
  return userId ? { kind: 'user', id: userId } : undefined;
}

/** What an event is about, where it happened, and when. */
export interface EventPlace {
  domain_id: string;
  project_id?: string | undefined;
  subject: DomainEvent['subject'];
}

export function eventDraft(
  place: EventPlace,
  type: EventType,
  at: string,
  data: Record<string, unknown>,
  actor?: EventActor | undefined,
): EventDraft {
  return {
    type,
    at,
    domain_id: place.domain_id,
    ...(place.project_id && { project_id: place.project_id }),
    subject: place.subject,
    ...(actor && { actor }),
    data: withoutUndefined(data),
  };
}

/** Events are stored and signed as JSON: an undefined field would vanish on the way, so it never enters. */
function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}

/** Which events a list asks for. */
export interface EventQuery {
  /** Events with a higher seq than this (0: from the start). */
  afterSeq: number;
  /** Only these types (none: all). */
  types?: readonly EventType[] | undefined;
  limit: number;
}

export interface EventPage {
  items: DomainEvent[];
  /**
   * The seq the next page starts after: the last event read, whether or not the type filter kept
   * it, so a filtered follow never re-reads what it skipped. Equal to the query's when nothing new.
   */
  lastSeq: number;
}

export interface EventLog {
  /** Appends events that record no stored change of their own (a refused create), in one transaction. */
  append(events: readonly EventDraft[]): Promise<DomainEvent[]>;
  listByDomain(domainId: string, query: EventQuery): Promise<EventPage>;
  /**
   * A project's events after `query.afterSeq`, which counts the project's own `project_seq`; the
   * page's lastSeq does too. Never skips an event a later one overtook on its way to an index.
   */
  listByProject(projectId: string, query: EventQuery): Promise<EventPage>;
  /** The seq of a domain's last event, or a project's last project_seq (0: none yet). */
  lastSeq(of: { domainId: string } | { projectId: string }): Promise<number>;
}
