// The events view's state: the domain's log followed live, kept newest first and capped, with a
// count of what arrived since the page opened (shown at once, announced politely at most every
// 30 s), and a pause that holds new events back until resumed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type DomainEvent, type EventType, endsFollow, type FollowState, useEventFollower } from '../live.ts';
import { useThrottledAnnouncement } from '../ui/announce.ts';

/** How many events the view keeps; older ones are let go (the log keeps them all). */
export const KEEP = 500;

export interface EventFeed {
  /** Newest first, at most KEEP. */
  events: DomainEvent[];
  /** How many older events were let go to stay within KEEP. */
  dropped: number;
  /** Events that arrived while paused, shown on resume. */
  waiting: number;
  /** What arrived live in words ("3 new events since this page opened."), empty until something does. */
  news: string;
  /** `news` as the live region says it: the first words at once, later ones at most every 30 s. */
  announcement: string;
  follow: FollowState;
  /** The caller may not read this domain's events (the server's refusal is in follow.error). */
  refused: boolean;
}

function newestFirst(batch: DomainEvent[]): DomainEvent[] {
  return [...batch].sort((a, b) => b.seq - a.seq);
}

/** Merges a batch (any order) into a newest-first list, without repeats, capped at KEEP. */
function merge(list: DomainEvent[], batch: DomainEvent[]): { list: DomainEvent[]; dropped: number } {
  const seen = new Set(list.map((e) => e.id));
  const fresh = newestFirst(batch.filter((e) => !seen.has(e.id)));
  const all =
    fresh.length && list.length && (fresh.at(-1)?.seq ?? 0) < (list[0]?.seq ?? 0) ? newestFirst([...fresh, ...list]) : [...fresh, ...list];
  return { list: all.slice(0, KEEP), dropped: Math.max(0, all.length - KEEP) };
}

/**
 * Follows `domainId`'s events of `types` (all when empty), reading back the log's latest KEEP
 * entries first. Give the component that calls it a key made of the types: a new filter reads
 * again, in a fresh list.
 */
export function useEventFeed(domainId: string, types: EventType[], paused: boolean): EventFeed {
  const [kept, setKept] = useState<{ events: DomainEvent[]; dropped: number }>({ events: [], dropped: 0 });
  const [pending, setPending] = useState<DomainEvent[]>([]);
  const [arrived, setArrived] = useState(0);
  const live = useRef(false);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  const apply = useCallback((batch: DomainEvent[]) => {
    setKept((k) => {
      const merged = merge(k.events, batch);
      return { events: merged.list, dropped: k.dropped + merged.dropped };
    });
  }, []);

  const onEvents = useCallback(
    (batch: DomainEvent[]) => {
      // The history read when the view opens is shown, not announced; what comes after is.
      if (live.current) setArrived((n) => n + batch.length);
      if (pausedRef.current && live.current) setPending((p) => [...p, ...batch]);
      else apply(batch);
    },
    [apply],
  );

  const follow = useEventFollower({ domainId }, onEvents, { history: KEEP, ...(types.length && { types }) });
  live.current = follow.caughtUp;

  // Resuming shows what arrived meanwhile.
  useEffect(() => {
    if (paused || !pending.length) return;
    apply(pending);
    setPending([]);
  }, [paused, pending, apply]);

  const refused = endsFollow(follow.error);
  const waiting = pending.length;
  const news = arrived
    ? `${arrived} new event${arrived === 1 ? '' : 's'} since this page opened${waiting ? `, ${waiting} held while paused` : ''}.`
    : '';
  const announcement = useThrottledAnnouncement(news);
  return { events: kept.events, dropped: kept.dropped, waiting, news, announcement, follow, refused };
}
