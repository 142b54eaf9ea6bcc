import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiEnvInput } from '../../functions/shared/env.ts';

/**
 * A Lambda `environment` derived from an env schema's input type: every key the schema requires is
 * required here, defaulted keys stay optional, enum values keep their literals, everything else is a
 * string. So a variable added to ApiEnvSchema without a value here fails the typecheck, not a request.
 */
export type LambdaEnvironment<T> = { [K in keyof T]: T[K] extends string | undefined ? T[K] : string };

export interface ApiFunctionProps {
  /** Entry file relative to the repository root, as FUNCTION_GROUPS names it. */
  entry: string;
  description: string;
  environment: LambdaEnvironment<ApiEnvInput>;
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
  memorySize?: number;
  timeout?: Duration;
}

/** Repository root: where package-lock.json lives and FUNCTION_GROUPS entries are relative to. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ESM bundles have no `require`; bundled CommonJS dependencies call it for Node builtins.
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** One API function group: a Node.js 22 ARM64 function bundled by the local esbuild, traced, with its own log group. */
export class ApiFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: {
        ...definedOnly(props.environment),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        banner: CREATE_REQUIRE_BANNER,
        // Ship the SDK version the tests ran against rather than whatever the runtime carries.
        bundleAwsSDK: true,
        // cedar-wasm loads its .wasm from `${__dirname}` at import: it cannot be inlined into an ESM
        // bundle, so it is installed next to it (from package-lock.json) and imported at run time.
        nodeModules: ['@cedar-policy/cedar-wasm'],
      },
    });
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
