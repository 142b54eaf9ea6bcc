// A blueprint version's parameter schema as a table, its constraints in words.
import type { ComponentChildren } from 'preact';
import type { Schemas } from '../../../client/broker.ts';
import { Table } from '../ui/kit.tsx';

export type Parameter = Schemas['BlueprintVersionView']['parameter_schema'][number];

function listed(values: ReadonlyArray<string | number | boolean>): string {
  return values.map((v) => String(v)).join(', ');
}

/** Each constraint of a parameter as a sentence; empty when it has none. */
export function constraintWords(p: Parameter): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  if (p.allowed_values) out.push(`One of: ${listed(p.allowed_values)}.`);
  if (p.allowed_values_from === 'cloud_regions') out.push("One of the regions of the Resource's cloud.");
  if (p.pattern !== undefined) {
    out.push(
      <>
        The whole value matches the pattern <code>{p.pattern}</code>.
      </>,
    );
  }
  if (p.minimum !== undefined && p.maximum !== undefined) out.push(`Between ${p.minimum} and ${p.maximum}.`);
  else if (p.minimum !== undefined) out.push(`At least ${p.minimum}.`);
  else if (p.maximum !== undefined) out.push(`At most ${p.maximum}.`);
  return out;
}

function Constraints(props: { parameter: Parameter }) {
  const words = constraintWords(props.parameter);
  if (words.length === 0) return <span class="muted-text">None</span>;
  if (words.length === 1) return <>{words[0]}</>;
  return (
    <ul class="constraints">
      {words.map((w, i) => (
        <li key={i}>{w}</li>
      ))}
    </ul>
  );
}

export function ParameterTable(props: { version: string; parameters: Parameter[] }) {
  return (
    <Table<Parameter>
      caption={`Parameters of version ${props.version}`}
      rows={props.parameters}
      rowKey={(p) => p.name}
      empty="This version takes no parameters."
      columns={[
        { header: 'Name', cell: (p) => <code>{p.name}</code> },
        { header: 'Type', cell: (p) => p.type },
        { header: 'Required', cell: (p) => (p.required ? 'Required' : 'Optional') },
        {
          header: 'Default',
          cell: (p) => (p.default === undefined ? <span class="muted-text">None</span> : <code>{JSON.stringify(p.default)}</code>),
        },
        { header: 'Constraints', cell: (p) => <Constraints parameter={p} /> },
        { header: 'Description', cell: (p) => p.description || <span class="muted-text">None</span> },
      ]}
    />
  );
}
