// Reading the event log: a domain's events for those who may read the domain (its admins and
// auditors), a project's events for those who may read the project (its owner, and the domain's
// admins and auditors, as every other read of a project). No new Cedar action: `read` on Domain
// and on Project already name exactly these people.
import * as z from 'zod';
import type { Authorizer, AuthzSubject } from '../authz/model.ts';
import type { Clock } from '../clock.ts';
import { InvalidInputError } from '../errors.ts';
import { parseLimit } from '../pagination.ts';
import type { TenancyStore } from '../ports.ts';
import { authorizedProject, getDomain } from '../projects.ts';
import {
  DomainEventSchema,
  type EventLog,
  type EventPage,
  type EventQuery,
  type EventType,
  eventTypesNamed,
  MAX_SEQ,
  SEQ_DIGITS,
} from './event.ts';

export interface EventReadPorts {
  events: EventLog;
  tenancy: TenancyStore;
  authorizer: Authorizer;
  clock: Clock;
}

/** One page on the wire: `next_after_seq` is where the next request starts (`after_seq=`). */
export const EventListViewSchema = z
  .object({
    items: z.array(DomainEventSchema),
    next_after_seq: z.number().int().nonnegative(),
  })
  .meta({
    description:
      'Events in seq order. seq counts 1, 2, 3 … per domain with no gaps; next_after_seq is the seq of the last event ' +
      'read (also one the type filter skipped), or after_seq when nothing newer exists: resume with after_seq=next_after_seq.',
  });
export type EventListView = z.infer<typeof EventListViewSchema>;

export const eventListView = (page: EventPage): EventListView => ({ items: page.items, next_after_seq: page.lastSeq });

/** Where a read starts: after a seq, or after the last event now (a follower that wants only what comes next). */
export type AfterSeq = number | 'latest';

/** A route's query: EventQuery, whose start may also be `latest`. */
export type EventRouteQuery = Omit<EventQuery, 'afterSeq'> & { afterSeq: AfterSeq };

/** `?after_seq=`: a whole number from 0 (the default: from the first event), or `latest`. */
export function parseAfterSeq(raw: string | undefined): AfterSeq {
  if (raw === undefined || raw === '') return 0;
  if (raw === 'latest') return 'latest';
  // Twelve digits at most: the log's sort key orders no more.
  if (raw.length > SEQ_DIGITS || !/^\d+$/.test(raw))
    throw new InvalidInputError('invalid_after_seq', `after_seq must be latest or a whole number from 0 to ${MAX_SEQ}.`);
  return Number(raw);
}

/**
 * `?type=`: one or more event types, repeated (`type=a&type=b`, which API Gateway hands over
 * joined by commas) or comma-separated. An unknown or empty name is refused rather than dropped,
 * so a typo never turns into an empty follow.
 */
export function parseEventTypes(raw: string | undefined): EventType[] | undefined {
  return raw === undefined ? undefined : eventTypesNamed(raw.split(',').map((name) => name.trim()));
}

/** The query string of both event routes. */
export function parseEventQuery(query: Record<string, string | undefined>): EventRouteQuery {
  return { afterSeq: parseAfterSeq(query.after_seq), types: parseEventTypes(query.type), limit: parseLimit(query.limit) };
}

/**
 * A domain's events. Primary course:
 * 1. the domain exists (else 404 domain_not_found, whoever asks, as GET /v1/domains/{id});
 * 2. the caller may read it (its admins and auditors; anyone else is refused with 403);
 * 3. one page of its partition after `afterSeq`, read consistently (`latest`: no events, and
 *    where the log ends now, so a follower starts there).
 */
export async function listDomainEvents(
  ports: EventReadPorts,
  subject: AuthzSubject,
  domainId: string,
  query: EventRouteQuery,
): Promise<EventPage> {
  const domain = await getDomain(ports, subject, domainId);
  if (query.afterSeq === 'latest') return { items: [], lastSeq: await ports.events.lastSeq({ domainId: domain.id }) };
  return ports.events.listByDomain(domain.id, { ...query, afterSeq: query.afterSeq });
}

/**
 * A project's events. Primary course:
 * 1. the project exists (else 404 project_not_found);
 * 2. the caller may read it (its owner, the domain's admins and auditors);
 * 3. one page of the project's events after `afterSeq`, by their `project_seq` (`latest`: none,
 *    and the project's last project_seq).
 */
export async function listProjectEvents(
  ports: EventReadPorts,
  subject: AuthzSubject,
  projectId: string,
  query: EventRouteQuery,
): Promise<EventPage> {
  const project = await authorizedProject(ports, subject, projectId, 'read');
  if (query.afterSeq === 'latest') return { items: [], lastSeq: await ports.events.lastSeq({ projectId: project.id }) };
  return ports.events.listByProject(project.id, { ...query, afterSeq: query.afterSeq });
}
