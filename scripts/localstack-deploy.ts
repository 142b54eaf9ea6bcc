// `npm run localstack:deploy`: deploys the same CDK app to a running LocalStack with cdklocal, then
// seeds the tutorial's fixtures into the deployed table and secrets. Needs LocalStack (Docker) up on
// AWS_ENDPOINT_URL (default http://localhost:4566); nothing else.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Table } from '../functions/adapters/dynamo/table.ts';
import { tableNameOf } from '../infra/stacks/data-stack.ts';
import { seedFixtures } from './seed.ts';

export interface LocalStackOptions {
  stage: string;
  endpoint: string;
  region: string;
  outputsFile: string;
}

export function optionsFrom(env: Record<string, string | undefined>): LocalStackOptions {
  return {
    stage: env.PLEXSPHERE_STAGE ?? 'localstack',
    endpoint: env.AWS_ENDPOINT_URL ?? 'http://localhost:4566',
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    outputsFile: '.plexsphere/localstack-outputs.json',
  };
}

/** What cdklocal and the seed need: LocalStack's account, dummy keys, and its one endpoint for every service. */
export function localStackEnv(opts: LocalStackOptions): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: opts.endpoint,
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CDK_DEFAULT_ACCOUNT: '000000000000',
    CDK_DEFAULT_REGION: opts.region,
  };
}

/** The cdklocal runs: bootstrap the environment, then deploy every stack of the stage. */
export function deployCommands(opts: LocalStackOptions): string[][] {
  const context = ['--context', `stage=${opts.stage}`];
  return [
    ['npx', 'cdklocal', 'bootstrap', `aws://000000000000/${opts.region}`, ...context],
    ['npx', 'cdklocal', 'deploy', '--all', '--require-approval', 'never', '--outputs-file', opts.outputsFile, ...context],
  ];
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

async function main(): Promise<void> {
  const opts = optionsFrom(process.env);
  mkdirSync('.plexsphere', { recursive: true });
  const env = { ...process.env, ...localStackEnv(opts) };
  for (const [cmd, ...args] of deployCommands(opts)) {
    console.log(`$ ${[cmd, ...args].join(' ')}`);
    const run = spawnSync(cmd as string, args, { stdio: 'inherit', env });
    if (run.status !== 0) throw new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed (exit ${run.status ?? run.signal})`);
  }
  Object.assign(process.env, seedEnv(opts));
  const report = await seedFixtures(new Table(tableNameOf(opts.stage)), { stage: opts.stage });
  console.log(`seeded: ${report.created.length} created, ${report.kept.length} kept`);
  const outputs = JSON.parse(readFileSync(opts.outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  const url = outputs[`plexsphere-${opts.stage}-api`]?.ApiUrl;
  console.log(`API: ${url ?? '(see the ApiUrl output above)'}\nplexctl: export PLEXSPHERE_URL=${url ?? '<ApiUrl>'}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
