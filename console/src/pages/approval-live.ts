// Keeping the queue current: the domain's assignment events trigger a reload; while they cannot be
// followed (a refusal or any other failure), the queue refreshes every few seconds instead.
import { useLiveRefresh } from '../live.ts';
import { EVENT_TYPE_LIST } from './event-words.ts';

// Every assignment event (the events view's list is complete by type).
const TYPES = EVENT_TYPE_LIST.filter((t) => t.startsWith('assignment.'));

export type FollowMode = 'connecting' | 'live' | 'polling';

export function useQueueFollow(domainId: string, reload: () => void): FollowMode {
  const follow = useLiveRefresh(domainId, TYPES, reload);
  if (follow.error !== undefined) return 'polling';
  return follow.caughtUp ? 'live' : 'connecting';
}
