// The queue's filters as a labelled form; applying it puts them in the address (#/approvals?status=…).
import { useEffect, useState } from 'preact/hooks';
import { SelectField } from '../ui/kit.tsx';
import { STATE_WORDS } from './approval-table.tsx';

export interface Filters {
  status: string;
  kind: string;
}

/** Every status the API filters by, worded as the table words it. */
export const STATUS_OPTIONS: Array<[string, string]> = [['', 'Any status'], ...Object.entries(STATE_WORDS)];

export const KIND_OPTIONS: Array<[string, string]> = [
  ['', 'Any kind'],
  ['credential_assignment', 'Credential assignment'],
];

export function filtersFrom(query: URLSearchParams): Filters {
  return { status: query.get('status') ?? '', kind: query.get('kind') ?? '' };
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
      <SelectField label="Status" value={draft.status} options={STATUS_OPTIONS} onValue={(status) => setDraft({ ...draft, status })} />
      <SelectField label="Kind" value={draft.kind} options={KIND_OPTIONS} onValue={(kind) => setDraft({ ...draft, kind })} />
      <div class="field">
        <button type="submit">Show requests</button>
      </div>
    </form>
  );
}
