// The domain's event feed: the log's events newest first, followed live, filtered by kind, with a
// count of what arrives (not the whole table read out again: the count on screen stays current,
// the live region says it at most every 30 s) and a pause.
import { useId, useState } from 'preact/hooks';
import type { EventType } from '../live.ts';
import { useSession } from '../session.ts';
import { Badge, Loading, Page, ProblemMessage } from '../ui/kit.tsx';
import { useNow } from '../ui/now.ts';
import { KEEP, useEventFeed } from './event-feed.ts';
import { EventTable, useProjectNames } from './event-table.tsx';
import { EVENT_TYPE_LIST, TYPE_GROUPS, typeWords } from './event-words.ts';

/** A filter's value: '' for every event, `group:<n>` for a group, else one type. */
function typesOf(filter: string): EventType[] {
  if (!filter) return [];
  if (filter.startsWith('group:')) return TYPE_GROUPS[Number(filter.slice('group:'.length))]?.types ?? [];
  return EVENT_TYPE_LIST.includes(filter as EventType) ? [filter as EventType] : [];
}

function filterWords(filter: string): string {
  if (!filter) return 'events';
  if (filter.startsWith('group:')) return TYPE_GROUPS[Number(filter.slice('group:'.length))]?.noun ?? 'events';
  return `“${typeWords(filter)}” events`;
}

function TypeFilter(props: { value: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <div class="field event-filter">
      <label for={id}>Show</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">All events</option>
        {TYPE_GROUPS.map((g, i) => (
          <option key={g.label} value={`group:${i}`}>
            All {g.noun}
          </option>
        ))}
        {TYPE_GROUPS.map((g) => (
          <optgroup key={g.label} label={g.label}>
            {g.types.map((t) => (
              <option key={t} value={t}>
                {typeWords(t)}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
}

/** The feed for one filter; the page gives it a key per filter, so a new filter starts afresh. */
function Feed(props: { domainId: string; filter: string; paused: boolean; onPause: (paused: boolean) => void }) {
  const feed = useEventFeed(props.domainId, typesOf(props.filter), props.paused);
  const names = useProjectNames(props.domainId, feed.events);
  const now = useNow();
  const { follow } = feed;
  const state = feed.refused
    ? { tone: 'bad' as const, word: 'Not following' }
    : follow.error
      ? { tone: 'warn' as const, word: 'Reconnecting' }
      : props.paused
        ? { tone: 'warn' as const, word: 'Paused' }
        : follow.caughtUp
          ? { tone: 'ok' as const, word: 'Live' }
          : { tone: 'info' as const, word: 'Connecting' };
  return (
    <>
      <div class="event-bar">
        <p class="event-state">
          <Badge tone={state.tone}>{state.word}</Badge>
          {state.word === 'Live' && <span class="event-ago"> New events appear here as they happen.</span>}
        </p>
        {!feed.refused && (
          <button type="button" onClick={() => props.onPause(!props.paused)}>
            {props.paused ? `Resume live updates${feed.waiting ? ` (${feed.waiting} waiting)` : ''}` : 'Pause live updates'}
          </button>
        )}
      </div>
      <p class="event-news">{feed.news}</p>
      <p class="visually-hidden" role="status">
        {feed.announcement}
      </p>
      {feed.refused ? (
        <ProblemMessage error={follow.error} prefix="This identity may not read the domain's events:" />
      ) : (
        <>
          {follow.error ? <ProblemMessage error={follow.error} prefix="The last read failed; trying again:" /> : null}
          {feed.dropped > 0 && (
            <p class="notice">
              Showing the newest {KEEP} events; {feed.dropped} older {feed.dropped === 1 ? 'one is' : 'ones are'} not kept on this page (the
              log still has them).
            </p>
          )}
          {!follow.caughtUp && feed.events.length === 0 ? (
            follow.error ? null : (
              <Loading what="events" />
            )
          ) : (
            <div class="event-feed">
              <EventTable
                events={feed.events}
                names={names}
                now={now}
                caption={`The domain's ${filterWords(props.filter)}, newest first`}
                empty={props.filter ? `No ${filterWords(props.filter)} in this domain yet.` : 'No events in this domain yet.'}
              />
            </div>
          )}
        </>
      )}
    </>
  );
}

export function EventsPage() {
  const { user } = useSession();
  const [filter, setFilter] = useState('');
  const [paused, setPaused] = useState(false);
  return (
    <Page title="Events">
      <p class="event-intro">
        Everything that happens in your domain: Resources created, moving through their phases and deleted, leases, credential requests and
        their decisions. Newest first.
      </p>
      <TypeFilter value={filter} onChange={setFilter} />
      <Feed key={filter} domainId={user.domain_id} filter={filter} paused={paused} onPause={setPaused} />
    </Page>
  );
}
