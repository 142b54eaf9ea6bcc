// Runs in a fresh `node` process: imports one function bundle, serves it one event, and prints
// how long each part took as JSON on stdout. Started by scripts/bench/bundles.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30_000 };

const bootMs = performance.now();
const mod = await import(pathToFileURL(bundle).href);
const importedMs = performance.now();
let outcome;
try {
  const result = await mod.handler(event, context);
  outcome = { ok: true, status: result?.statusCode, body: typeof result?.body === 'string' ? result.body.slice(0, 300) : result };
} catch (err) {
  outcome = { ok: false, error: `${err?.name}: ${err?.message}` };
}
const answeredMs = performance.now();
// A second, warm request: what is left of the first one once the one-time work is done.
await Promise.resolve(mod.handler(event, context)).catch(() => undefined);
const secondRequestMs = performance.now() - answeredMs;
// The Cedar engine is CommonJS, imported on the first decision: its presence says a decision ran.
const cedarLoaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('cedar_wasm'));
process.stdout.write(`${JSON.stringify({ bootMs, importMs: importedMs - bootMs, firstRequestMs: answeredMs - importedMs, secondRequestMs, cedarLoaded, ...outcome })}\n`);
