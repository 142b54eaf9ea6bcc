// A Resource's lease: when it ends, the time left (ticking, cheaply: every second in the last hour,
// every half minute before), the ceiling its terms set, and a form that extends it. The broker
// decides; a refusal is shown in its words.
import { useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { useAction } from '../ui/async.ts';
import { dateTime, duration } from '../ui/format.ts';
import { ProblemMessage, StatusNotice, TextField } from '../ui/kit.tsx';
import { parseLease } from '../ui/terms-words.ts';
import { useNow } from '../ui/now.ts';

type Resource = Schemas['ResourceView'];

export function LeasePanel(props: { resource: Resource; canExtend: boolean; onChanged: (r: Resource) => void }) {
  const { resource } = props;
  const lease = resource.lease;
  const ends = lease ? Date.parse(lease.expires_at) : Number.NaN;
  const now = useNow(ends - Date.now() < 3_600_000 ? 1_000 : 30_000);
  const [by, setBy] = useState('1h');
  const [done, setDone] = useState<string | undefined>(undefined);
  const seconds = parseLease(by);
  const target = Number.isFinite(ends) && seconds !== undefined ? new Date(ends + seconds * 1000).toISOString() : undefined;
  const extend = useAction(async (expiresAt: string) => {
    setDone(undefined);
    const moved = await must(
      api.POST('/v1/resources/{id}/lease', { params: { path: { id: resource.id } }, body: { expires_at: expiresAt } }),
    );
    setDone(`The lease now ends at ${dateTime(moved.lease?.expires_at)}.`);
    props.onChanged(moved);
  });

  if (!lease) return <p>This Resource has no lease: it was adopted, and the broker does not tear it down.</p>;
  const left = ends - now;
  const atCeiling = lease.max_expires_at !== null && Date.parse(lease.max_expires_at) <= ends;
  return (
    <>
      <dl class="facts">
        <dt>Ends at</dt>
        <dd>
          <time dateTime={lease.expires_at}>{dateTime(lease.expires_at)}</time>
        </dd>
        <dt>Time left</dt>
        <dd>{left > 0 ? duration(left) : `None: it ran out ${duration(-left)} ago`}</dd>
        <dt>Ceiling</dt>
        <dd>
          {lease.max_expires_at ? `It can be extended up to ${dateTime(lease.max_expires_at)}` : 'None: the terms set no longest lease'}
        </dd>
      </dl>
      {props.canExtend && atCeiling && <p>The lease is at its ceiling: the terms allow no longer one.</p>}
      {props.canExtend && !atCeiling && (
        <form
          class="extend"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (target && !extend.busy) void extend.run(target);
          }}
        >
          <TextField
            label="Extend by"
            value={by}
            error={by.trim() && seconds === undefined ? 'Write a duration such as 1h, 12h or 2d.' : undefined}
            hint={target ? `The lease would end at ${dateTime(target)}.` : 'A duration such as 1h, 12h or 2d.'}
            onValue={setBy}
          />
          <ProblemMessage error={extend.error} prefix="The lease was not extended." />
          <StatusNotice text={done} />
          <div class="buttons">
            {/* Busy, the buttons keep their focus (aria-disabled) and a press does nothing. */}
            <button type="submit" disabled={!target} aria-disabled={extend.busy || undefined}>
              {extend.busy ? 'Extending…' : 'Extend lease'}
            </button>
            {lease.max_expires_at && (
              <button
                type="button"
                aria-disabled={extend.busy || undefined}
                onClick={() => lease.max_expires_at && !extend.busy && void extend.run(lease.max_expires_at)}
              >
                Extend to the ceiling
              </button>
            )}
          </div>
        </form>
      )}
    </>
  );
}
