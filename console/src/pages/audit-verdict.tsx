// The audit chain's verification status: the broker re-hashes every entry and follows the links;
// the panel says whether the chain holds, or where it first breaks and why, in words.
import { api, must } from '../api.ts';
import { useLoad } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { Badge, ProblemMessage } from '../ui/kit.tsx';
import { type ChainVerdict, reasonWords } from './audit-words.ts';

export interface Checked {
  verdict: ChainVerdict;
  at: string;
}

/** Asks the broker to verify `domainId`'s chain; `reload` asks again. */
export function useVerdict(domainId: string) {
  return useLoad<Checked>(async () => {
    const verdict = await must(api.GET('/v1/domains/{id}/audit/verify', { params: { path: { id: domainId } } }));
    return { verdict, at: new Date().toISOString() };
  }, [domainId]);
}

function Verdict(props: { checked: Checked }) {
  const { verdict, at } = props.checked;
  const entries = `${verdict.entries} ${verdict.entries === 1 ? 'entry' : 'entries'}`;
  if (verdict.valid) {
    return (
      <>
        <p class="audit-verdict">
          <Badge tone="ok">Verified</Badge> Chain verified: {entries}
          {verdict.head ? (
            <>
              , head <code>{verdict.head}</code>
            </>
          ) : (
            ', no entries yet'
          )}
          .
        </p>
        <p class="audit-checked">Checked {dateTime(at)}.</p>
      </>
    );
  }
  const broken = verdict.first_broken;
  return (
    <>
      <p class="audit-verdict">
        <Badge tone="bad">Broken</Badge>{' '}
        {broken?.id ? (
          <>
            Chain broken at entry <code>{broken.id}</code>
          </>
        ) : (
          'Chain broken'
        )}
        : {broken ? reasonWords(broken.reason) : 'the broker gave no reason'}
        {broken && <span class="code"> ({broken.reason})</span>}.
      </p>
      <p class="audit-checked">
        {entries} read. Checked {dateTime(at)}. Entries from this one on cannot be trusted until the change is explained.
      </p>
    </>
  );
}

export function VerdictPanel(props: { verdict: ReturnType<typeof useVerdict> }) {
  const { data, error, loading, reload } = props.verdict;
  return (
    <section class="panel audit-panel" aria-labelledby="audit-verify-title">
      <h2 id="audit-verify-title">Chain verification</h2>
      <div aria-live="polite">
        {loading ? (
          <p class="loading">Verifying the chain…</p>
        ) : error ? (
          <ProblemMessage error={error} prefix="The chain could not be verified:" />
        ) : data ? (
          <Verdict checked={data} />
        ) : null}
      </div>
      {/* Not disabled while busy: a disabled button would drop the keyboard focus. */}
      <button type="button" onClick={() => void (loading || reload())} aria-disabled={loading || undefined}>
        {loading ? 'Verifying…' : 'Verify again'}
      </button>
    </section>
  );
}
