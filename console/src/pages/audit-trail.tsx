// The audit trail's table: who did what to which target, when, with what outcome, and the
// correlation id that ties it to the request's logs; a page at a time, in the order written.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import { useSession } from '../session.ts';
import { dateTime } from '../ui/format.ts';
import { Badge, type Column, Loading, ProblemMessage, Table } from '../ui/kit.tsx';
import { type AuditEntry, actionWords } from './audit-words.ts';

const PAGE_SIZE = 25;

interface Trail {
  entries: AuditEntry[];
  /** The next page's cursor; undefined once the last page is read. */
  cursor: string | undefined;
  loading: boolean;
  error: unknown;
  started: boolean;
}

/** Reads the trail a page at a time; `more` appends the next page. */
export function useAuditTrail(domainId: string) {
  const [trail, setTrail] = useState<Trail>({ entries: [], cursor: undefined, loading: true, error: undefined, started: false });
  const read = useCallback(
    async (cursor: string | undefined) => {
      setTrail((t) => ({ ...t, loading: true, error: undefined }));
      try {
        const page = await must(
          api.GET('/v1/domains/{id}/audit/entries', {
            params: { path: { id: domainId }, query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } },
          }),
        );
        setTrail((t) => ({
          entries: cursor ? [...t.entries, ...page.items] : page.items,
          cursor: page.next_cursor,
          loading: false,
          error: undefined,
          started: true,
        }));
      } catch (error) {
        setTrail((t) => ({ ...t, loading: false, error, started: true }));
      }
    },
    [domainId],
  );
  useEffect(() => {
    void read(undefined);
  }, [read]);
  return { ...trail, more: () => void read(trail.cursor), reload: () => void read(undefined) };
}

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
  const trail = useAuditTrail(props.domainId);
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
      {!trail.started ? (
        <Loading what="the audit trail" />
      ) : (
        <div class="audit-table">
          <Table
            caption={`Audit entries in the order they were written (${trail.entries.length} shown${trail.cursor ? ', more to load' : ''})`}
            rows={trail.entries}
            columns={columns}
            rowKey={(e) => e.id}
            empty={trail.error ? 'The trail could not be read.' : 'Nothing has been audited in this domain yet.'}
          />
        </div>
      )}
      <ProblemMessage error={trail.error} prefix="The audit trail could not be read:" />
      <div class="buttons">
        {trail.started && trail.cursor && (
          <button type="button" onClick={() => void (trail.loading || trail.more())} aria-disabled={trail.loading || undefined}>
            {trail.loading ? 'Loading…' : 'Load more'}
          </button>
        )}
        {trail.started && !trail.cursor && trail.entries.length > 0 && <p class="audit-end">That is the whole trail.</p>}
      </div>
    </section>
  );
}
