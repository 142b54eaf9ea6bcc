// The domain event log on the single table. Events are appended inside the transaction of the
// change they record (`transactWithEvents`): the change's own actions, then per domain an update of
// its counter conditioned on the seq read, then the events under the next seqs. When only a
// counter's condition failed, another writer took those seqs first: read again and retry. So seq is
// gap-free (a seq is taken only by a committed transaction) and no event outlives its change.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type DomainEvent,
  DomainEventSchema,
  type EventDraft,
  type EventLog,
  type EventPage,
  type EventQuery,
} from '../core/events/event.ts';
import { newId } from '../core/ids.ts';
import { eventKeys, eventSortKey } from './dynamo/keys.ts';
import { inTurn } from './dynamo/turns.ts';
import { type Cancellation, entityOf, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import { z } from 'zod';

const CounterSchema = z.object({ seq: z.number().int().nonnegative() });

/** Writers racing for one domain's counter retry this often before giving up (each with backoff). */
const SEQ_ATTEMPTS = 60;
/** A list reads at most this many events per call, whatever the filter keeps. */
const MAX_SCANNED = 1000;

/** The stored form of an event: the log's keys and the event itself. */
function eventItem(event: DomainEvent) {
  return { ...eventKeys.event(event.domain_id, event.seq), ...event };
}

/** A cancellation that is not about our conditions: a concurrent transaction held an item. */
function isConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  return e?.name === 'TransactionCanceledException' && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
}

function backOff(attempt: number): Promise<void> {
  const ceiling = Math.min(400, 10 * 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ceiling * Math.random()));
}

async function readCounter(table: Table, domainId: string): Promise<number> {
  return (await table.get(eventKeys.counter(domainId), CounterSchema))?.seq ?? 0;
}

/** The counter moves from `seen` to `next`, only if no one moved it meanwhile. */
function counterAction(domainId: string, seen: number, next: number): WriteAction {
  return {
    Update: {
      Key: eventKeys.counter(domainId),
      UpdateExpression: 'SET seq = :next',
      ConditionExpression: seen === 0 ? 'attribute_not_exists(seq)' : 'seq = :seen',
      ExpressionAttributeValues: { ':next': next, ...(seen !== 0 && { ':seen': seen }) },
    },
  };
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
  const domains = [...new Set(drafts.map((d) => d.domain_id))].sort();
  // Writers in this process take their turn per domain (see turns.ts).
  return inTurn(`events:${domains.join(',')}`, () => appendInOrder(table, actions, drafts, domains));
}

/** One writer's append, racing every other (exported so tests can play writers in other processes). */
export async function appendInOrder(
  table: Table,
  actions: readonly WriteAction[],
  drafts: readonly EventDraft[],
  domains: string[],
): Promise<EventfulOutcome> {
  let seen = await Promise.all(domains.map((d) => readCounter(table, d)));
  for (let attempt = 1; ; attempt++) {
    const next = new Map(domains.map((d, i) => [d, seen[i] as number]));
    const events = drafts.map((draft) => {
      const seq = (next.get(draft.domain_id) as number) + 1;
      next.set(draft.domain_id, seq);
      return DomainEventSchema.parse({ id: newId(Date.parse(draft.at)), seq, ...draft });
    });
    const counters = domains.map((d, i) => counterAction(d, seen[i] as number, next.get(d) as number));
    let cancelled: Cancellation | undefined;
    try {
      cancelled = await table.transact([...actions, ...counters, ...events.map((e) => putNewAction(eventItem(e)))]);
    } catch (err) {
      if (!isConflict(err) || attempt >= SEQ_ATTEMPTS) throw err;
      await backOff(attempt);
      seen = await Promise.all(domains.map((d) => readCounter(table, d)));
      continue;
    }
    if (!cancelled) return { events };
    const own = cancelled.slice(0, actions.length);
    if (own.some((c) => c.failed)) return { cancelled: own, events: [] };
    // Only a counter moved: another process took those seqs. Its cancellation says where the
    // counter stands now, so the next attempt needs no read.
    if (attempt >= SEQ_ATTEMPTS) throw new Error(`Gave up taking an event seq in ${domains.join(', ')} after ${attempt} attempts.`);
    seen = domains.map((_, i) => {
      const c = cancelled[actions.length + i];
      return c?.failed ? (c.item ? CounterSchema.parse(c.item).seq : 0) : (seen[i] as number);
    });
    await backOff(attempt);
  }
}

const ALL = (): boolean => true;

export class DynamoEventLog implements EventLog {
  constructor(private readonly table: Table) {}

  async append(drafts: readonly EventDraft[]): Promise<DomainEvent[]> {
    return (await transactWithEvents(this.table, [], drafts)).events;
  }

  listByDomain(domainId: string, query: EventQuery): Promise<EventPage> {
    return this.page(domainId, query, ALL);
  }

  // Not through an index: an index may show a later event before an earlier one, and a follower
  // resuming after the later would never see the earlier. The domain's log is read consistently.
  listByProject(domainId: string, projectId: string, query: EventQuery): Promise<EventPage> {
    return this.page(domainId, query, (e) => e.project_id === projectId);
  }

  /**
   * Events after `afterSeq` in seq order, read consistently from the domain's partition, until
   * `limit` are kept or MAX_SCANNED were read (the answer's lastSeq says how far it read).
   */
  private async page(domainId: string, query: EventQuery, keep: (e: DomainEvent) => boolean): Promise<EventPage> {
    const types = query.types && query.types.length > 0 ? query.types : undefined;
    const filtered = types !== undefined || keep !== ALL;
    const items: DomainEvent[] = [];
    let lastSeq = query.afterSeq;
    let scanned = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: { ':pk': eventKeys.partition(domainId), ':after': eventSortKey(query.afterSeq) },
          ConsistentRead: true,
          Limit: Math.min(MAX_SCANNED - scanned, filtered ? 200 : query.limit - items.length),
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of out.Items ?? []) {
        scanned++;
        const event = DomainEventSchema.parse(entityOf(raw));
        lastSeq = event.seq;
        if ((types && !types.includes(event.type)) || !keep(event)) continue;
        items.push(event);
        if (items.length >= query.limit) return { items, lastSeq };
      }
      start = out.LastEvaluatedKey;
    } while (start && scanned < MAX_SCANNED);
    return { items, lastSeq };
  }
}
