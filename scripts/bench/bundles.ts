import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_GROUPS, type FunctionGroup } from '../../functions/api/routes.ts';
import { STEP_GROUPS, type StepGroup } from '../../functions/steps/step-groups.ts';
import { ESBUILD_TARGET } from '../../infra/node-line.ts';
import { summarize } from './stats.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = join(ROOT, 'scripts/bench/cold-init-child.mjs');
const CEDAR = '@cedar-policy/cedar-wasm';
const AUTHZ_DIR = join(ROOT, 'functions/core/authz');
const CEDAR_DIR = join(ROOT, 'node_modules', CEDAR, 'nodejs');
// As infra/constructs/broker-function.ts bundles: ESM has no `require`, bundled CommonJS calls it.
const BANNER = "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);";

export type Group = FunctionGroup | StepGroup;

export interface BundleFigure {
  group: Group;
  kind: 'api' | 'step';
  entry: string;
  /** The minified JavaScript bundle (AWS SDK included). */
  jsBytes: number;
  /** Whether it imports the Cedar engine (shipped beside the bundle, as infra does). */
  usesCedar: boolean;
  /** Cedar's JavaScript glue (counted with the bundle when used) and its .wasm (counted apart). */
  cedarJsBytes: number;
  cedarWasmBytes: number;
  /** The figure compared with the budget: bundle + Cedar glue, without the .wasm. */
  budgetedJsBytes: number;
  error?: string;
}

export interface ColdInitFigure {
  group: Group;
  request: string;
  runs: number;
  /** import + first request, median over the runs (ms); undefined when unavailable. */
  coldInitMs?: number;
  importMs?: number;
  firstRequestMs?: number;
  /** The same request again in the same process (warm), for comparison; not budgeted. */
  secondRequestMs?: number;
  /** Node's own boot before the import (not budgeted; Lambda's runtime start is not ours either). */
  nodeBootMs?: number;
  allColdInitMs?: number[];
  /** Whether the first request loaded the Cedar engine (and so made a first decision). */
  cedarDecided?: boolean;
  /** The first request's HTTP status (API groups). */
  status?: number;
  unavailable?: string;
}

const fileSize = (p: string) => statSync(p).size;

/** Bundles each function group as a Lambda would ship it (esbuild: bundle, minify, node, esm, the Lambda's Node line). */
export async function buildBundles(outDir: string): Promise<BundleFigure[]> {
  const groups: Array<{ group: Group; kind: 'api' | 'step'; entry: string }> = [
    ...Object.entries(FUNCTION_GROUPS).map(([group, def]) => ({ group: group as Group, kind: 'api' as const, entry: def.entry })),
    ...Object.entries(STEP_GROUPS).map(([group, def]) => ({ group: group as Group, kind: 'step' as const, entry: def.entry })),
  ];
  const cedarJsBytes = fileSize(join(CEDAR_DIR, 'cedar_wasm.js'));
  const cedarWasmBytes = readdirSync(CEDAR_DIR)
    .filter((f) => f.endsWith('.wasm'))
    .reduce((a, f) => a + fileSize(join(CEDAR_DIR, f)), 0);
  const figures: BundleFigure[] = [];
  rmSync(join(outDir, 'bundles'), { recursive: true, force: true });
  for (const g of groups) {
    const outfile = bundlePath(outDir, g.group);
    try {
      const result = await build({
        entryPoints: [join(ROOT, g.entry)],
        outfile,
        bundle: true,
        minify: true,
        platform: 'node',
        format: 'esm',
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        banner: { js: BANNER },
        external: [CEDAR, `${CEDAR}/*`],
        loader: { '.cedar': 'text', '.cedarschema': 'text' },
        metafile: true,
        logLevel: 'silent',
      });
      const usesCedar = Object.values(result.metafile.outputs).some((o) => o.imports.some((i) => i.path.startsWith(CEDAR)));
      const jsBytes = fileSize(outfile);
      // As infra ships a Cedar-deciding function: the policy files in ./authz/ beside the bundle.
      if (usesCedar) {
        mkdirSync(join(dirname(outfile), 'authz'), { recursive: true });
        for (const f of readdirSync(AUTHZ_DIR).filter((n) => /\.cedar(schema)?$/.test(n))) cpSync(join(AUTHZ_DIR, f), join(dirname(outfile), 'authz', f));
      }
      figures.push({
        ...g,
        jsBytes,
        usesCedar,
        cedarJsBytes: usesCedar ? cedarJsBytes : 0,
        cedarWasmBytes: usesCedar ? cedarWasmBytes : 0,
        budgetedJsBytes: jsBytes + (usesCedar ? cedarJsBytes : 0),
      });
    } catch (err) {
      figures.push({ ...g, jsBytes: 0, usesCedar: false, cedarJsBytes: 0, cedarWasmBytes: 0, budgetedJsBytes: 0, error: String(err).slice(0, 500) });
    }
  }
  return figures;
}

// Under the repository, so the external Cedar package resolves from its node_modules as it would
// from the function's own node_modules on Lambda.
export function bundlePath(outDir: string, group: Group): string {
  return join(outDir, 'bundles', group, 'index.mjs');
}

interface ChildOutput {
  bootMs: number;
  importMs: number;
  firstRequestMs: number;
  secondRequestMs: number;
  cedarLoaded: boolean;
  ok: boolean;
  status?: number;
  body?: unknown;
  error?: string;
}

const run = promisify(execFile);

async function coldStart(bundle: string, eventFile: string, env: NodeJS.ProcessEnv): Promise<{ out?: ChildOutput; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CHILD, bundle, eventFile], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    const line = stdout.trim().split('\n').at(-1);
    return { out: line ? (JSON.parse(line) as ChildOutput) : undefined, stderr };
  } catch (err) {
    return { stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

const served = (o: ChildOutput | undefined) => Boolean(o?.ok && (o.status === undefined || o.status < 500));

function failureOf(o: ChildOutput | undefined, stderr: string): string {
  const hint = stderr.match(/(ENOENT[^\n"]*|Error: [^\n"]*)/)?.[1];
  if (!o) return `the bundle did not start: ${hint ?? stderr.slice(-300)}`;
  if (!o.ok) return `the first request threw: ${o.error}`;
  return `the first request answered ${o.status}${hint ? ` (${hint})` : ''}: ${JSON.stringify(o.body).slice(0, 200)}`;
}

export interface ColdRequest {
  group: Group;
  /** What the first request is, for the report. */
  request: string;
  event: unknown;
}

/**
 * Cold-starts each bundle in a fresh `node` process against the running stack (its endpoints and
 * settings come from this process's env, as the stack set them) and serves one request.
 */
export async function coldInits(outDir: string, requests: ColdRequest[], runs: number, bundles: BundleFigure[]): Promise<ColdInitFigure[]> {
  const env = { ...process.env, LOG_LEVEL: 'error', NODE_OPTIONS: '' };
  const figures: ColdInitFigure[] = [];
  for (const req of requests) {
    const bundle = bundles.find((b) => b.group === req.group);
    if (!bundle || bundle.error) {
      figures.push({ group: req.group, request: req.request, runs: 0, unavailable: `bundling failed: ${bundle?.error ?? 'not built'}` });
      continue;
    }
    const eventFile = join(outDir, 'bundles', req.group, 'event.json');
    writeFileSync(eventFile, JSON.stringify(req.event));
    const path = bundlePath(outDir, req.group);
    const first = await coldStart(path, eventFile, env);
    if (!served(first.out)) {
      figures.push({ group: req.group, request: req.request, runs: 0, unavailable: failureOf(first.out, first.stderr) });
      continue;
    }
    const outs: ChildOutput[] = [first.out as ChildOutput];
    for (let i = 1; i < runs; i++) {
      const next = await coldStart(path, eventFile, env);
      if (next.out && served(next.out)) outs.push(next.out);
    }
    const total = outs.map((o) => o.importMs + o.firstRequestMs);
    const median = (xs: number[]) => Math.round(summarize(xs).p50 * 10) / 10;
    figures.push({
      group: req.group,
      request: req.request,
      runs: outs.length,
      coldInitMs: median(total),
      importMs: median(outs.map((o) => o.importMs)),
      firstRequestMs: median(outs.map((o) => o.firstRequestMs)),
      secondRequestMs: median(outs.map((o) => o.secondRequestMs)),
      nodeBootMs: median(outs.map((o) => o.bootMs)),
      allColdInitMs: total.map((t) => Math.round(t)),
      cedarDecided: outs.every((o) => o.cedarLoaded),
      ...(first.out?.status !== undefined && { status: first.out.status }),
    });
  }
  return figures;
}
