// A dry run's plan in words: would the broker create the Resource, every reason it would not,
// the quota as it stands and the lease the Resource would get.
import type { Schemas } from '../../../client/broker.ts';
import { dateTime, relative } from '../ui/format.ts';
import { Badge } from '../ui/kit.tsx';

export type CreatePlan = Schemas['CreatePlanView'];

function quotaWords(q: CreatePlan['quota']): string {
  const live = `${q.live} live now`;
  return q.limit === null ? `No limit on live Resources (${live})` : `${q.live} of at most ${q.limit} live Resources in use`;
}

export function PlanPanel(props: { plan: CreatePlan | undefined; stale: boolean; checking: boolean }) {
  const { plan } = props;
  return (
    <section class="panel plan" aria-labelledby="plan-title">
      <h2 id="plan-title">Plan</h2>
      <div aria-live="polite">
        {props.checking && <p class="loading">Asking the broker for a plan…</p>}
        {!plan && !props.checking && <p class="empty">No plan yet: fill in the form and check it. Nothing is created by a check.</p>}
        {plan && (
          <>
            {plan.allowed ? (
              <p>
                <Badge tone="ok">Allowed</Badge> The broker would create this Resource.
              </p>
            ) : (
              <p>
                <Badge tone="bad">Not allowed</Badge> The broker would refuse this Resource, because:
              </p>
            )}
            {plan.reasons.length > 0 && (
              <ul class="reasons">
                {plan.reasons.map((r) => (
                  <li key={`${r.code}:${r.message}`}>
                    {r.message} <span class="code">({r.code})</span>
                  </li>
                ))}
              </ul>
            )}
            <dl class="facts">
              <dt>Quota</dt>
              <dd>{quotaWords(plan.quota)}</dd>
              {plan.resource.lease && (
                <>
                  <dt>Lease</dt>
                  <dd>
                    Until {dateTime(plan.resource.lease.expires_at)} ({relative(plan.resource.lease.expires_at)})
                  </dd>
                  <dt>Lease ceiling</dt>
                  <dd>
                    {plan.resource.lease.max_expires_at
                      ? `Extendable up to ${dateTime(plan.resource.lease.max_expires_at)}`
                      : 'None: the terms set no longest lease'}
                  </dd>
                </>
              )}
              {plan.blueprint_version && (
                <>
                  <dt>Blueprint version</dt>
                  <dd>
                    {plan.blueprint_version.version} (<code>{plan.blueprint_version.id}</code>)
                  </dd>
                </>
              )}
            </dl>
            {props.stale && <p class="notice">The form changed since this plan was made: check the plan again before creating.</p>}
          </>
        )}
      </div>
    </section>
  );
}
