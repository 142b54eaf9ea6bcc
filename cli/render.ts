// Human output: aligned tables and detail blocks. JSON output is the wire form, untouched; only
// these renderers may prettify a value (origin "provisioned" shows as "Provisioned").

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Text of one cell: objects as compact JSON, nothing as "-". */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(cell).join(', ');
  return JSON.stringify(value);
}

/** "provisioned" → "Provisioned": the tutorial's human form of the wire value. */
export function titleCase(value: unknown): string {
  const text = cell(value);
  return text === '-' ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = 'Nothing to show.'): string {
  if (rows.length === 0) return `${empty}\n`;
  const grid = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cell(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...grid.map((line) => (line[i] ?? '').length)));
  return `${grid.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join('  ')).join('\n')}\n`;
}

/** A single object as "Label:  value" lines. */
export function details(pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...pairs.map(([label]) => label.length + 1));
  return `${pairs.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${cell(value)}`).join('\n')}\n`;
}

/** Seconds as "850ms", "4.2s", "2m05s", "1h02m". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
