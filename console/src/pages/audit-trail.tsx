// The audit trail's table: who did what to which target, when, with what outcome, and the
// correlation id that ties it to the request's logs; a page at a time, in the order written.
import { api, must } from '../api.ts';
import { useSession } from '../session.ts';
import { dateTime } from '../ui/format.ts';
import { Badge, type Column, Table } from '../ui/kit.tsx';
import { PagedList, usePaged } from '../ui/paging.tsx';
import { type AuditEntry, actionWords } from './audit-words.ts';

const PAGE_SIZE = 25;

function Outcome(props: { entry: AuditEntry }) {
  const { outcome, reason } = props.entry;
  return (
    <>
      <Badge tone={outcome === 'succeeded' ? 'ok' : 'bad'}>{outcome === 'succeeded' ? 'Succeeded' : 'Denied'}</Badge>
      {reason && <span class="audit-reason">{outcome === 'denied' ? <code>{reason}</code> : reason}</span>}
    </>
  );
}

export function AuditTrail(props: { domainId: string; brokenId?: string | null | undefined }) {
  const trail = usePaged<AuditEntry>(
    (cursor) =>
      must(
        api.GET('/v1/domains/{id}/audit/entries', {
          params: { path: { id: props.domainId }, query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } },
        }),
      ),
    [props.domainId],
  );
  const { user } = useSession();
  const columns: Column<AuditEntry>[] = [
    {
      header: 'Seq',
      cell: (e) => (
        <>
          <span class="audit-seq">{e.seq ?? '—'}</span>
          {e.id === props.brokenId && (
            <span class="audit-mark">
              <Badge tone="bad">Chain breaks here</Badge>
            </span>
          )}
        </>
      ),
    },
    { header: 'When', cell: (e) => <time dateTime={e.at}>{dateTime(e.at)}</time> },
    { header: 'Who', cell: (e) => (e.actor_subject === user.subject ? 'You' : <code>{e.actor_subject}</code>) },
    {
      header: 'Action',
      cell: (e) => (
        <>
          {actionWords(e.action)}
          <code class="audit-action">{e.action}</code>
        </>
      ),
    },
    { header: 'Target', cell: (e) => <code>{e.target}</code> },
    { header: 'Outcome', cell: (e) => <Outcome entry={e} /> },
    {
      header: 'Entry and correlation IDs',
      cell: (e) => (
        <dl class="audit-ids">
          <dt>Entry</dt>
          <dd>
            <code>{e.id}</code>
          </dd>
          <dt>Correlation</dt>
          <dd>
            <code>{e.correlation_id}</code>
          </dd>
        </dl>
      ),
    },
  ];
  return (
    <section aria-labelledby="audit-trail-title">
      <h2 id="audit-trail-title">Trail</h2>
      <PagedList paged={trail} what="audit entries">
        {(entries) => (
          <>
            <div class="audit-table">
              <Table
                caption={`Audit entries in the order they were written (${entries.length} shown${trail.more ? ', more to load' : ''})`}
                rows={entries}
                columns={columns}
                rowKey={(e) => e.id}
                empty="Nothing has been audited in this domain yet."
              />
            </div>
            {!trail.more && entries.length > 0 && <p class="audit-end">That is the whole trail.</p>}
          </>
        )}
      </PagedList>
    </section>
  );
}
