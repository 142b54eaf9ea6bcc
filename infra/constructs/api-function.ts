import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiEnvInput } from '../../functions/shared/env.ts';
import { ESBUILD_TARGET } from '../node-line.ts';

/**
 * A Lambda `environment` derived from an env schema's input type: every key the schema requires is
 * required here, defaulted keys stay optional, enum values keep their literals, everything else is a
 * string. So a variable added to ApiEnvSchema without a value here fails the typecheck, not a request.
 */
export type LambdaEnvironment<T> = { [K in keyof T]: T[K] extends string | undefined ? T[K] : string };

export interface ApiFunctionProps<E extends object = ApiEnvInput> {
  /** Entry file relative to the repository root, as FUNCTION_GROUPS (or STEP_GROUPS) names it. */
  entry: string;
  description: string;
  /** Typed from the function's env schema: ApiEnvSchema for API groups and the reconciler, StepsEnvSchema for steps. */
  environment: LambdaEnvironment<E>;
  /**
   * Whether the code decides with Cedar (everything wired by composition.ts): ships the engine's
   * package and the policy files with the bundle. Step groups do not, and stay smaller.
   */
  authz?: boolean;
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

/** The policy files CedarAuthorizer reads, copied to ./authz/ beside the bundle (its POLICY_DIRS). */
export const AUTHZ_FILES = ['policies.cedar', 'schema.cedarschema'] as const;

/**
 * One function group (API, steps, reconciler): a Node.js 24 ARM64 function bundled by the local
 * esbuild (never Docker), traced, with its own log group.
 */
export class ApiFunction<E extends object = ApiEnvInput> extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFunctionProps<E>) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.entry}`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      environment: {
        ...definedOnly(props.environment as Record<string, string | undefined>),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        banner: CREATE_REQUIRE_BANNER,
        // Ship the SDK version the tests ran against rather than whatever the runtime carries.
        bundleAwsSDK: true,
        ...(props.authz !== false && {
          // cedar-wasm loads its .wasm from `${__dirname}` at import: it cannot be inlined into an ESM
          // bundle, so it is installed next to it (from package-lock.json) and imported at run time.
          nodeModules: ['@cedar-policy/cedar-wasm'],
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [
              `mkdir -p "${outputDir}/authz"`,
              ...AUTHZ_FILES.map((f) => `cp "${inputDir}/functions/core/authz/${f}" "${outputDir}/authz/${f}"`),
            ],
          },
        }),
      },
    });
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
