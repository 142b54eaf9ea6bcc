// A labelled, multi-line reason: why a request is approved or rejected, why a credential is revoked.
import { useId } from 'preact/hooks';

/** The broker's bound on a reason (functions/core/assignments/use-cases.ts). */
export const MAX_REASON_LENGTH = 1000;

export function ReasonField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  hint?: string;
  error?: string;
}) {
  const id = useId();
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required ? '' : ' (optional)'}
      </label>
      <textarea
        id={id}
        rows={3}
        maxLength={MAX_REASON_LENGTH}
        aria-required={props.required ? true : undefined}
        aria-describedby={described}
        aria-invalid={props.error ? true : undefined}
        value={props.value}
        onInput={(e) => props.onChange((e.target as HTMLTextAreaElement).value)}
      />
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}
