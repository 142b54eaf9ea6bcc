// Builds the web console (console/src) into console/dist: one minified script and one stylesheet,
// each named by its content hash, and the page that loads them. `npm start` runs it first; the
// browser tests build into folders of their own. `tsx scripts/build-console.ts [outDir]` builds into outDir instead (relative to the working
// directory): the CDK bundling of the console function builds into the function's bundle that way.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_DIST = join(ROOT, 'console/dist');

export interface ConsoleBuild {
  outDir: string;
  script: string;
  stylesheet: string;
  /** The script's size gzipped, as a browser downloads it. */
  scriptGzipBytes: number;
  stylesheetGzipBytes: number;
}

function hashed(name: string, body: Uint8Array): string {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
}

/** The stylesheets, in cascade order: console.css (the base), the kit's (ui/*.css), then each view's own (pages/*.css), by name. */
function stylesheets(): Buffer {
  const folder = (name: string) => {
    const dir = join(ROOT, 'console/src', name);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.css'))
      .sort()
      .map((f) => join(dir, f));
  };
  return Buffer.concat([join(ROOT, 'console/src/console.css'), ...folder('ui'), ...folder('pages')].map((f) => readFileSync(f)));
}

export async function buildConsole(outDir = CONSOLE_DIST): Promise<ConsoleBuild> {
  const result = await build({
    entryPoints: [join(ROOT, 'console/src/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0];
  if (!js) throw new Error('console build produced no script');
  const css = stylesheets();
  const script = hashed('console.js', js.contents);
  const stylesheet = hashed('console.css', css);
  // Written beside, then swapped in by two renames, so a broker serving outDir never reads a
  // half-written console (between the renames, for an instant, it finds none and answers 503).
  const staging = `${outDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'assets'), { recursive: true });
  writeFileSync(join(staging, 'assets', script), js.contents);
  writeFileSync(join(staging, 'assets', stylesheet), css);
  const page = readFileSync(join(ROOT, 'console/index.html'), 'utf8')
    .replace('%SCRIPT%', `/console/assets/${script}`)
    .replace('%STYLESHEET%', `/console/assets/${stylesheet}`);
  writeFileSync(join(staging, 'index.html'), page);
  const previous = `${outDir}.previous-${process.pid}`;
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(outDir)) renameSync(outDir, previous);
  renameSync(staging, outDir);
  rmSync(previous, { recursive: true, force: true });
  return {
    outDir,
    script,
    stylesheet,
    scriptGzipBytes: gzipSync(js.contents).byteLength,
    stylesheetGzipBytes: gzipSync(css).byteLength,
  };
}

if (process.argv[1] && basename(process.argv[1]) === basename(fileURLToPath(import.meta.url))) {
  const target = process.argv[2];
  const built = await buildConsole(target ? resolve(target) : undefined);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`console built into ${built.outDir}: ${built.script} (${kib(built.scriptGzipBytes)} gzipped), ${built.stylesheet} (${kib(built.stylesheetGzipBytes)} gzipped)`);
}
