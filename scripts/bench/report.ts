import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Verdict } from './budgets.ts';

/** Prints rows as an aligned plain-text table. */
export function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function verdicts(list: Verdict[]): void {
  table(
    'Budgets (issue 7) — a report, not a gate',
    ['figure', 'value', 'budget', 'result'],
    list.map((v) => [v.figure, v.value, v.budget, `${v.pass === undefined ? 'n/a' : v.pass ? 'PASS' : 'FAIL'}${v.note ? ` (${v.note})` : ''}`]),
  );
}

export function writeJson(outDir: string, figures: unknown): string {
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(outDir, `bench-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
  return path;
}

/** How a figure prints its rows: `table`, handed in by the runner. */
export type Table = typeof table;
