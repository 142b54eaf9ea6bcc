// Where two texts first part, to say what changed in a failure message instead of printing both.

/** "line N:\n  <a>: …\n  <b>: …" at the first line where the texts differ (or where one ends). */
export function firstDifference(a: string, b: string, names: readonly [string, string] = ['committed', 'generated']): string {
  const left = a.split('\n');
  const right = b.split('\n');
  const first = left.findIndex((line, n) => line !== right[n]);
  const at = first === -1 ? left.length : first;
  return `line ${at + 1}:\n  ${names[0]}: ${left[at] ?? '(end of file)'}\n  ${names[1]}: ${right[at] ?? '(end of file)'}`;
}
