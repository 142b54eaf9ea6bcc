// The budgets of issue 7. A miss is reported, never an exit code: the bench informs, CI does not gate on it.

export interface Verdict {
  figure: string;
  value: string;
  budget: string;
  pass: boolean | undefined;
  note?: string;
}

export const BUDGETS = {
  getP99AtC16Ms: 15,
  singleReadyP50Ms: 2000,
  burstAllReadyMs: 30_000,
  transitionsPerProvision: 12,
  apiBundleBytes: 1024 * 1024,
  apiColdInitMs: 300,
  substrateBundleBytes: 2 * 1024 * 1024,
  substrateColdInitMs: 700,
  /** Issue 11: a Resource's teardown starts within 60 s of its lease's end. */
  leaseExpiryLagMs: 60_000,
  /** Issue 13: the console's script and stylesheet, gzipped, and its first page interactive. */
  consoleGzipBytes: 150 * 1024,
  consoleInteractiveMs: 1000,
} as const;

export function check(figure: string, value: number | undefined, budget: number, unit: string, note?: string): Verdict {
  const fmt = (x: number) => (unit === 'B' ? `${(x / 1024).toFixed(0)} KiB` : `${Math.round(x * 10) / 10} ${unit}`);
  return {
    figure,
    value: value === undefined || Number.isNaN(value) ? 'n/a' : fmt(value),
    budget: unit === 'B' ? (budget < 1024 * 1024 ? `< ${(budget / 1024).toFixed(0)} KiB` : `< ${(budget / 1024 / 1024).toFixed(0)} MiB`) : `${unit === '' ? '≤' : '<'} ${fmt(budget)}`,
    pass: value === undefined || Number.isNaN(value) ? undefined : unit === '' ? value <= budget : value < budget,
    ...(note && { note }),
  };
}
