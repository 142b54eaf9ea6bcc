// The approvals queue: requests to spend credentials, filtered by state and kind (the filter is in
// the address, so a filtered view can be linked), decided with terms or a reason, and kept up to
// date by the domain's event log without a reload.
import { useEffect, useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';
import { Page, StatusNotice } from '../ui/kit.tsx';
import { PAGE_SIZE, PagedList, usePaged } from '../ui/paging.tsx';
import { termsInWords } from '../ui/terms-words.ts';
import { type Approval, type Decision, DecisionDialog, type RequestLabels } from './approval-dialogs.tsx';
import { ApprovalFilters, type Filters, filtersFrom } from './approval-filters.tsx';
import { type FollowMode, useQueueFollow } from './approval-live.ts';
import { useNames } from './approval-names.ts';
import { ApprovalTable, STATE_WORDS, type Status } from './approval-table.tsx';

const FOLLOW_WORDS: Record<FollowMode, string> = {
  connecting: 'Starting to follow new and decided requests…',
  live: 'The queue updates by itself as requests arrive and are decided.',
  polling: 'The queue checks for new and decided requests every few seconds.',
};

function queryOf(filters: Filters): string {
  const q = new URLSearchParams();
  if (filters.status) q.set('status', filters.status);
  if (filters.kind) q.set('kind', filters.kind);
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function ApprovalsPage(props: { query: URLSearchParams }) {
  const { user } = useSession();
  const filters = filtersFrom(props.query);
  const paged = usePaged(
    (cursor) =>
      must(
        api.GET('/v1/approvals', {
          params: {
            query: {
              ...(filters.status && { status: filters.status as Status }),
              ...(filters.kind && { kind: filters.kind }),
              ...(cursor && { cursor }),
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    [filters.status, filters.kind],
  );
  const [target, setTarget] = useState<{ approval: Approval; decision: Decision; labels: RequestLabels }>();
  const [notice, setNotice] = useState('');
  const follow = useQueueFollow(user.domain_id, () => void paged.reload());

  const rows = paged.items ?? [];
  const names = useNames(rows.map((a) => ({ project: a.payload.project_id, credential: a.payload.cloud_credential_id })));
  const labels = (a: Approval): RequestLabels => ({
    project: names.project(a.payload.project_id) ?? a.payload.project_id,
    credential: names.credential(a.payload.cloud_credential_id) ?? a.payload.cloud_credential_id,
    requester: a.proposer_subject === user.subject ? `${user.display_name} (you)` : (a.proposer_email ?? a.proposer_subject),
  });

  // A new filter is a new list: forget what was said of this one.
  useEffect(() => setNotice(''), [filters.status, filters.kind]);

  const onDecided = (approval: Approval, decision: Decision) => {
    const project = labels(approval).project;
    paged.update(approval);
    setTarget(undefined);
    setNotice(
      decision === 'approve'
        ? `Approved the request for ${project}, with ${termsInWords(approval.terms)}.`
        : `Rejected the request for ${project}.`,
    );
  };

  const filtered = filters.status ? ` (${STATE_WORDS[filters.status as Status] ?? filters.status})` : '';
  return (
    <Page title="Approvals">
      <p class="view-intro">Requests to use a cloud credential you own. Approve them with terms, or reject them with a reason.</p>
      <ApprovalFilters filters={filters} onApply={(next) => navigate(`/approvals${queryOf(next)}`)} />
      <p class="hint live-note">{FOLLOW_WORDS[follow]}</p>
      <StatusNotice text={notice} />
      <PagedList paged={paged} what="requests">
        {() => (
          <ApprovalTable
            rows={rows}
            labels={labels}
            caption={`Requests${filtered}`}
            empty={
              filters.status || filters.kind
                ? 'No request matches these filters.'
                : 'No requests yet: none of your credentials has been asked for.'
            }
            onDecide={(approval, decision) => setTarget({ approval, decision, labels: labels(approval) })}
          />
        )}
      </PagedList>
      <DecisionDialog target={target} onClose={() => setTarget(undefined)} onDecided={onDecided} />
    </Page>
  );
}
