// The console's building blocks: a page with its heading, the broker's refusal in words, a form
// field with its label and hint, a table with a caption, and the typed confirmation that guards
// destructive acts. Every page is made of these, so keyboard and screen-reader behaviour is
// decided once.
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

/** A labelled input with an optional hint and error, tied together for assistive technology. */
export function Field(props: { label: string; hint?: string; error?: string; children?: ComponentChildren } & InputProps) {
  const { label, hint, error, children, ...input } = props;
  const id = useId();
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children ?? <input id={id} aria-describedby={described} aria-invalid={error ? true : undefined} {...input} />}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
}

/** A table with a caption (visible or not) and an empty state in words. */
export function Table<T>(props: { caption: string; rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; empty: string }) {
  if (props.rows.length === 0) return <p class="empty">{props.empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
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
 * A modal dialog (native <dialog>: the page behind is inert, Escape closes it, focus returns to the
 * opener). The owner hears of a close only once the dialog has closed (after Escape's cancel).
 */
export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    }
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  // A dialog removed with its owner (not closed first) would leave focus nowhere: give it back to
  // what opened it, as closing does.
  useEffect(() => {
    const dialog = ref.current;
    return () => {
      // Still modal, the page behind is inert and cannot take focus: close first.
      if (dialog?.open) dialog.close();
      if (opener.current?.isConnected) opener.current.focus();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={props.onClose}>
      <h2 id={titleId}>{props.title}</h2>
      {props.open && props.children}
    </dialog>
  );
}

/**
 * A destructive act behind a typed confirmation: the button stays disabled until the person
 * types the exact word (a slug or a name) shown to them.
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
  return (
    <Dialog title={props.title} open onClose={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === props.expected) props.onConfirm();
        }}
      >
        <div class="explanation">{props.explanation}</div>
        {props.children}
        <Field
          label={`Type ${props.expected} to confirm`}
          value={typed}
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <ProblemMessage error={props.error} />
        <div class="buttons">
          <button type="submit" class="danger" disabled={typed !== props.expected || props.busy}>
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A status word with a colour that is never the only cue (the word is always there). */
export function Badge(props: { tone?: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ComponentChildren }) {
  return <span class={`badge ${props.tone ?? 'muted'}`}>{props.children}</span>;
}
