// The terms an approver grants: three optional limits, prefilled from what the request proposed.
// The broker lets an approver only narrow a proposal; the form says so before sending, and the
// broker's answer stays the truth.
import { useId } from 'preact/hooks';
import { FieldNotes, notesOf, TextField } from './kit.tsx';
import { leaseText, MAX_LEASE_SECONDS, MIN_LEASE_SECONDS, parseLease, type Terms } from './terms-words.ts';

/** What the person typed, field by field (text, so a half-typed value stays as typed). */
export interface TermsDraft {
  maxLive: string;
  maxLease: string;
  versions: string;
}

export type TermsErrors = Partial<Record<keyof TermsDraft, string>>;

export function draftFrom(terms: Terms | undefined): TermsDraft {
  return {
    maxLive: terms?.max_live_resources === undefined ? '' : String(terms.max_live_resources),
    maxLease: terms?.max_lease_seconds === undefined ? '' : leaseText(terms.max_lease_seconds),
    versions: terms?.allowed_blueprint_version_ids?.join('\n') ?? '',
  };
}

function versionList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The terms a draft stands for, or what is wrong with it field by field. With `proposed`, a
 * draft that would lift a proposed limit is refused here too (the broker refuses it anyway).
 */
export function termsFromDraft(draft: TermsDraft, proposed?: Terms): { terms: Terms; errors: TermsErrors } {
  const terms: Terms = {};
  const errors: TermsErrors = {};
  const live = draft.maxLive.trim();
  if (live) {
    const n = Number(live);
    if (!/^\d+$/.test(live) || n > 100_000) errors.maxLive = 'Write a whole number from 0 to 100000.';
    else terms.max_live_resources = n;
  }
  const lease = draft.maxLease.trim();
  if (lease) {
    const seconds = parseLease(lease);
    if (seconds === undefined) errors.maxLease = 'Write a duration such as 8h, 7d or 1d 12h.';
    else if (seconds < MIN_LEASE_SECONDS || seconds > MAX_LEASE_SECONDS) errors.maxLease = 'A lease ceiling is between 1m and 366d.';
    else terms.max_lease_seconds = seconds;
  }
  const versions = versionList(draft.versions);
  if (versions.length) {
    const bad = versions.filter((v) => !ID.test(v));
    if (bad.length) errors.versions = `Not a version id: ${bad.join(', ')}.`;
    else if (new Set(versions).size !== versions.length) errors.versions = 'A version id is listed twice.';
    else terms.allowed_blueprint_version_ids = versions;
  }
  if (proposed) narrowOnly(terms, proposed, errors);
  return { terms, errors };
}

function narrowOnly(terms: Terms, proposed: Terms, errors: TermsErrors): void {
  const was = proposed.max_live_resources;
  if (!errors.maxLive && was !== undefined && (terms.max_live_resources === undefined || terms.max_live_resources > was)) {
    errors.maxLive = `The request proposed at most ${was}; you may lower it, not raise or remove it.`;
  }
  const lease = proposed.max_lease_seconds;
  if (!errors.maxLease && lease !== undefined && (terms.max_lease_seconds === undefined || terms.max_lease_seconds > lease)) {
    errors.maxLease = `The request proposed at most ${leaseText(lease)}; you may shorten it, not lengthen or remove it.`;
  }
  const allowed = proposed.allowed_blueprint_version_ids;
  if (!errors.versions && allowed) {
    const extra = (terms.allowed_blueprint_version_ids ?? []).filter((v) => !allowed.includes(v));
    if (!terms.allowed_blueprint_version_ids) errors.versions = 'The request named its versions; keep at least one of them.';
    else if (extra.length) errors.versions = `The request did not propose ${extra.join(', ')}; you may only remove versions.`;
  }
}

/** The three limits as labelled fields; each empty field means "no limit of this kind". */
export function TermsFields(props: {
  draft: TermsDraft;
  errors: TermsErrors;
  onChange: (draft: TermsDraft) => void;
  proposed?: Terms;
  legend?: string;
}) {
  const { draft, errors, onChange, proposed } = props;
  const versionsId = useId();
  const proposedHint = (value: string | undefined) => (value ? ` Proposed: ${value}.` : '');
  return (
    <fieldset class="terms-fields">
      <legend>{props.legend ?? 'Terms'}</legend>
      <TextField
        label="Most live Resources at once"
        type="text"
        inputMode="numeric"
        autocomplete="off"
        value={draft.maxLive}
        hint={`A whole number; empty means no limit.${proposedHint(proposed?.max_live_resources?.toString())}`}
        error={errors.maxLive}
        onValue={(maxLive) => onChange({ ...draft, maxLive })}
      />
      <TextField
        label="Longest lease"
        type="text"
        autocomplete="off"
        spellcheck={false}
        value={draft.maxLease}
        hint={`A duration such as 8h, 7d or 1d 12h; empty means no limit.${proposedHint(
          proposed?.max_lease_seconds === undefined ? undefined : leaseText(proposed.max_lease_seconds),
        )}`}
        error={errors.maxLease}
        onValue={(maxLease) => onChange({ ...draft, maxLease })}
      />
      <div class="field">
        <label for={versionsId}>Allowed blueprint versions</label>
        <textarea
          id={versionsId}
          rows={3}
          spellcheck={false}
          aria-describedby={notesOf(versionsId, true, errors.versions)}
          aria-invalid={errors.versions ? true : undefined}
          value={draft.versions}
          onInput={(e) => onChange({ ...draft, versions: e.currentTarget.value })}
        />
        <FieldNotes id={versionsId} hint="Blueprint version ids, one per line; empty allows every version." error={errors.versions} />
      </div>
    </fieldset>
  );
}
