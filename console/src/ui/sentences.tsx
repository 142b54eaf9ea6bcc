// Sentences of ui/constraint-words.ts on screen: a pattern in them is shown as code.
import { Fragment } from 'preact';
import type { Sentence } from './constraint-words.ts';

export function SentenceView(props: { sentence: Sentence }) {
  const s = props.sentence;
  if (typeof s === 'string') return <>{s}</>;
  return (
    <>
      {s[0]}
      <code>{s[1]}</code>
      {s[2]}
    </>
  );
}

/** Sentences run together as one paragraph's text, a space between each. */
export function SentencesInline(props: { sentences: Sentence[] }) {
  return (
    <>
      {props.sentences.map((s, i) => (
        <Fragment key={i}>
          {i > 0 && ' '}
          <SentenceView sentence={s} />
        </Fragment>
      ))}
    </>
  );
}
