// Deciding a request: Approve (terms prefilled from the proposal, which the approver may only
// narrow, and an optional reason) and Reject (a reason is required). The broker's refusal, such
// as deciding one's own request, is shown inside the dialog in its words.
import { useState } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { api, must } from '../api.ts';
import { ReasonField, useRequiredReason } from '../ui/approval-reason.tsx';
import { useAction } from '../ui/async.ts';
import { Dialog, FormButtons, ProblemMessage } from '../ui/kit.tsx';
import { draftFrom, type TermsErrors, TermsFields, termsFromDraft } from '../ui/terms-form.tsx';
import { termsInWords } from '../ui/terms-words.ts';

export type Approval = Schemas['ApprovalView'];

/** What the dialogs call the request: its project's and credential's names (or ids), and who asked. */
export interface RequestLabels {
  project: string;
  credential: string;
  requester: string;
}

export type Decision = 'approve' | 'reject';

interface FormProps {
  approval: Approval;
  labels: RequestLabels;
  onCancel: () => void;
  onDecided: (approval: Approval, decision: Decision) => void;
}

function RequestSummary(props: { approval: Approval; labels: RequestLabels }) {
  return (
    <dl class="facts">
      <dt>Project</dt>
      <dd>{props.labels.project}</dd>
      <dt>Credential</dt>
      <dd>{props.labels.credential}</dd>
      <dt>Requested by</dt>
      <dd>{props.labels.requester}</dd>
      <dt>Proposed terms</dt>
      <dd>{termsInWords(props.approval.proposed_terms)}</dd>
    </dl>
  );
}

function ApproveForm(props: FormProps) {
  const { approval } = props;
  const [draft, setDraft] = useState(() => draftFrom(approval.proposed_terms));
  const [errors, setErrors] = useState<TermsErrors>({});
  const [reason, setReason] = useState('');
  const action = useAction(async () => {
    const { terms, errors: found } = termsFromDraft(draft, approval.proposed_terms);
    setErrors(found);
    if (Object.keys(found).length) return;
    const body = { terms, ...(reason.trim() && { reason: reason.trim() }) };
    const decided = await must(api.POST('/v1/approvals/{id}/approve', { params: { path: { id: approval.id } }, body }));
    props.onDecided(decided, 'approve');
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <RequestSummary approval={approval} labels={props.labels} />
      <p class="hint">Keep the proposed limits or narrow them; only a new request can widen them.</p>
      <TermsFields draft={draft} errors={errors} onChange={setDraft} proposed={approval.proposed_terms} />
      <ReasonField label="Reason" value={reason} onChange={setReason} hint="Recorded in the audit trail with your decision." />
      <ProblemMessage error={action.error} prefix="The broker refused the approval:" />
      <FormButtons label="Approve" busyLabel="Approving…" busy={action.busy} tone="primary" onCancel={props.onCancel} />
    </form>
  );
}

function RejectForm(props: FormProps) {
  const { approval } = props;
  const reason = useRequiredReason('Give a reason for the rejection.');
  const action = useAction(async () => {
    const said = reason.take();
    if (!said) return;
    const decided = await must(api.POST('/v1/approvals/{id}/reject', { params: { path: { id: approval.id } }, body: { reason: said } }));
    props.onDecided(decided, 'reject');
  });
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void action.run();
      }}
    >
      <RequestSummary approval={approval} labels={props.labels} />
      <ReasonField label="Reason" hint="Tell the requester why; it is recorded in the audit trail." {...reason.field} />
      <ProblemMessage error={action.error} prefix="The broker refused the rejection:" />
      <FormButtons label="Reject" busyLabel="Rejecting…" busy={action.busy} tone="danger" onCancel={props.onCancel} />
    </form>
  );
}

/**
 * The decision dialog: stays mounted so the native <dialog> hands focus back to the button that
 * opened it; each opening starts a fresh form.
 */
export function DecisionDialog(props: {
  target: { approval: Approval; decision: Decision; labels: RequestLabels } | undefined;
  onClose: () => void;
  onDecided: (approval: Approval, decision: Decision) => void;
}) {
  const { target } = props;
  const rejecting = target?.decision === 'reject';
  const Form = rejecting ? RejectForm : ApproveForm;
  const title = rejecting ? 'Reject the request' : 'Approve the request';
  return (
    <Dialog title={title} open={target !== undefined} onClose={props.onClose}>
      {target && (
        <Form
          key={target.approval.id}
          approval={target.approval}
          labels={target.labels}
          onCancel={props.onClose}
          onDecided={props.onDecided}
        />
      )}
    </Dialog>
  );
}
