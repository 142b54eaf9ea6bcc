import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { description } from '../naming.ts';
import { ESBUILD_TARGET } from '../node-line.ts';

/**
 * A Lambda `environment` derived from an env schema's input type: every key the schema requires is
 * required here, defaulted keys stay optional, enum values keep their literals, everything else is a
 * string. So a variable added to a schema without a value here fails the typecheck, not an invocation.
 */
export type LambdaEnvironment<T> = { [K in keyof T]: T[K] extends string | undefined ? T[K] : string };

/** How long a stage keeps its logs, and whether they outlive the stack. */
export interface StageLogs {
  logRetention: RetentionDays;
  logRemovalPolicy: RemovalPolicy;
}

/** dev keeps a week of logs and drops them with the stack; every other stage keeps three months, retained. */
export function stageLogs(stage: string): StageLogs {
  const dev = stage === 'dev';
  return {
    logRetention: dev ? RetentionDays.ONE_WEEK : RetentionDays.THREE_MONTHS,
    logRemovalPolicy: dev ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };
}

export interface BrokerFunctionProps<E extends object> extends StageLogs {
  /** Entry file relative to the repository root, as FUNCTION_GROUPS or STEP_GROUPS names it. */
  entry: string;
  description: string;
  /** Typed from the function's env schema: ApiEnvSchema for API groups and the reconciler, StepsEnvSchema for steps. */
  environment: LambdaEnvironment<E>;
  /**
   * Whether the code decides with Cedar (everything wired by composition.ts): ships the engine's
   * package and the policy files with the bundle. Step groups do not, and stay smaller.
   */
  authz?: boolean;
  /**
   * Shell commands run after esbuild, to put more files beside the bundle (the console function's
   * built pages). Given the repository root and the bundle's folder; they run on the machine that
   * synthesizes, from the repository root, and only when the stack is bundled.
   */
  afterBundling?: (inputDir: string, outputDir: string) => string[];
  memorySize?: number;
  timeout?: Duration;
  /** Caps the function and sets that much of the account's concurrency aside for it (constructs/edge-limits.ts). */
  reservedConcurrentExecutions?: number;
}

/** Repository root: where package-lock.json lives and the groups' entries are relative to. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ESM bundles have no `require`; bundled CommonJS dependencies call it for Node builtins.
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The policy files CedarAuthorizer reads, copied to ./authz/ beside the bundle (its POLICY_DIRS). */
export const AUTHZ_FILES = ['policies.cedar', 'schema.cedarschema'] as const;

/**
 * One function of the broker (an API group, a step group, the reconciler): a Node.js 24 ARM64
 * function bundled by the local esbuild (never Docker), traced, with its own log group.
 */
export class BrokerFunction<E extends object> extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps<E>) {
    super(scope, id);
    const afterBundling = [...(props.authz !== false ? [copyAuthzFiles] : []), ...(props.afterBundling ? [props.afterBundling] : [])];
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
      ...(props.reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
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
        }),
        ...(afterBundling.length > 0 && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => afterBundling.flatMap((hook) => hook(inputDir, outputDir)),
          },
        }),
      },
    });
  }
}

/** The policy files, beside the bundle in ./authz/. */
function copyAuthzFiles(inputDir: string, outputDir: string): string[] {
  return [
    `mkdir -p "${outputDir}/authz"`,
    ...AUTHZ_FILES.map((f) => `cp "${inputDir}/functions/core/authz/${f}" "${outputDir}/authz/${f}"`),
  ];
}

/**
 * One BrokerFunction per group of a group table (FUNCTION_GROUPS, STEP_GROUPS), labelled with the
 * group's entry and description and given the same `props`; `wire` grants each what it needs.
 */
export function groupFunctions<G extends string, E extends object>(
  scope: Construct,
  groups: Record<G, { entry: string; description: string }>,
  opts: {
    stage: string;
    id: (group: G) => string;
    props: Omit<BrokerFunctionProps<E>, 'entry' | 'description'>;
    wire: (group: G, fn: NodejsFunction) => void;
    /** Reserved concurrency of the groups that have one. */
    reserved?: Readonly<Partial<Record<G, number>>>;
  },
): Record<G, BrokerFunction<E>> {
  return Object.fromEntries(
    (Object.keys(groups) as G[]).map((group) => {
      const def = groups[group];
      const fn = new BrokerFunction<E>(scope, opts.id(group), {
        entry: def.entry,
        description: description(opts.stage, def.description, group),
        ...opts.props,
        ...(opts.reserved?.[group] !== undefined && { reservedConcurrentExecutions: opts.reserved[group] }),
      });
      opts.wire(group, fn.fn);
      return [group, fn];
    }),
  ) as Record<G, BrokerFunction<E>>;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
