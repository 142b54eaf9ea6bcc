import { EVENT_TYPES, MAX_SEQ } from '../core/events/event.ts';
import { EventListViewSchema } from '../core/events/queries.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../core/pagination.ts';
import { can, type GroupSpec, named, OK, type QueryParam } from './spec.ts';

// The event log pages by seq, not by an opaque cursor: `after_seq` is a number a client keeps
// (next_after_seq of its last page) and may hand to another client or a later session.

const EVENTS = named('EventListView', EventListViewSchema);

const QUERY: Record<string, QueryParam> = {
  after_seq: {
    schema: {
      oneOf: [
        { type: 'integer', minimum: 0, maximum: MAX_SEQ },
        { type: 'string', const: 'latest' },
      ],
      default: 0,
    },
    description:
      'Only events with a higher seq: next_after_seq of the previous page. seq is gap-free per domain (1, 2, 3 …), ' +
      'so a client that resumes with it misses nothing and sees nothing twice. `latest`: no events, and next_after_seq ' +
      'where the log ends now (a live view starts there). Anything else → 400 invalid_after_seq.',
  },
  type: {
    schema: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } },
    description:
      'Only events of these types: repeat the parameter or separate types with commas. An unknown type → 400 invalid_event_type.',
  },
  limit: {
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
    description: `Most events in the page, 1 to ${MAX_LIMIT}; out of range is refused (invalid_limit), not clamped.`,
  },
};

export const eventsSpec = {
  listDomainEvents: {
    summary: "A domain's events in seq order (its admins and auditors)",
    authorization: can('read', 'Domain'),
    answers: OK(EVENTS),
    query: QUERY,
  },
  listProjectEvents: {
    summary: "A project's events in seq order (whoever may read the project)",
    authorization: can('read', 'Project'),
    answers: OK(EVENTS),
    query: QUERY,
  },
} satisfies GroupSpec;
