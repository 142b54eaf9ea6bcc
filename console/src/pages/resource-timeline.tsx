// A Resource's phase timeline: every transition with its time and how long the Resource stayed
// in that phase (the current one "so far"), then where it stands now: the reason, what it waits
// on, the last error.
import type { Schemas } from '../../../client/broker.ts';
import { dateTime, duration } from '../ui/format.ts';
import { useNow } from '../ui/now.ts';
import { PhaseBadge } from '../ui/phase.tsx';

export type Provisioning = NonNullable<Schemas['ResourceView']['provisioning']>;

const REASON_CODES: Record<NonNullable<Provisioning['reason_code']>, string> = {
  delete_requested: 'someone asked to delete it',
  lease_expired: 'its lease ran out',
  assignment_revoked: "its credential's approval was revoked",
};

export function CurrentState(props: { provisioning: Provisioning }) {
  const p = props.provisioning;
  return (
    <dl class="facts">
      <dt>Phase</dt>
      <dd>
        <PhaseBadge phase={p.phase} />
      </dd>
      <dt>Reason</dt>
      <dd>
        {p.reason || '—'}
        {p.reason_code && ` (torn down because ${REASON_CODES[p.reason_code]})`}
      </dd>
      <dt>Waiting on</dt>
      <dd>{p.waiting_on ? <code>{p.waiting_on}</code> : 'Nothing'}</dd>
      {p.deadline && (
        <>
          <dt>Deadline</dt>
          <dd>{dateTime(p.deadline)}</dd>
        </>
      )}
      <dt>Last error</dt>
      <dd>
        {p.last_error ? (
          <span class="last-error">
            {p.last_error.message} <span class="code">({p.last_error.code})</span>
          </span>
        ) : (
          'None'
        )}
      </dd>
    </dl>
  );
}

/** How long a phase lasted: tenths of a second when short (the embedded stack moves in under one). */
function lasted(ms: number): string {
  return ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : duration(ms);
}

export function Timeline(props: { transitions: Provisioning['transitions'] }) {
  const { transitions } = props;
  const last = transitions[transitions.length - 1];
  // Only a phase still going needs a ticking "so far"; past an hour its seconds are not shown.
  const going = last && last.phase !== 'Deleted';
  const now = useNow(going && Date.now() - Date.parse(last.at) < 3_600_000 ? 1_000 : going ? 30_000 : 3_600_000);
  return (
    <ol class="timeline">
      {transitions.map((t, i) => {
        const next = transitions[i + 1];
        const stayed = next ? lasted(Date.parse(next.at) - Date.parse(t.at)) : undefined;
        return (
          <li key={`${t.phase}@${t.at}`}>
            <PhaseBadge phase={t.phase} /> <time dateTime={t.at}>{dateTime(t.at)}</time>
            <span class="stayed">
              {stayed !== undefined
                ? ` · ${stayed} in ${t.phase}`
                : t.phase === 'Deleted'
                  ? ' · final'
                  : ` · ${lasted(now - Date.parse(t.at))} so far`}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
