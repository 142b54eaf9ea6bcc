// `npm run bench:domain [-- --quick]`: only the domain-size table of `npm run bench`, on a fresh embedded stack.
import { startTestStack } from '../test/support/stack.ts';
import { domainSizeTable } from './bench/domain-size.ts';
import { parseArgs } from './bench/options.ts';
import { table, writeJson } from './bench/report.ts';

const t0 = performance.now();
const args = parseArgs(process.argv.slice(2));
const progress = (msg: string) => process.stderr.write(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const stack = await startTestStack({ LOG_LEVEL: 'silent' });
try {
  const rows = await domainSizeTable(stack, args.domainSizes, args.domainSamples, progress, table);
  console.log(`\nFigures written to ${writeJson(args.outDir, { at: new Date().toISOString(), machine: process.version, domainSize: rows })}`);
} finally {
  await stack.close();
}
