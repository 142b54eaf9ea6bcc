// The domain event log on the single table. Events are appended inside the transaction of the
// change they record (`transactWithEvents`): the change's own actions, then an update of each
// counter the events move (their domain's, and their project's) conditioned on the value read,
// then the events under the next numbers. When only a counter's condition failed, another writer
// took those numbers first: retry from what it saw. So `seq` (per domain) and `project_seq` (per
// project) are gap-free, a number is taken only by a committed transaction, and no event outlives
// its change.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type DomainEvent,
  DomainEventSchema,
  type EventDraft,
  type EventLog,
  type EventPage,
  type EventQuery,
  seqKey,
} from '../core/events/event.ts';
import { newId } from '../core/ids.ts';
import { eventKeys } from './dynamo/keys.ts';
import { TABLE_KEYS } from './dynamo/table-def.ts';
import { inTurn, isTransactionConflict, raceBackOff } from './dynamo/turns.ts';
import { type Cancellation, entityOf, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import * as z from 'zod';

const CounterSchema = z.object({ seq: z.number().int().nonnegative() });

/** Writers racing for one domain's counter retry this often before giving up (each with backoff). */
const SEQ_ATTEMPTS = 60;
/** A list reads at most this many events per call, whatever the filter keeps. */
const MAX_SCANNED = 1000;

/** The stored form of an event: the log's keys, the project's index entry, the event itself. */
function eventItem(event: DomainEvent) {
  return {
    ...eventKeys.event(event.domain_id, event.seq),
    ...(event.project_id && event.project_seq && { ...eventKeys.projectList(event.project_id), GSI1SK: seqKey(event.project_seq) }),
    ...event,
  };
}

/** One counter an append moves: a domain's (`seq`) or a project's (`project_seq`). */
interface Counter {
  key: { PK: string; SK: string };
  scope: 'domain' | 'project';
  id: string;
}

function countersOf(drafts: readonly EventDraft[]): Counter[] {
  const domains = [...new Set(drafts.map((d) => d.domain_id))].sort();
  const projects = [...new Set(drafts.flatMap((d) => (d.project_id ? [d.project_id] : [])))].sort();
  return [
    ...domains.map((id) => ({ key: eventKeys.counter(id), scope: 'domain' as const, id })),
    ...projects.map((id) => ({ key: eventKeys.projectCounter(id), scope: 'project' as const, id })),
  ];
}

async function readCounter(table: Table, c: Counter): Promise<number> {
  return (await table.get(c.key, CounterSchema))?.seq ?? 0;
}

/** The seq of the domain's last event (0: none yet), read consistently from its counter. */
export function domainLastSeq(table: Table, domainId: string): Promise<number> {
  return readCounter(table, { key: eventKeys.counter(domainId), scope: 'domain', id: domainId });
}

/** The counter moves from `seen` to `next`, only if no one moved it meanwhile. */
function counterAction(c: Counter, seen: number, next: number): WriteAction {
  return {
    Update: {
      Key: c.key,
      UpdateExpression: 'SET seq = :next',
      ConditionExpression: seen === 0 ? 'attribute_not_exists(seq)' : 'seq = :seen',
      ExpressionAttributeValues: { ':next': next, ...(seen !== 0 && { ':seen': seen }) },
    },
  };
}

/** The drafts numbered from the counters as seen: each takes its domain's next seq, and its project's. */
function numbered(drafts: readonly EventDraft[], counters: Counter[], seen: number[]): { events: DomainEvent[]; next: number[] } {
  const next = [...seen];
  const take = (scope: Counter['scope'], id: string) => {
    const i = counters.findIndex((c) => c.scope === scope && c.id === id);
    next[i] = (next[i] as number) + 1;
    return next[i] as number;
  };
  const events = drafts.map((draft) =>
    DomainEventSchema.parse({
      id: newId(Date.parse(draft.at)),
      seq: take('domain', draft.domain_id),
      ...(draft.project_id && { project_seq: take('project', draft.project_id) }),
      ...draft,
    }),
  );
  return { events, next };
}

export interface EventfulOutcome {
  /** Set when one of the change's own conditions failed (as Table.transact answers, for the change's actions only). */
  cancelled?: Cancellation;
  /** The events as stored, when the change committed. */
  events: DomainEvent[];
}

/**
 * Commits `actions` together with `events` (at most 100 actions in all). Answers the change's own
 * cancellation when one of its conditions failed; nothing is written then, events included.
 */
export async function transactWithEvents(
  table: Table,
  actions: readonly WriteAction[],
  drafts: readonly EventDraft[],
): Promise<EventfulOutcome> {
  if (drafts.length === 0) {
    const cancelled = await table.transact(actions);
    return cancelled ? { cancelled, events: [] } : { events: [] };
  }
  const counters = countersOf(drafts);
  const domains = counters.filter((c) => c.scope === 'domain').map((c) => c.id);
  // Writers in this process take their turn per domain (see turns.ts); a project is in one domain.
  return inTurn(`events:${domains.join(',')}`, () => appendInOrder(table, actions, drafts));
}

/** One writer's append, racing every other (exported so tests can play writers in other processes). */
export async function appendInOrder(
  table: Table,
  actions: readonly WriteAction[],
  drafts: readonly EventDraft[],
): Promise<EventfulOutcome> {
  const counters = countersOf(drafts);
  let seen = await Promise.all(counters.map((c) => readCounter(table, c)));
  for (let attempt = 1; ; attempt++) {
    const { events, next } = numbered(drafts, counters, seen);
    const moves = counters.map((c, i) => counterAction(c, seen[i] as number, next[i] as number));
    let cancelled: Cancellation | undefined;
    try {
      cancelled = await table.transact([...actions, ...moves, ...events.map((e) => putNewAction(eventItem(e)))]);
    } catch (err) {
      if (!isTransactionConflict(err) || attempt >= SEQ_ATTEMPTS) throw err;
      await raceBackOff(attempt);
      seen = await Promise.all(counters.map((c) => readCounter(table, c)));
      continue;
    }
    if (!cancelled) return { events };
    const own = cancelled.slice(0, actions.length);
    if (own.some((c) => c.failed)) return { cancelled: own, events: [] };
    // An event's place was taken though no counter moved: the log is ahead of its counter (a
    // partial restore, a hand edit). Retrying would take the same numbers again; say so instead.
    if (!counters.some((_, i) => cancelled[actions.length + i]?.failed)) {
      throw new Error('An event number is taken while its counter says it is free: the event log and its counter disagree.');
    }
    // Only a counter moved: another process took those numbers. Its cancellation says where the
    // counter stands now, so the next attempt needs no read.
    if (attempt >= SEQ_ATTEMPTS) throw new Error(`Gave up taking event numbers after ${attempt} attempts.`);
    seen = counters.map((_, i) => {
      const c = cancelled[actions.length + i];
      return c?.failed ? (c.item ? CounterSchema.parse(c.item).seq : 0) : (seen[i] as number);
    });
    await raceBackOff(attempt);
  }
}

export class DynamoEventLog implements EventLog {
  constructor(private readonly table: Table) {}

  async append(drafts: readonly EventDraft[]): Promise<DomainEvent[]> {
    return (await transactWithEvents(this.table, [], drafts)).events;
  }

  lastSeq(of: { domainId: string } | { projectId: string }): Promise<number> {
    if ('domainId' in of) return domainLastSeq(this.table, of.domainId);
    return readCounter(this.table, { key: eventKeys.projectCounter(of.projectId), scope: 'project', id: of.projectId });
  }

  /** A domain's events, read consistently from its partition in seq order. */
  listByDomain(domainId: string, query: EventQuery): Promise<EventPage> {
    return this.read({ pk: eventKeys.partition(domainId), consistent: true }, query, (e) => e.seq, false);
  }

  /**
   * A project's events by `project_seq`, through the project's index. An index is eventually
   * consistent: it may show a later event before an earlier one. So the page ends before the first
   * number missing: what follows it comes on a later read, and a follower never skips an event.
   */
  listByProject(projectId: string, query: EventQuery): Promise<EventPage> {
    const index = { pk: eventKeys.projectList(projectId).GSI1PK, index: 'listIndex' as const, consistent: false };
    return this.read(index, query, (e) => e.project_seq ?? 0, true);
  }

  /**
   * Events after `query.afterSeq` (counted by `placeOf`) in order, until `limit` are kept or
   * MAX_SCANNED were read (the answer's lastSeq says how far it read); with `contiguous`, also
   * before the first place missing.
   */
  private async read(
    source: { pk: string; index?: 'listIndex'; consistent: boolean },
    query: EventQuery,
    placeOf: (e: DomainEvent) => number,
    contiguous: boolean,
  ): Promise<EventPage> {
    const types = query.types && query.types.length > 0 ? query.types : undefined;
    const keyNames = source.index ? TABLE_KEYS[source.index] : { partitionKey: 'PK', sortKey: 'SK' };
    const items: DomainEvent[] = [];
    let lastSeq = query.afterSeq;
    let scanned = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          ...(source.index && { IndexName: TABLE_KEYS[source.index].name }),
          KeyConditionExpression: '#pk = :pk AND #sk > :after',
          ExpressionAttributeNames: { '#pk': keyNames.partitionKey, '#sk': keyNames.sortKey },
          ExpressionAttributeValues: { ':pk': source.pk, ':after': seqKey(query.afterSeq) },
          ConsistentRead: source.consistent,
          Limit: Math.min(MAX_SCANNED - scanned, types ? 200 : query.limit - items.length),
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) {
        const event = DomainEventSchema.parse(entityOf(raw));
        const place = placeOf(event);
        if (contiguous && place !== lastSeq + 1) return { items, lastSeq };
        scanned++;
        lastSeq = place;
        if (types && !types.includes(event.type)) continue;
        items.push(event);
        if (items.length >= query.limit) return { items, lastSeq };
      }
      start = out.LastEvaluatedKey;
    } while (start && scanned < MAX_SCANNED);
    return { items, lastSeq };
  }
}
