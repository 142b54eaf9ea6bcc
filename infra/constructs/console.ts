import type { Construct } from 'constructs';
import { CONSOLE_FUNCTION } from '../../functions/api/routes.ts';
import { ConstructIds, description } from '../naming.ts';
import { BrokerFunction, type StageLogs } from './broker-function.ts';

// The web console on AWS: the stage's HttpApi serves it itself, through one small function
// (functions/api/console.handler.ts) on the CONSOLE_ROUTES, beside the API routes. Why not S3 and
// CloudFront:
// - same origin as the API: the HttpOnly SameSite=Strict session cookie and the CSRF header work
//   with no CORS and one cookie scope;
// - one deploy unit and one URL per stage (the ConsoleUrl output: the ApiUrl plus /console/);
// - the files are small (about 100 KiB, some 20 KiB gzipped) and named by their content hash
//   (immutable), so any CDN put in front caches them; S3 and CloudFront would add a second origin
//   (or a path-routing distribution) and a bucket deployment for no gain at this size.

/** The folder the console's built files go to inside the function's bundle. */
export const CONSOLE_BUNDLE_DIR = 'console';
/** Where Lambda unpacks the bundle (the task root), so where the handler reads the built files. */
export const CONSOLE_ASSETS_DIR = `/var/task/${CONSOLE_BUNDLE_DIR}`;

/** The console function's environment: only where its files are (it reads no table, key or secret). */
export interface ConsoleEnv {
  CONSOLE_ASSETS_DIR: string;
}

/**
 * Builds the console (scripts/build-console.ts, esbuild) into the bundle's console/ folder, with the
 * Node that runs the synth: the same build `npm start` serves locally, from the same sources.
 */
export function buildConsoleInto(inputDir: string, outputDir: string): string[] {
  return [`"${process.execPath}" --import tsx "${inputDir}/scripts/build-console.ts" "${outputDir}/${CONSOLE_BUNDLE_DIR}"`];
}

/** The console function: no Cedar, no table, no secrets; its bundle carries the built console. */
export function consoleFunction(
  scope: Construct,
  stage: string,
  logs: StageLogs,
  reservedConcurrentExecutions?: number,
): BrokerFunction<ConsoleEnv> {
  return new BrokerFunction<ConsoleEnv>(scope, ConstructIds.consoleFunction, {
    ...logs,
    entry: CONSOLE_FUNCTION.entry,
    description: description(stage, CONSOLE_FUNCTION.description, 'console'),
    environment: { CONSOLE_ASSETS_DIR },
    // It decides nothing: pages and static files, read once per container.
    authz: false,
    afterBundling: buildConsoleInto,
    memorySize: 256,
    ...(reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions }),
  });
}
