// `npm run localstack:deploy`: deploys the same CDK app to a running LocalStack with cdklocal, one
// stack at a time (data, api, workflows), seeding the tutorial's fixtures into the deployed table
// and secrets as soon as the data stack is up. After each stack it checks that the endpoint really
// holds every resource of the template (LocalStack and moto skip types they lack without a word);
// where a stack cannot be held, it stops there and says which stack, which resources and why.
// Needs LocalStack (Docker) up on AWS_ENDPOINT_URL (default http://localhost:4566); nothing else.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Table } from '../functions/adapters/dynamo/table.ts';
import { tableNameOf } from '../infra/stacks/data-stack.ts';
import { stackResources } from './cloudformation-query.ts';
import { seedFixtures } from './seed.ts';

export const LOCALSTACK_ACCOUNT = '000000000000';
const KEYS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface LocalStackOptions {
  stage: string;
  endpoint: string;
  /** S3 as the CDK CLI reaches it to publish assets. */
  s3Endpoint: string;
  /** S3 as it is written into the template URL CloudFormation reads (LocalStack's own S3 host name). */
  s3EndpointForCloudFormation: string;
  region: string;
  /** Where the synthesized app and each stack's outputs go. */
  outDir: string;
}

/** The endpoint with `localhost` as 127.0.0.1: an IP makes the S3 client address buckets by path, so no wildcard DNS is needed. */
function loopbackIp(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  return url.origin;
}

export function optionsFrom(env: Record<string, string | undefined>): LocalStackOptions {
  const endpoint = env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';
  const url = new URL(endpoint);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return {
    stage: env.PLEXSPHERE_STAGE ?? 'localstack',
    endpoint,
    // Another host than localhost or an IP needs AWS_ENDPOINT_URL_S3 (the SDK would address
    // <bucket>.<host> otherwise).
    s3Endpoint: env.AWS_ENDPOINT_URL_S3 ?? loopbackIp(endpoint),
    // The CDK CLI writes this host into the template URL; LocalStack (and moto) read any
    // *.localhost.localstack.cloud URL from their own S3, without resolving the name.
    s3EndpointForCloudFormation: env.AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION ?? `${url.protocol}//s3.localhost.localstack.cloud:${port}`,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    outDir: env.PLEXSPHERE_LOCALSTACK_OUT ?? '.plexsphere/localstack',
  };
}

/**
 * What cdklocal and the seed need. cdklocal 3 refuses AWS_ENDPOINT_URL without AWS_ENDPOINT_URL_S3,
 * and drops every other AWS_* variable that AWS_ENVAR_ALLOWLIST does not name (the region would
 * silently become us-east-1).
 */
export function localStackEnv(opts: LocalStackOptions): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: opts.endpoint,
    AWS_ENDPOINT_URL_S3: opts.s3Endpoint,
    AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION: opts.s3EndpointForCloudFormation,
    AWS_ENVAR_ALLOWLIST: 'AWS_REGION,AWS_DEFAULT_REGION',
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
    AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
    CDK_DEFAULT_ACCOUNT: LOCALSTACK_ACCOUNT,
    CDK_DEFAULT_REGION: opts.region,
  };
}

/** The stage's stacks in deploy order: each depends on the ones before it. */
export function stacksOf(stage: string): string[] {
  return ['data', 'api', 'workflows'].map((s) => `plexsphere-${stage}-${s}`);
}

const assemblyDir = (opts: LocalStackOptions) => join(opts.outDir, 'cdk.out');
export const outputsFile = (opts: LocalStackOptions, stack: string) => join(opts.outDir, `${stack}.outputs.json`);

/** The cdklocal runs: bootstrap the environment, synthesize the app once, then deploy one stack at a time. */
export function deployCommands(opts: LocalStackOptions): { bootstrap: string[]; synth: string[]; deploy: (stack: string) => string[] } {
  const context = ['--context', `stage=${opts.stage}`];
  return {
    // The CLI synthesizes the app for a bootstrap too: into our folder, not the working tree's cdk.out.
    bootstrap: ['npx', 'cdklocal', 'bootstrap', `aws://${LOCALSTACK_ACCOUNT}/${opts.region}`, '--output', assemblyDir(opts), ...context],
    synth: ['npx', 'cdklocal', 'synth', '--quiet', '--output', assemblyDir(opts), ...context],
    deploy: (stack) => [
      'npx',
      'cdklocal',
      'deploy',
      stack,
      '--app',
      assemblyDir(opts),
      '--exclusively',
      '--require-approval',
      'never',
      '--outputs-file',
      outputsFile(opts, stack),
    ],
  };
}

/** The seed's view of the deployment: the stage's table, secret prefix, and EC2 (the demo Cloud's endpoint). */
export function seedEnv(opts: LocalStackOptions): Record<string, string> {
  return {
    ...localStackEnv(opts),
    STAGE: opts.stage,
    CREDENTIAL_SECRET_PREFIX: `plexsphere/${opts.stage}/credentials/`,
    LOCAL_EC2_ENDPOINT: opts.endpoint,
  };
}

/** The deployment cannot go on: which step, and why. */
export class Stopped extends Error {
  constructor(
    readonly where: string,
    readonly why: string,
  ) {
    super(`localstack:deploy stopped at ${where}: ${why}`);
  }
}

type Template = { Resources: Record<string, { Type: string }> };

/** Resources named by id, with their types: `AWS::ApiGatewayV2::Api (HttpApiF5A9A8A7)`. */
const resourceList = (template: Template, ids: string[]) => ids.map((id) => `${template.Resources[id]?.Type ?? '?'} (${id})`).join(', ');

/** Why a deploy failed, from the CLI's own words, naming the template's resources they mention. */
export function failureReason(output: string, template: Template): string {
  const lines = output.split('\n').map((l) => l.replace(/^[\s‣❌]+/u, '').trim());
  const failedAt = lines.findIndex((l) => /failed to deploy/.test(l));
  const message = lines.slice(failedAt + 1).find((l) => /error/i.test(l)) ?? lines.filter(Boolean).at(-1) ?? 'no output';
  // A logical id as a word of its own (not the `Fn` of `Fn::GetAtt`).
  const named = Object.keys(template.Resources).filter((id) => new RegExp(`(?<![\\w:])${id}(?![\\w:])`).test(message));
  return named.length > 0 ? `the endpoint did not create ${resourceList(template, named)}, which the stack refers to (${message})` : message;
}

/** Runs a command with its output shown as it comes and kept, for failureReason. */
function run(command: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; output: string }> {
  console.log(`$ ${command.join(' ')}`);
  const [cmd, ...args] = command;
  const child = spawn(cmd as string, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    to.write(chunk);
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout.on('data', (c: Buffer) => keep(c, process.stdout));
  child.stderr.on('data', (c: Buffer) => keep(c, process.stderr));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => done({ status: code ?? (signal ? 128 : 1), output }));
  });
}

async function deployStack(opts: LocalStackOptions, env: NodeJS.ProcessEnv, stack: string): Promise<void> {
  const template = JSON.parse(readFileSync(join(assemblyDir(opts), `${stack}.template.json`), 'utf8')) as Template;
  const result = await run(deployCommands(opts).deploy(stack), env);
  if (result.status !== 0) throw new Stopped(stack, failureReason(result.output, template));
  const held = await stackResources({ endpoint: opts.endpoint, region: opts.region, credentials: KEYS }, stack);
  const missing = Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type !== 'AWS::CDK::Metadata' && !held.has(id));
  if (missing.length > 0) throw new Stopped(stack, `the endpoint reported the stack deployed without ${resourceList(template, missing)}`);
  console.log(`deployed ${stack}, every resource held (${held.size})`);
}

export async function main(): Promise<void> {
  const opts = optionsFrom(process.env);
  mkdirSync(opts.outDir, { recursive: true });
  const env = { ...process.env, ...localStackEnv(opts) };
  const commands = deployCommands(opts);
  for (const [step, command] of [
    ['bootstrap', commands.bootstrap],
    ['synth', commands.synth],
  ] as const) {
    const result = await run(command, env);
    if (result.status !== 0) throw new Stopped(step, `cdklocal ${step} failed (exit ${result.status})`);
  }
  const [data, ...rest] = stacksOf(opts.stage) as [string, ...string[]];
  await deployStack(opts, env, data);
  // The table and the secrets are all the seed needs: seeded before the rest, so a stack the
  // endpoint cannot hold still leaves the data usable.
  Object.assign(process.env, seedEnv(opts));
  const report = await seedFixtures(new Table(tableNameOf(opts.stage)), { stage: opts.stage });
  console.log(`seeded: ${report.created.length} created, ${report.kept.length} kept`);
  for (const stack of rest) await deployStack(opts, env, stack);
  const api = stacksOf(opts.stage)[1] as string;
  const outputs = JSON.parse(readFileSync(outputsFile(opts, api), 'utf8')) as Record<string, Record<string, string>>;
  const url = outputs[api]?.ApiUrl;
  console.log(`API: ${url ?? '(see the ApiUrl output above)'}\nplexctl: export PLEXSPHERE_URL=${url ?? '<ApiUrl>'}`);
  // The API stack's console function carries the console, built during the synth (infra/constructs/console.ts).
  console.log(`console: ${outputs[api]?.ConsoleUrl ?? '(see the ConsoleUrl output above)'}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
