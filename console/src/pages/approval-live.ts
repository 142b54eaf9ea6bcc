// Keeping the queue current: the domain's assignment events trigger a reload. Whatever keeps the
// follow from working (a refusal, which useLiveRefresh already answers by polling, or any other
// failure), the queue still refreshes every few seconds, and it reloads once when the follow has
// caught up, so a request made between the first read and the follow's start is not missed.
import { useEffect, useRef } from 'preact/hooks';
import { BrokerProblem } from '../api.ts';
import { type EventType, useLiveRefresh } from '../live.ts';

const TYPES: EventType[] = [
  'assignment.requested',
  'assignment.approved',
  'assignment.rejected',
  'assignment.revoked',
  'assignment.expired',
  'assignment.terms_changed',
];

export const POLL_MS = 5_000;

export type FollowMode = 'connecting' | 'live' | 'polling';

export function useQueueFollow(domainId: string, reload: () => void): FollowMode {
  const latest = useRef(reload);
  latest.current = reload;
  const follow = useLiveRefresh(domainId, TYPES, () => latest.current(), POLL_MS);
  const refused = follow.error instanceof BrokerProblem && (follow.error.status === 403 || follow.error.status === 404);
  const failing = follow.error !== undefined && !refused;

  useEffect(() => {
    if (!failing) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [failing]);

  useEffect(() => {
    if (follow.caughtUp) latest.current();
  }, [follow.caughtUp]);

  if (follow.error !== undefined) return 'polling';
  return follow.caughtUp ? 'live' : 'connecting';
}
