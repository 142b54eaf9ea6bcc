// Form fields generated from a blueprint version's parameter schema, as the dry-run plan hands it
// over: a checkbox for a boolean, a text input for a string and for an integer (a numeric keypad,
// its bounds in the hint: a number input would hand over '' for "12x" and the default would apply
// silently), a select when the values are listed. The constraints are hints here; the broker
// checks them, and its plan says what it refuses.
import type { JSX } from 'preact';
import { useId } from 'preact/hooks';
import type { Schemas } from '../../../client/broker.ts';
import { hintSentences } from './constraint-words.ts';
import { FieldNotes, notesOf } from './kit.tsx';
import { SentencesInline } from './sentences.tsx';

export type ParameterSpec = NonNullable<Schemas['CreatePlanView']['blueprint_version']>['parameter_schema'][number];
/** What the person typed or chose, per parameter: text for inputs and selects, true/false for checkboxes. */
export type ParameterInputs = Record<string, string | boolean>;

/** The inputs a schema starts with: each default, and whatever was typed before for the same name. */
export function initialInputs(schema: ParameterSpec[], before: ParameterInputs = {}): ParameterInputs {
  const out: ParameterInputs = {};
  for (const p of schema) {
    const kept = before[p.name];
    if (kept !== undefined && typeof kept === (p.type === 'boolean' ? 'boolean' : 'string')) out[p.name] = kept;
    else if (p.type === 'boolean') out[p.name] = p.default === true;
    else out[p.name] = p.default === undefined ? '' : String(p.default);
  }
  return out;
}

/**
 * The parameters as the create's body takes them: an empty optional field is left out (the broker
 * applies its default); an integer that does not read as a number is sent as typed, for the
 * broker to refuse in its own words.
 */
export function parameterValues(schema: ParameterSpec[], inputs: ParameterInputs): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const p of schema) {
    const raw = inputs[p.name];
    if (raw === undefined) continue;
    if (p.type === 'boolean') {
      out[p.name] = raw === true;
      continue;
    }
    const text = String(raw);
    if (text === '') continue;
    if (p.type === 'integer') {
      // Only plain digits are read as a number: "12x", "1.5" or "0x10" go as typed, for the plan to refuse.
      const t = text.trim();
      if (t === '') continue;
      out[p.name] = /^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : text;
    } else {
      out[p.name] = text;
    }
  }
  return out;
}

function ParameterField(props: {
  spec: ParameterSpec;
  value: string | boolean;
  error?: string | undefined;
  onChange: (v: string | boolean) => void;
}) {
  const { spec: p, value, error } = props;
  const id = useId();
  const sentences = hintSentences(p);
  const hint = sentences.length ? <SentencesInline sentences={sentences} /> : undefined;
  const label = `${p.name}${p.required ? ' (required)' : ''}`;
  const common = { id, 'aria-describedby': notesOf(id, hint, error), 'aria-invalid': error ? true : undefined, required: p.required };
  let control: JSX.Element;
  if (p.type === 'boolean') {
    control = <input type="checkbox" {...common} checked={value === true} onChange={(e) => props.onChange(e.currentTarget.checked)} />;
  } else if (p.allowed_values) {
    control = (
      <select {...common} value={String(value)} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{p.required ? 'Choose…' : 'Leave unset'}</option>
        {p.allowed_values.map((v) => (
          <option key={String(v)} value={String(v)}>
            {String(v)}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        {...common}
        type="text"
        inputMode={p.type === 'integer' ? 'numeric' : undefined}
        autocomplete="off"
        spellcheck={false}
        value={String(value)}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
    );
  }
  return (
    <div class={p.type === 'boolean' ? 'field checkbox' : 'field'}>
      {p.type === 'boolean' ? (
        <div class="checkbox-line">
          {control}
          <label for={id}>{label}</label>
        </div>
      ) : (
        <>
          <label for={id}>{label}</label>
          {control}
        </>
      )}
      <FieldNotes id={id} hint={hint} error={error} />
    </div>
  );
}

/** Every parameter of the schema, in its order; `errors` are the broker's, keyed by parameter name. */
export function ParameterFields(props: {
  schema: ParameterSpec[];
  inputs: ParameterInputs;
  errors?: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
}) {
  if (props.schema.length === 0) return <p class="empty">This blueprint version takes no parameters.</p>;
  return (
    <>
      {props.schema.map((p) => (
        <ParameterField
          key={p.name}
          spec={p}
          value={props.inputs[p.name] ?? (p.type === 'boolean' ? false : '')}
          error={props.errors?.[p.name]}
          onChange={(v) => props.onChange(p.name, v)}
        />
      ))}
    </>
  );
}
