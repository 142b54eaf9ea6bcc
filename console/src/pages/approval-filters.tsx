// The queue's filters as a labelled form; applying it puts them in the address (#/approvals?status=…).
import { useEffect, useId, useState } from 'preact/hooks';

export interface Filters {
  status: string;
  kind: string;
}

export const STATUS_OPTIONS: Array<[string, string]> = [
  ['', 'Any status'],
  ['pending-approval', 'Pending approval'],
  ['approved', 'Approved'],
  ['rejected', 'Rejected'],
  ['expired', 'Expired'],
  ['proposed', 'Proposed'],
];

export const KIND_OPTIONS: Array<[string, string]> = [
  ['', 'Any kind'],
  ['credential_assignment', 'Credential assignment'],
];

export function filtersFrom(query: URLSearchParams): Filters {
  return { status: query.get('status') ?? '', kind: query.get('kind') ?? '' };
}

function Select(props: { label: string; value: string; options: Array<[string, string]>; onChange: (value: string) => void }) {
  const id = useId();
  // A value from a hand-written address that the list does not know is still shown as chosen.
  const options = props.options.some(([v]) => v === props.value)
    ? props.options
    : [...props.options, [props.value, props.value] as [string, string]];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {options.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
    </div>
  );
}

export function ApprovalFilters(props: { filters: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(props.filters);
  const { status, kind } = props.filters;
  useEffect(() => setDraft({ status, kind }), [status, kind]);
  return (
    <form
      class="filters"
      aria-label="Filter the requests"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(draft);
      }}
    >
      <Select label="Status" value={draft.status} options={STATUS_OPTIONS} onChange={(v) => setDraft({ ...draft, status: v })} />
      <Select label="Kind" value={draft.kind} options={KIND_OPTIONS} onChange={(v) => setDraft({ ...draft, kind: v })} />
      <div class="field">
        <button type="submit">Show requests</button>
      </div>
    </form>
  );
}
