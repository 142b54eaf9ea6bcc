// A blueprint version's parameter schema as a table, its constraints in words.
import type { Schemas } from '../../../client/broker.ts';
import { constraintSentences } from '../ui/constraint-words.ts';
import { Table } from '../ui/kit.tsx';
import { SentenceView } from '../ui/sentences.tsx';

export type Parameter = Schemas['BlueprintVersionView']['parameter_schema'][number];

function Constraints(props: { parameter: Parameter }) {
  const words = constraintSentences(props.parameter);
  if (words.length === 0) return <span class="muted-text">None</span>;
  if (words.length === 1 && words[0] !== undefined) return <SentenceView sentence={words[0]} />;
  return (
    <ul class="constraints">
      {words.map((w, i) => (
        <li key={i}>
          <SentenceView sentence={w} />
        </li>
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
