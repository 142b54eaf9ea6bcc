import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { resetDocumentClient, Table } from '../functions/adapters/dynamo/table.ts';
import type { Clock } from '../functions/core/clock.ts';
import { reconcile } from '../functions/core/reconcile.ts';
import { buildDeps, deps, setDeps } from '../functions/shared/composition.ts';
import { resetEnvCache } from '../functions/shared/env.ts';
import { resetStepDeps } from '../functions/shared/step-composition.ts';
import { STATE_MACHINES, STEP_GROUPS, type StepGroup, WEBHOOK_SWEEP } from '../functions/steps/step-groups.ts';
import { DEMO_CLOUD_REGION, DEMO_CREDENTIAL_KEYS } from '../scripts/seed-catalog.ts';
import { type SeedReport, seedFixtures } from '../scripts/seed.ts';
import { startAgent } from './agent.ts';
import type { ChangeFeed } from './dynamo/change-feed.ts';
import { ensureTable, startDynamo } from './dynamodb.ts';
import { startEc2 } from './ec2/service.ts';
import { LEASE_EXPIRY, LocalStepFunctions, stepFunctionArn, WEBHOOK_DISPATCH } from './functions.ts';
import { startGateway } from './gateway.ts';
import { startKms } from './kms/api.ts';
import { ensureSigningKey } from './kms/signing-key.ts';
import { type LocalScheduler, startScheduler } from './scheduler/api.ts';
import { startSecretsManager } from './secrets-manager/api.ts';
import { startStepFunctions, substitute } from './stepfunctions/api.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface StackOptions {
  /** Where the local cloud keeps its data. */
  dataDir: string;
  /** Gateway port; 0 picks a free one. */
  port?: number;
  /** Local EC2 port; 0 picks a free one (its URL is recorded on the demo Cloud). */
  ec2Port?: number;
  host?: string;
  /** Extra function environment (tests shorten intervals and deadlines). */
  env?: Record<string, string>;
  /** How often the reconciler looks for stuck Resources; 0 turns the timer off. */
  reconcileIntervalMs?: number;
  /** How often the webhook dispatcher's sweep runs (as the recurring schedule on AWS); 0 turns it off. */
  webhookSweepIntervalMs?: number;
  /** Node agents' heartbeat interval. */
  heartbeatIntervalMs?: number;
  /** The state machines' poll intervals and enrolment deadline (seconds), as CDK substitutes them. */
  timings?: Partial<typeof LOCAL_TIMINGS>;
  /** Tests only: false boots instances with no node agent (a machine whose node never registers). */
  startAgents?: boolean;
  /**
   * Tests only: the time of the lease timers, as the local scheduler fires them and the API
   * functions (the lease-expiry function among them) judge them. Advance it, then scheduler.wake().
   */
  clock?: Clock;
}

export interface RunningStack {
  url: string;
  port: number;
  dynamoUrl: string;
  secretsUrl: string;
  kmsUrl: string;
  sfnUrl: string;
  ec2Url: string;
  schedulerUrl: string;
  tableName: string;
  seed: SeedReport;
  gateway: Awaited<ReturnType<typeof startGateway>>['gateway'];
  stats: { stateTransitions: () => number; executionsStarted: () => number; stepInvocations: LocalStepFunctions['invocations']; ec2Requests: () => number };
  ec2: Awaited<ReturnType<typeof startEc2>>;
  /** The local EventBridge Scheduler: wake() fires every lease timer due by the clock, and resolves once each was delivered once. */
  scheduler: Pick<LocalScheduler, 'wake' | 'stats'>;
  /** Runs one reconciler pass now. */
  reconcileNow(): Promise<void>;
  /** Runs the webhook dispatcher's sweep now. */
  sweepWebhooksNow(): Promise<void>;
  /** The DynamoDB change feed: tests make it lose records. */
  changeFeed: Pick<ChangeFeed, 'lose'>;
  close(): Promise<void>;
}

export const LOCAL_TABLE = 'plexsphere-local';
/** The lease timers' schedule group, and the role Scheduler would assume to invoke the lease-expiry function. */
export const LOCAL_LEASE_GROUP = 'plexsphere-local-leases';
const LOCAL_LEASE_ROLE = 'arn:aws:iam::000000000000:role/plexsphere-local-lease-scheduler';
/** The webhook lane timers' schedule group (as the CDK app names it per stage). */
export const LOCAL_WEBHOOK_GROUP = 'plexsphere-local-webhooks';
// Local runs keep the arcs brisk; AWS deployments use the schema's defaults.
const LOCAL_TIMINGS = { SubstratePollSeconds: '1', DrainPollSeconds: '1', EnrolTimeoutSeconds: '300' };

/**
 * Boots the embedded local cloud in this process: DynamoDB (dynalite), Secrets Manager, Step
 * Functions, EC2 (whose instances are node agents), and the gateway playing API Gateway + Lambda.
 * The functions reach the services through the standard AWS_ENDPOINT_URL_<SERVICE> variables,
 * exactly as they would reach LocalStack or AWS.
 */
export async function startStack(opts: StackOptions): Promise<RunningStack> {
  mkdirSync(opts.dataDir, { recursive: true });
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 1000;
  const dynamo = await startDynamo({ dataDir: join(opts.dataDir, 'dynamodb') });
  const secrets = await startSecretsManager({ dataDir: join(opts.dataDir, 'secrets') });
  const kms = await startKms({ dataDir: join(opts.dataDir, 'kms') });
  const lambdas = new LocalStepFunctions();
  const sfn = await startStepFunctions({ invokeTask: (arn, input) => lambdas.invoke(arn, input) });
  // Scheduler hands a Lambda target its Input as the event.
  const scheduler = await startScheduler({
    dataDir: join(opts.dataDir, 'scheduler'),
    ...(opts.clock && { clock: opts.clock }),
    invoke: (target) => lambdas.invoke(target.Arn, JSON.parse(target.Input ?? '{}')),
  });
  const ec2 = await startEc2({
    dataDir: join(opts.dataDir, 'ec2'),
    acceptedKeys: [{ accessKeyId: DEMO_CREDENTIAL_KEYS.access_key_id }],
    region: DEMO_CLOUD_REGION,
    port: opts.ec2Port ?? 0,
    runner: {
      async launch(instance) {
        if (opts.startAgents === false) return { stop: async () => {} };
        const agent = startAgent({ userData: instance.userData, stateDir: join(opts.dataDir, 'agents', instance.instanceId), heartbeatIntervalMs });
        return { stop: () => agent.stop() };
      },
    },
  });
  // Only a stack told of a standby key has one: a previous stack's in this process does not linger.
  delete process.env.ACCESS_TOKEN_STANDBY_KEY_ID;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_ENDPOINT_URL_KMS: kms.url,
    AWS_ENDPOINT_URL_SFN: sfn.url,
    AWS_ENDPOINT_URL_SCHEDULER: scheduler.url,
    LEASE_SCHEDULE_GROUP: LOCAL_LEASE_GROUP,
    LEASE_EXPIRY_FUNCTION_ARN: stepFunctionArn(LEASE_EXPIRY),
    LEASE_SCHEDULER_ROLE_ARN: LOCAL_LEASE_ROLE,
    WEBHOOK_SCHEDULE_GROUP: LOCAL_WEBHOOK_GROUP,
    WEBHOOK_DISPATCH_FUNCTION_ARN: stepFunctionArn(WEBHOOK_DISPATCH),
    WEBHOOK_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/plexsphere-local-webhook-scheduler',
    // The receivers of the embedded stack listen on this machine, over plain http.
    WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    // Its clouds (the local EC2 endpoint) too; on AWS a cloud endpoint must be https.
    CLOUD_ENDPOINT_ALLOW_HTTP: 'true',
    LOCAL_EC2_ENDPOINT: ec2.url,
    STAGE: 'local',
    TABLE_NAME: LOCAL_TABLE,
    CURSOR_KEY_SECRET_ID: 'plexsphere/local/cursor-key',
    ACCESS_TOKEN_KEY_ID: await ensureSigningKey(kms.url),
    CREDENTIAL_SECRET_PREFIX: 'plexsphere/local/credentials/',
    DEVICE_POLL_INTERVAL_SECONDS: '1',
    HEARTBEAT_INTERVAL_SECONDS: String(Math.max(1, Math.round(heartbeatIntervalMs / 1000))),
    // In one process a launch in flight lands within moments; AWS keeps the 180 s default.
    LAUNCH_GRACE_SECONDS: '10',
    ...opts.env,
  });
  const [, machines] = await Promise.all([
    ensureTable(dynamo.url, LOCAL_TABLE),
    createStateMachines(sfn.url, { ...LOCAL_TIMINGS, ...opts.timings }),
    ensureScheduleGroup(scheduler.url, LOCAL_LEASE_GROUP),
    ensureScheduleGroup(scheduler.url, LOCAL_WEBHOOK_GROUP),
  ]);
  Object.assign(process.env, { PROVISION_STATE_MACHINE_ARN: machines.provision, TEARDOWN_STATE_MACHINE_ARN: machines.teardown });
  // A stack started again in this process has new endpoints: no client may keep the old one.
  resetDocumentClient();
  const seed = await seedFixtures(new Table(LOCAL_TABLE));
  const gw = await startGateway({ port: opts.port ?? 8080, ...(opts.host && { host: opts.host }) });
  // PUBLIC_URL needs the bound port, so it is set before any function first runs.
  process.env.PUBLIC_URL = opts.env?.PUBLIC_URL ?? gw.url;
  resetEnvCache();
  setDeps(opts.clock && buildDeps(undefined, { clock: opts.clock }));
  resetStepDeps();
  // The event source mapping of the CDK app: inserted event items, to the webhook dispatcher.
  dynamo.feed.subscribe({
    filter: (r) => (r.dynamodb.Keys.PK as { S?: string } | undefined)?.S?.startsWith('EVENTS#') === true,
    deliver: (event) => lambdas.invoke(stepFunctionArn(WEBHOOK_DISPATCH), event),
  });

  const reconcileNow = async () => {
    await reconcile(deps(), { minIdleSeconds: 2 });
  };
  const sweepWebhooksNow = async () => {
    await lambdas.invoke(stepFunctionArn(WEBHOOK_DISPATCH), WEBHOOK_SWEEP.event);
  };
  const reconciler = repeat('reconciler', reconcileNow, opts.reconcileIntervalMs ?? 5000, 0);
  const sweepEvery = opts.webhookSweepIntervalMs ?? WEBHOOK_SWEEP.everyMinutes * 60_000;
  const sweeper = repeat('webhook sweep', sweepWebhooksNow, sweepEvery, sweepEvery);

  return {
    url: gw.url,
    port: gw.port,
    dynamoUrl: dynamo.url,
    secretsUrl: secrets.url,
    kmsUrl: kms.url,
    sfnUrl: sfn.url,
    ec2Url: ec2.url,
    schedulerUrl: scheduler.url,
    tableName: LOCAL_TABLE,
    seed,
    gateway: gw.gateway,
    ec2,
    scheduler: { wake: () => scheduler.wake(), stats: scheduler.stats },
    stats: {
      stateTransitions: () => sfn.stats.stateTransitions,
      executionsStarted: () => sfn.stats.executionsStarted,
      stepInvocations: lambdas.invocations,
      ec2Requests: () => ec2.stats.requests,
    },
    reconcileNow,
    sweepWebhooksNow,
    changeFeed: dynamo.feed,
    async close() {
      await Promise.all([reconciler.stop(), sweeper.stop()]);
      // The change feed's batch in flight ends first: it drives the dispatcher, which uses all below.
      await dynamo.feed.close();
      // The timers first (a delivery in flight finishes), agents next (they call the gateway), then
      // the engines, then storage.
      await scheduler.close();
      await ec2.close();
      await sfn.close();
      await gw.close();
      await secrets.close();
      await kms.close();
      await dynamo.close();
      setDeps(undefined);
      resetStepDeps();
    },
  };
}

/**
 * Runs `pass` every `intervalMs` (the first after `firstAfterMs`), one at a time; 0 turns it off.
 * stop() lets the pass in flight finish, so that the storage it uses outlives it.
 */
function repeat(name: string, pass: () => Promise<void>, intervalMs: number, firstAfterMs: number): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  if (intervalMs > 0) {
    const tick = () => {
      running = pass()
        .catch((err: unknown) => console.error(JSON.stringify({ level: 'error', message: `${name} failed`, error: String(err) })))
        .finally(() => {
          if (timer) timer = setTimeout(tick, intervalMs);
        });
    };
    timer = setTimeout(tick, firstAfterMs);
  }
  return {
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}

/** Creates the lease timers' schedule group, as the CDK app does; a restart finds it there. */
async function ensureScheduleGroup(url: string, name: string): Promise<void> {
  const client = new SchedulerClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new CreateScheduleGroupCommand({ Name: name }));
  } catch (err) {
    if ((err as { name?: unknown }).name !== 'ConflictException') throw err;
  } finally {
    client.destroy();
  }
}

/** Creates both state machines from the one set of ASL files, substituted as CDK would. */
async function createStateMachines(sfnUrl: string, timings: Record<string, string>): Promise<{ provision: string; teardown: string }> {
  const client = new SFNClient({ endpoint: sfnUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const substitutions: Record<string, string> = { ...timings };
  for (const [group, def] of Object.entries(STEP_GROUPS)) substitutions[def.substitution] = stepFunctionArn(group as StepGroup);
  const create = async (name: 'provision' | 'teardown') => {
    const definition = substitute(readFileSync(resolve(ROOT, STATE_MACHINES[name].file), 'utf8'), substitutions);
    const out = await client.send(
      new CreateStateMachineCommand({ name: `plexsphere-local-${name}`, definition, roleArn: 'arn:aws:iam::000000000000:role/local' }),
    );
    return out.stateMachineArn as string;
  };
  const [provision, teardown] = await Promise.all([create('provision'), create('teardown')]);
  client.destroy();
  return { provision, teardown };
}
