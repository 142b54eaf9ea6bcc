// A project's credential assignments (what it was granted to spend, on which terms) and the form
// that asks a credential's owner for one. The operator hands the credential's id over, as in the
// tutorial: a project owner cannot browse the catalog.
import { useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { href } from '../router.ts';
import { useAction } from '../ui/async.ts';
import { dateTime } from '../ui/format.ts';
import { Badge, FormButtons, ProblemMessage, StatusNotice, Table, TextField } from '../ui/kit.tsx';
import type { Paged } from '../ui/paging.tsx';
import { draftFrom, type TermsDraft, type TermsErrors, TermsFields, termsFromDraft } from '../ui/terms-form.tsx';
import { termsInWords } from '../ui/terms-words.ts';

export type Assignment = Schemas['AssignmentView'];

const STATES: Record<Assignment['state'], { tone: 'ok' | 'info' | 'bad' | 'muted'; word: string }> = {
  requested: { tone: 'info', word: 'awaiting approval' },
  approved: { tone: 'ok', word: 'approved' },
  rejected: { tone: 'bad', word: 'rejected' },
  revoked: { tone: 'muted', word: 'revoked' },
};

export function AssignmentState(props: { state: Assignment['state'] }) {
  const s = STATES[props.state];
  return <Badge tone={s.tone}>{s.word}</Badge>;
}

/** The terms that hold (approved), or those proposed (still requested). */
function termsCell(a: Assignment) {
  if (a.state === 'requested') return `Proposed: ${termsInWords(a.proposed_terms)}`;
  if (a.state === 'approved') return `${termsInWords(a.terms)}; ${a.usage.live_resources} live now`;
  return termsInWords(a.terms ?? a.proposed_terms);
}

export function AssignmentsTable(props: { projectId: string; assignments: Assignment[] }) {
  return (
    <Table
      caption="Credentials requested for this project"
      rows={props.assignments}
      rowKey={(a) => a.id}
      empty="No credential was requested for this project yet."
      columns={[
        { header: 'State', cell: (a) => <AssignmentState state={a.state} /> },
        { header: 'Credential', cell: (a) => <code>{a.cloud_credential_id}</code> },
        { header: 'Terms', cell: termsCell },
        {
          header: 'Decision',
          cell: (a) =>
            a.decided_at ? (
              <>
                {dateTime(a.decided_at)}
                {a.decision_reason ? `: ${a.decision_reason}` : ''}
              </>
            ) : (
              <>Requested {dateTime(a.created_at)}</>
            ),
        },
        {
          header: 'Use',
          cell: (a) =>
            a.state === 'approved' ? (
              <a href={href(`/projects/${props.projectId}/new-resource?credential=${encodeURIComponent(a.cloud_credential_id)}`)}>
                New Resource with it
              </a>
            ) : (
              '—'
            ),
        },
      ]}
    />
  );
}

export function RequestCredentialForm(props: { projectId: string; assignments: Paged<Assignment> }) {
  const [credential, setCredential] = useState('');
  const [draft, setDraft] = useState<TermsDraft>(() => draftFrom(undefined));
  const [errors, setErrors] = useState<TermsErrors>({});
  const [done, setDone] = useState<string | undefined>(undefined);
  const request = useAction(async () => {
    const { terms, errors: found } = termsFromDraft(draft);
    setErrors(found);
    if (Object.keys(found).length) return;
    const body = { cloud_credential_id: credential.trim(), ...(Object.keys(terms).length && { terms }) };
    const made = await must(api.POST('/v1/projects/{id}/credential-assignments', { params: { path: { id: props.projectId } }, body }));
    setDone(`Requested credential ${made.cloud_credential_id}. Its owner decides; this page shows the answer when it comes.`);
    setCredential('');
    setDraft(draftFrom(undefined));
    await props.assignments.reload();
  });
  return (
    <section class="panel" aria-labelledby="request-credential">
      <h3 id="request-credential">Request a credential</h3>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setDone(undefined);
          void request.run();
        }}
      >
        <TextField
          label="Credential id"
          value={credential}
          required
          autocomplete="off"
          spellcheck={false}
          hint="The id the credential's owner (the platform operator) gave you."
          onValue={setCredential}
        />
        <TermsFields legend="Proposed terms (optional: the owner may only narrow them)" draft={draft} errors={errors} onChange={setDraft} />
        <ProblemMessage error={request.error} prefix="The request was not made." />
        <StatusNotice text={done} />
        <FormButtons
          label="Request the credential"
          busyLabel="Requesting…"
          busy={request.busy}
          disabled={!credential.trim()}
          tone="primary"
        />
      </form>
    </section>
  );
}
