// The console's building blocks: a page with its heading, the broker's refusal in words, form
// fields with their labels and hints, a form's buttons, a table with a caption, and the typed
// confirmation that guards destructive acts. Every page is made of these, so keyboard and
// screen-reader behaviour is decided once.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { BrokerProblem } from '../api.ts';

/** A view's frame: its h1 takes focus when the view opens, so keyboard and reader users start there. */
export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Plexsphere console`;
    heading.current?.focus();
  }, [props.title]);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** The broker's refusal as it words it, with its code; anything else as a plain failure. */
export function ProblemMessage(props: { error: unknown; prefix?: string }) {
  if (!props.error) return null;
  const e = props.error;
  const words = e instanceof BrokerProblem ? e.message : e instanceof Error ? e.message : String(e);
  // Field errors come as {path, message}; some refusals list plain sentences instead.
  const raw: unknown[] = e instanceof BrokerProblem && Array.isArray(e.problem.errors) ? e.problem.errors : [];
  const errors = raw.map((x) => (typeof x === 'string' ? { message: x } : (x as { path?: string; message?: string })));
  return (
    <div class="problem" role="alert">
      <p>
        {props.prefix && <strong>{props.prefix} </strong>}
        {words}
        {e instanceof BrokerProblem && <span class="code"> ({e.code})</span>}
      </p>
      {errors.length > 0 && (
        <ul>
          {errors.map((x) => (
            <li key={`${x.path}:${x.message}`}>
              {x.path ? <code>{x.path}</code> : null} {x.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "Loading…" announced politely to screen readers. */
export function Loading(props: { what?: string }) {
  return (
    <p class="loading" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label'>;

/** What a control's aria-describedby names: the ids of its hint and error, when they are shown. */
export function notesOf(id: string, hint: unknown, error?: unknown): string | undefined {
  return [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
}

/** A field's hint and error under its control, with the ids notesOf names. */
export function FieldNotes(props: { id: string; hint?: ComponentChildren; error?: string | undefined }) {
  return (
    <>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </>
  );
}

type FieldProps = { label: string; hint?: string; error?: string | undefined } & InputProps;

/** A labelled input with an optional hint and error, tied together for assistive technology. */
export function Field(props: FieldProps) {
  const { label, hint, error, ...input } = props;
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-describedby={notesOf(id, hint, error)} aria-invalid={error ? true : undefined} {...input} />
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** A text Field that hands its text over as a string on each keystroke. */
export function TextField(props: Omit<FieldProps, 'value' | 'onInput'> & { value: string; onValue: (value: string) => void }) {
  const { onValue, ...field } = props;
  return <Field {...field} onInput={(e) => onValue(e.currentTarget.value)} />;
}

/** A labelled select of [value, words] options, with an optional hint. */
export function SelectField(props: {
  label: string;
  value: string;
  options: Array<[string, string]>;
  onValue: (value: string) => void;
  hint?: string | undefined;
}) {
  const id = useId();
  // A value the list does not know (typed into an address) still shows as chosen.
  const options = props.options.some(([v]) => v === props.value) ? props.options : [...props.options, [props.value, props.value]];
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} value={props.value} aria-describedby={notesOf(id, props.hint)} onChange={(e) => props.onValue(e.currentTarget.value)}>
        {options.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
      <FieldNotes id={id} hint={props.hint} />
    </div>
  );
}

/**
 * A form's buttons: submit (its label turns to `busyLabel` while the act runs) and, with
 * `onCancel`, a Cancel that leaves without acting. While busy the submit button keeps its focus
 * (aria-disabled, not disabled, which would drop it) and a press does nothing.
 */
export function FormButtons(props: {
  label: string;
  busyLabel: string;
  busy?: boolean;
  disabled?: boolean;
  tone?: 'primary' | 'danger' | undefined;
  onCancel?: () => void;
}) {
  return (
    <div class="buttons">
      <button
        type="submit"
        class={props.tone}
        disabled={props.disabled}
        aria-disabled={props.busy || undefined}
        onClick={(e) => {
          // Also stops Enter in a field (the browser submits by clicking the submit button).
          if (props.busy) e.preventDefault();
        }}
      >
        {props.busy ? props.busyLabel : props.label}
      </button>
      {props.onCancel && (
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      )}
    </div>
  );
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
}

/** A table with a caption (hidden where a heading already names it on screen) and an empty state in words. */
export function Table<T>(props: {
  caption: string;
  captionHidden?: boolean;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  empty: string;
}) {
  if (props.rows.length === 0) return <p class="empty">{props.empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class={props.captionHidden ? 'visually-hidden' : undefined}>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((c) => (
                <td key={c.header} data-label={c.header}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A status notice ("Revoked X.", "Approved the request…") in a polite live region that is always
 * there, so the words are announced when they appear. It can take focus: when a dialog's act
 * removed the button that opened it, focus lands here (see focusAfterDialog).
 */
export function StatusNotice(props: { text: string | undefined }) {
  return (
    <div role="status" class="status-slot">
      {props.text && (
        <p class="notice" tabIndex={-1} data-focus-fallback="">
          {props.text}
        </p>
      )}
    </div>
  );
}

/**
 * Where focus goes when a dialog closes: back to what opened it, or, when the dialog's act removed
 * that (a Revoke button gone with the credential's new state), to the page's status notice, which
 * says what happened, else to the page's heading; never nowhere.
 */
function focusAfterDialog(opener: HTMLElement | null): void {
  // After the page's next render: the act that closed the dialog may remove the opener in it (or
  // have removed it already), and a notice set with the close is there by then to take focus.
  setTimeout(() => {
    const now = document.activeElement;
    if (now && now !== document.body && now.isConnected) return;
    if (opener?.isConnected) {
      opener.focus();
      return;
    }
    const notice = document.querySelector<HTMLElement>('#main [data-focus-fallback]');
    (notice ?? document.getElementById('page-title'))?.focus();
  }, 0);
}

/**
 * A modal dialog (native <dialog>: the page behind is inert, Escape closes it, focus returns to the
 * opener, or, when the opener is gone, to the page's notice or heading). Escape and Cancel ask the
 * owner to close it; the owner's `open` decides.
 */
export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  // A close this component starts is not news to its owner: its (later) close event is ignored.
  const ours = useRef(false);
  const titleId = useId();
  const close = (dialog: HTMLDialogElement) => {
    ours.current = true;
    dialog.close();
    focusAfterDialog(opener.current);
  };
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    }
    if (!props.open && dialog.open) close(dialog);
  }, [props.open]);
  // A dialog removed with its owner (not closed first) would leave focus nowhere: give it back as
  // closing does.
  useEffect(() => {
    const dialog = ref.current;
    return () => {
      // Still modal, the page behind is inert and cannot take focus: close first.
      if (dialog?.open) close(dialog);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      // Escape asks the owner, at once, rather than closing behind its back: an owner told only by
      // the later close event could reopen in between and then be told to close.
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      onClose={() => {
        if (ours.current) ours.current = false;
        else props.onClose();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      {props.open && props.children}
    </dialog>
  );
}

/**
 * A destructive act behind a typed confirmation: the button stays disabled until the person
 * types the exact word (a slug or a name) shown to them. An empty word is never accepted.
 */
export function TypedConfirmation(props: {
  title: string;
  explanation: ComponentChildren;
  expected: string;
  confirmLabel: string;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ComponentChildren;
}) {
  const [typed, setTyped] = useState('');
  const confirmable = props.expected.trim() !== '';
  const matches = confirmable && typed === props.expected;
  return (
    <Dialog title={props.title} open onClose={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (matches && !props.busy) props.onConfirm();
        }}
      >
        <div class="explanation">{props.explanation}</div>
        {props.children}
        {confirmable ? (
          <TextField label={`Type ${props.expected} to confirm`} value={typed} autocomplete="off" spellcheck={false} onValue={setTyped} />
        ) : (
          <p class="field-error">This cannot be confirmed here: it has no name to type.</p>
        )}
        <ProblemMessage error={props.error} />
        <FormButtons
          label={props.confirmLabel}
          busyLabel="Working…"
          busy={props.busy}
          disabled={!matches}
          tone="danger"
          onCancel={props.onCancel}
        />
      </form>
    </Dialog>
  );
}

/** A status word with a colour that is never the only cue (the word is always there). */
export function Badge(props: { tone?: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ComponentChildren }) {
  return <span class={`badge ${props.tone ?? 'muted'}`}>{props.children}</span>;
}

/** A thing's facts as a term and value list; a row given as false, '' or undefined is left out. */
export function Facts(props: { rows: Array<[string, ComponentChildren] | false | '' | undefined> }) {
  return (
    <dl class="facts">{props.rows.map((row) => row && [<dt key={`t-${row[0]}`}>{row[0]}</dt>, <dd key={`d-${row[0]}`}>{row[1]}</dd>])}</dl>
  );
}
