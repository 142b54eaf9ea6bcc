import { useId, useState } from 'preact/hooks';

/** An id to copy: shown as text (selectable by hand too) with a Copy button that says what it did. */
export function CopyableId(props: { id: string; what: string }) {
  const [said, setSaid] = useState('');
  const textId = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.id);
      setSaid('Copied.');
    } catch {
      const text = document.getElementById(textId);
      const selection = getSelection();
      if (text && selection) {
        const range = document.createRange();
        range.selectNodeContents(text);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setSaid('Selected: copy it with Ctrl+C or ⌘C.');
    }
  };
  return (
    <span class="copyable">
      <code id={textId}>{props.id}</code>{' '}
      <button type="button" class="copy-button" onClick={() => void copy()}>
        Copy<span class="visually-hidden"> {props.what}</span>
      </button>{' '}
      <span role="status" class="muted-text">
        {said}
      </span>
    </span>
  );
}
