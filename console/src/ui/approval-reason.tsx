// A labelled, multi-line reason: why a request is approved or rejected, why a credential is revoked.
import { useId, useState } from 'preact/hooks';
import { FieldNotes, notesOf } from './kit.tsx';

/** The broker's bound on a reason (functions/core/assignments/use-cases.ts). */
export const MAX_REASON_LENGTH = 1000;

export function ReasonField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
  hint?: string;
  error?: string | undefined;
}) {
  const id = useId();
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
        aria-describedby={notesOf(id, props.hint, props.error)}
        aria-invalid={props.error ? true : undefined}
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
      <FieldNotes id={id} hint={props.hint} error={props.error} />
    </div>
  );
}

/**
 * A reason the act cannot go without. `take()` gives the trimmed reason, or undefined after
 * marking the field with `missingWords`; spread `field` into a ReasonField.
 */
export function useRequiredReason(missingWords: string) {
  const [value, setValue] = useState('');
  const [missing, setMissing] = useState(false);
  return {
    take(): string | undefined {
      const said = value.trim();
      setMissing(!said);
      return said || undefined;
    },
    field: { required: true, value, onChange: setValue, error: missing ? missingWords : undefined },
  };
}
