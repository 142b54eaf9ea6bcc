// The queue as a table: one request a row, with its project, requester, credential, terms, age
// and state, and the decision buttons while it waits.
import type { operations } from '../../../client/broker.ts';
import { href } from '../router.ts';
import { dateTime, relative } from '../ui/format.ts';
import { Badge, type Column, Table } from '../ui/kit.tsx';
import { termsInWords } from '../ui/terms-words.ts';
import type { Approval, Decision, RequestLabels } from './approval-dialogs.tsx';

const STATE_TONES = {
  'pending-approval': 'warn',
  approved: 'ok',
  rejected: 'bad',
  expired: 'muted',
} as const;

/** Every status the queue can be filtered by (a request's states, and `proposed`). */
export type Status = NonNullable<NonNullable<operations['listApprovals']['parameters']['query']>['status']>;

/** Each status in words, in the order the filter offers them. */
export const STATE_WORDS: Record<Status, string> = {
  'pending-approval': 'Pending approval',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  proposed: 'Proposed',
};

export function StateBadge(props: { state: Approval['state'] }) {
  return <Badge tone={STATE_TONES[props.state]}>{STATE_WORDS[props.state]}</Badge>;
}

function Age(props: { at: string }) {
  return (
    <time dateTime={props.at} title={dateTime(props.at)}>
      {relative(props.at)}
    </time>
  );
}

export function ApprovalTable(props: {
  rows: Approval[];
  labels: (a: Approval) => RequestLabels;
  caption: string;
  empty: string;
  onDecide: (approval: Approval, decision: Decision) => void;
}) {
  const columns: Column<Approval>[] = [
    {
      header: 'Project',
      cell: (a) => <a href={href(`/projects/${a.payload.project_id}`)}>{props.labels(a).project}</a>,
    },
    { header: 'Requested by', cell: (a) => props.labels(a).requester },
    { header: 'Credential', cell: (a) => props.labels(a).credential },
    {
      header: 'Terms',
      cell: (a) => (
        <>
          <span class="terms-line">Proposed: {termsInWords(a.proposed_terms)}</span>
          {a.state === 'approved' && <span class="terms-line">Granted: {termsInWords(a.terms)}</span>}
        </>
      ),
    },
    {
      header: 'Requested',
      cell: (a) => (
        <>
          <Age at={a.created_at} />
          {a.state === 'pending-approval' && (
            <span class="terms-line">
              Expires <Age at={a.expires_at} />
            </span>
          )}
        </>
      ),
    },
    {
      header: 'Status',
      cell: (a) => (
        <>
          <StateBadge state={a.state} />
          {a.decision_reason && a.state !== 'expired' && <span class="terms-line">Reason: {a.decision_reason}</span>}
        </>
      ),
    },
    {
      header: 'Decision',
      cell: (a) =>
        a.state === 'pending-approval' ? (
          <div class="buttons">
            <button type="button" class="primary" onClick={() => props.onDecide(a, 'approve')}>
              Approve<span class="visually-hidden"> the request for {props.labels(a).project}</span>
            </button>
            <button type="button" onClick={() => props.onDecide(a, 'reject')}>
              Reject<span class="visually-hidden"> the request for {props.labels(a).project}</span>
            </button>
          </div>
        ) : a.state === 'expired' ? (
          <span class="muted-text">None: it expired undecided</span>
        ) : (
          <span class="muted-text">Decided {a.decided_at ? <Age at={a.decided_at} /> : null}</span>
        ),
    },
  ];
  return <Table caption={props.caption} rows={props.rows} columns={columns} rowKey={(a) => a.id} empty={props.empty} />;
}
