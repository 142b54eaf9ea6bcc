/** How big a run is. `--quick` keeps the whole bench to a few minutes (a lease must last a minute). */
export interface BenchSize {
  quick: boolean;
  /** Requests per GET latency series (per concurrency level). */
  getRequests: number;
  /** Creates per create-latency series (per concurrency level). */
  createRequests: number;
  /** Sequential single-Resource create → Ready → Deleted runs. */
  singleRuns: number;
  /** Resources created at once in the burst. */
  burst: number;
  /** Cold starts per function group (the median is reported). */
  coldRuns: number;
  concurrency: readonly number[];
  /** Domain sizes of the state-pull table, and how many nodes of each pull in its series. */
  domainSizes: readonly number[];
  domainSamples: number;
  /** Dry runs per admission series, and Resources whose leases run out together (lease of 60 s). */
  dryRuns: number;
  leased: number;
}

export function parseArgs(argv: readonly string[]): BenchSize & { outDir: string } {
  const quick = argv.includes('--quick');
  const outArg = argv.find((a) => a.startsWith('--out='));
  const outDir = outArg ? outArg.slice('--out='.length) : '.plexsphere/bench';
  const size: BenchSize = quick
    ? { quick, getRequests: 160, createRequests: 8, singleRuns: 1, burst: 10, coldRuns: 1, concurrency: [1, 16], domainSizes: [100, 1000], domainSamples: 50, dryRuns: 40, leased: 10 }
    : { quick, getRequests: 1600, createRequests: 16, singleRuns: 5, burst: 100, coldRuns: 5, concurrency: [1, 16], domainSizes: [100, 1000, 10000], domainSamples: 200, dryRuns: 400, leased: 100 };
  return { ...size, outDir };
}
