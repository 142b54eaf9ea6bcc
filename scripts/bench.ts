// `npm run bench [-- --quick] [-- --out=<dir>]`: starts a fresh embedded stack, measures the figures
// of issue 7, prints them against the budgets and writes them as JSON. See scripts/bench/README-bench.md.
import { join } from 'node:path';
import { ESBUILD_TARGET } from '../infra/node-line.ts';
import { startTestStack } from '../test/support/stack.ts';
import { FIXTURES } from './fixtures.ts';
import { BUDGETS, check, type Verdict } from './bench/budgets.ts';
import { buildBundles, coldInits } from './bench/bundles.ts';
import { BenchClient, runConcurrent } from './bench/client.ts';
import { coldRequests } from './bench/cold-requests.ts';
import { consoleTable } from './bench/console.ts';
import { domainSizeTable } from './bench/domain-size.ts';
import { governanceTable } from './bench/governance.ts';
import { eventWriteTable } from './bench/events.ts';
import { webhookLagTable } from './bench/webhook-lag.ts';
import { type CloudCounters, diff, snapshot, sum } from './bench/counters.ts';
import { approvedProject, catalog, createResource, deleteResource, enteredAt, untilAll, untilPhase } from './bench/lifecycle.ts';
import { parseArgs } from './bench/options.ts';
import { table, verdicts, writeJson } from './bench/report.ts';
import { sampleRss } from './bench/rss.ts';
import { type Summary, summarize } from './bench/stats.ts';

const t0 = performance.now();
const args = parseArgs(process.argv.slice(2));
const progress = (msg: string) => process.stderr.write(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

// Shortened the way the e2e tests shorten them; printed and recorded with the figures. The heartbeat
// is 2 s, not the tests' 0.5 s: with 100 agents in this one process, 200 heartbeats a second would
// saturate it and the figures would measure the agents, not the broker.
const SETTINGS = {
  heartbeatIntervalMs: 2000,
  reconcileIntervalMs: 0,
  timings: { SubstratePollSeconds: '1', DrainPollSeconds: '1', EnrolTimeoutSeconds: '300' },
  env: { LOG_LEVEL: 'silent' },
};

const MiB = 1024 * 1024;
const suffix = Date.now().toString(36);

progress(`starting a fresh embedded stack (${args.quick ? 'quick' : 'full'} run)`);
const stack = await startTestStack(SETTINGS.env, {
  heartbeatIntervalMs: SETTINGS.heartbeatIntervalMs,
  reconcileIntervalMs: SETTINGS.reconcileIntervalMs,
  timings: SETTINGS.timings,
});
try {
  const client = new BenchClient(stack);
  await client.warm();
  const cat = await catalog(client);
  const single = await approvedProject(client, cat, `bench-single-${suffix}`);

  // ---- one Resource at a time: create → Ready → Deleted, with what it cost the local cloud ----
  const latency: Array<{ route: string; concurrency: number; perSecond: number } & Summary> = [];
  const series = async (total: number, concurrency: number, one: (i: number) => Promise<number>) => {
    const started = performance.now();
    const samples = await runConcurrent(total, concurrency, one);
    return { ...summarize(samples), perSecond: Math.round(total / ((performance.now() - started) / 1000)) };
  };
  const singles: Array<{
    id: string;
    generation: number;
    readyMs: number;
    deletedMs: number;
    provision: CloudCounters;
    provisionPolls: number;
    teardown: CloudCounters;
    teardownPolls: number;
  }> = [];
  for (let i = 0; i < args.singleRuns; i++) {
    progress(`single Resource ${i + 1}/${args.singleRuns}: create → Ready`);
    const before = snapshot(stack);
    const calls0 = client.calls;
    const created = await createResource(client, cat, single.projectId);
    const ready = await untilPhase(client, created.id, 'Ready', { intervalMs: 50, timeoutMs: 60_000 });
    const provision = diff(before, snapshot(stack));
    const provisionPolls = client.calls - calls0 - 1;

    if (i === 0) {
      progress('API latency (GET resource, GET blueprint)');
      const paths = { 'GET /v1/resources/{id}': `/v1/resources/${created.id}`, 'GET /v1/blueprints/{id}': `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}` };
      for (const [route, path] of Object.entries(paths)) {
        const who = route.includes('blueprints') ? 'operator' : 'admin';
        await runConcurrent(20, 4, async () => (await client.expect(200, who, 'GET', path)).ms);
        for (const c of args.concurrency) {
          latency.push({ route, concurrency: c, ...(await series(args.getRequests, c, async () => (await client.expect(200, who, 'GET', path)).ms)) });
        }
      }
    }

    progress(`single Resource ${i + 1}/${args.singleRuns}: delete → Deleted`);
    const beforeTeardown = snapshot(stack);
    const calls1 = client.calls;
    const deleted = await deleteResource(client, created.id);
    const gone = await untilPhase(client, created.id, 'Deleted', { intervalMs: 50, timeoutMs: 60_000 });
    singles.push({
      id: created.id,
      generation: gone.provisioning.generation,
      readyMs: enteredAt(ready, 'Ready') - created.acceptedAt,
      deletedMs: enteredAt(gone, 'Deleted') - deleted.acceptedAt,
      provision,
      provisionPolls,
      teardown: diff(beforeTeardown, snapshot(stack)),
      teardownPolls: client.calls - calls1 - 1,
    });
  }
  const firstSingle = singles[0];
  if (!firstSingle) throw new Error('no single run');

  // What one of the bench's own polls costs, measured while nothing else runs, to take the polling out.
  const quietBefore = snapshot(stack);
  const QUIET = 20;
  for (let i = 0; i < QUIET; i++) await client.expect(200, 'admin', 'GET', `/v1/resources/${firstSingle.id}`);
  const quiet = diff(quietBefore, snapshot(stack));
  const dynamoPerPoll = quiet.dynamoRequests / QUIET;
  const perResource = (pick: 'provision' | 'teardown') => {
    const runs = singles.map((s) => {
      const c = s[pick];
      const polls = pick === 'provision' ? s.provisionPolls : s.teardownPolls;
      return {
        stateTransitions: c.stateTransitions,
        stepInvocations: sum(c.stepInvocations),
        apiInvocations: sum(c.apiInvocations) - polls,
        dynamoRequests: c.dynamoRequests - polls * dynamoPerPoll,
        ec2Requests: c.ec2Requests,
      };
    });
    const mean = (k: keyof (typeof runs)[number]) => Math.round((runs.reduce((a, r) => a + r[k], 0) / runs.length) * 10) / 10;
    return {
      stateTransitions: mean('stateTransitions'),
      lambdaInvocations: Math.round((mean('stepInvocations') + mean('apiInvocations')) * 10) / 10,
      stepInvocations: mean('stepInvocations'),
      apiInvocations: mean('apiInvocations'),
      dynamoRequests: mean('dynamoRequests'),
      ec2Requests: mean('ec2Requests'),
      firstRunRaw: singles[0]?.[pick],
    };
  };
  const provisionCost = perResource('provision');
  const teardownCost = perResource('teardown');

  // ---- create latency: each create starts a provision; they are torn down before the burst ----
  const createProject = await approvedProject(client, cat, `bench-create-${suffix}`);
  const createdIds: string[] = [];
  for (const c of args.concurrency) {
    progress(`API latency (create) at concurrency ${c}`);
    const figures = await series(args.createRequests, c, async () => {
      const r = await createResource(client, cat, createProject.projectId);
      createdIds.push(r.id);
      return r.ms;
    });
    latency.push({ route: 'POST /v1/projects/{id}/resources', concurrency: c, ...figures });
  }
  progress(`cleaning up ${createdIds.length} Resources from the create series`);
  await untilAll(client, createProject.projectId, createdIds, 'Ready', { intervalMs: 500, timeoutMs: 600_000 });
  await runConcurrent(createdIds.length, 16, async (i) => (await client.call('admin', 'DELETE', `/v1/resources/${createdIds[i]}`)).ms);
  await untilAll(client, createProject.projectId, createdIds, 'Deleted', { intervalMs: 500, timeoutMs: 600_000 });

  // ---- the burst: N Resources created at once ----
  const burstProject = await approvedProject(client, cat, `bench-burst-${suffix}`);
  progress(`burst: ${args.burst} Resources created at once`);
  const rssIdle = process.memoryUsage.rss();
  const rss = sampleRss();
  const burstBefore = snapshot(stack);
  const burstCalls0 = client.calls;
  const burstStart = Date.now();
  const accepted = await Promise.all(Array.from({ length: args.burst }, () => createResource(client, cat, burstProject.projectId)));
  const ids = accepted.map((a) => a.id);
  const readyViews = await untilAll(client, burstProject.projectId, ids, 'Ready', { intervalMs: 250, timeoutMs: 300_000 });
  const burstProvision = diff(burstBefore, snapshot(stack));
  const burstPolls = client.calls - burstCalls0 - args.burst;
  const readyAt = accepted.map((a) => enteredAt(readyViews.get(a.id) as never, 'Ready'));
  const burstReadyMs = accepted.map((a, i) => (readyAt[i] as number) - a.acceptedAt);
  const allReadyMs = Math.max(...readyAt) - burstStart;

  progress(`burst: ${args.burst} Resources deleted at once`);
  const delStart = Date.now();
  const delAccepted = await Promise.all(ids.map((id) => deleteResource(client, id)));
  const goneViews = await untilAll(client, burstProject.projectId, ids, 'Deleted', { intervalMs: 250, timeoutMs: 300_000 });
  const deletedAt = ids.map((id) => enteredAt(goneViews.get(id) as never, 'Deleted'));
  const burstDeletedMs = delAccepted.map((d, i) => (deletedAt[i] as number) - d.acceptedAt);
  const allDeletedMs = Math.max(...deletedAt) - delStart;
  const peak = rss.stop();

  // ---- bundles and cold starts, against the (now quiet) running stack ----
  progress('bundling the function groups (esbuild)');
  const outDir = join(process.cwd(), args.outDir);
  const bundles = await buildBundles(outDir);
  progress('cold starts: each bundle in a fresh node process, one request');
  const cold = await coldInits(
    outDir,
    coldRequests({
      operatorToken: await stack.tokenFor('operator'),
      adminToken: await stack.tokenFor('admin'),
      projectId: single.projectId,
      resourceId: firstSingle.id,
      generation: firstSingle.generation,
    }),
    args.coldRuns,
    bundles,
  );

  // ---- report ----
  const ms = (x: number) => Math.round(x);
  const singleReady = summarize(singles.map((s) => s.readyMs));
  const singleDeleted = summarize(singles.map((s) => s.deletedMs));
  const burstReady = summarize(burstReadyMs);
  const burstDeleted = summarize(burstDeletedMs);
  const readyPerSecond = Math.round((args.burst / (allReadyMs / 1000)) * 100) / 100;

  table(
    'Stack settings (shortened as the e2e tests do)',
    ['setting', 'value'],
    [
      ['node agent heartbeat', `${SETTINGS.heartbeatIntervalMs} ms (HEARTBEAT_INTERVAL_SECONDS=${process.env.HEARTBEAT_INTERVAL_SECONDS})`],
      ['SubstratePollSeconds / DrainPollSeconds', `${SETTINGS.timings.SubstratePollSeconds} s / ${SETTINGS.timings.DrainPollSeconds} s`],
      ['reconciler timer', 'off'],
      ['machine', `${process.version}, ${(await import('node:os')).availableParallelism()} CPUs`],
    ],
  );
  table(
    'API latency (client side, keep-alive, ms)',
    ['route', 'conc', 'n', 'p50', 'p99', 'max', 'req/s'],
    latency.map((l) => [l.route, l.concurrency, l.n, l.p50.toFixed(1), l.p99.toFixed(1), l.max.toFixed(1), l.perSecond]),
  );
  table(
    'Lifecycle (from the 202 to the phase the Resource recorded, ms)',
    ['series', 'n', 'p50', 'p95', 'max'],
    [
      ['one Resource: create → Ready', singleReady.n, ms(singleReady.p50), ms(singleReady.p95), ms(singleReady.max)],
      ['one Resource: delete → Deleted', singleDeleted.n, ms(singleDeleted.p50), ms(singleDeleted.p95), ms(singleDeleted.max)],
      [`${args.burst} at once: create → Ready`, burstReady.n, ms(burstReady.p50), ms(burstReady.p95), ms(burstReady.max)],
      [`${args.burst} at once: delete → Deleted`, burstDeleted.n, ms(burstDeleted.p50), ms(burstDeleted.p95), ms(burstDeleted.max)],
    ],
  );
  table(
    `Burst of ${args.burst}`,
    ['figure', 'value'],
    [
      ['first create sent → last Ready', `${ms(allReadyMs)} ms`],
      ['Resources Ready per second', readyPerSecond],
      ['first delete sent → last Deleted', `${ms(allDeletedMs)} ms`],
      [
        'per Resource while provisioning (raw)',
        `${Math.round(burstProvision.dynamoRequests / args.burst)} DynamoDB requests, ${Math.round((sum(burstProvision.apiInvocations) + sum(burstProvision.stepInvocations)) / args.burst)} Lambda invocations (${burstPolls} list polls inside)`,
      ],
      ['peak RSS of the stack process', `${(peak.peakBytes / MiB).toFixed(0)} MiB (idle before: ${(rssIdle / MiB).toFixed(0)} MiB)`],
    ],
  );
  table(
    `Per Resource, counted by the local cloud (mean of ${singles.length} single run(s); the bench's polls taken out)`,
    ['arc', 'SFN transitions', 'Lambda invocations (api + steps)', 'DynamoDB requests', 'EC2 requests'],
    [
      ['provision', provisionCost.stateTransitions, `${provisionCost.lambdaInvocations} (${provisionCost.apiInvocations} + ${provisionCost.stepInvocations})`, provisionCost.dynamoRequests, provisionCost.ec2Requests],
      ['teardown', teardownCost.stateTransitions, `${teardownCost.lambdaInvocations} (${teardownCost.apiInvocations} + ${teardownCost.stepInvocations})`, teardownCost.dynamoRequests, teardownCost.ec2Requests],
    ],
  );
  console.log(`  (one poll GET /v1/resources/{id} = 1 invocation, ${dynamoPerPoll} DynamoDB requests; Lambda invocations include the node agent's register/heartbeats in the window)`);
  table(
    `Function groups: bundle (esbuild: bundle, minify, node, esm, ${ESBUILD_TARGET}; AWS SDK inside) and cold init (import + first request, median)`,
    ['group', 'JS KiB', 'cedar glue KiB', 'cedar wasm KiB', 'import ms', 'first req ms', 'cold init ms', 'warm req ms', 'cedar', 'first request'],
    bundles.map((b) => {
      const c = cold.find((x) => x.group === b.group);
      return [
        b.group,
        b.error ? 'error' : (b.jsBytes / 1024).toFixed(0),
        (b.cedarJsBytes / 1024).toFixed(0),
        (b.cedarWasmBytes / 1024).toFixed(0),
        c?.importMs?.toFixed(0) ?? '-',
        c?.firstRequestMs?.toFixed(0) ?? '-',
        c?.coldInitMs !== undefined ? c.coldInitMs.toFixed(0) : 'n/a',
        c?.secondRequestMs?.toFixed(1) ?? '-',
        c?.cedarDecided === undefined ? '-' : c.cedarDecided ? 'decided' : 'not loaded',
        `${c?.request ?? ''}${c?.status ? ` → ${c.status}` : ''}`,
      ];
    }),
  );
  for (const c of cold) if (c.unavailable) console.log(`  ${c.group}: cold init unavailable: ${c.unavailable}`);
  const domainSize = await domainSizeTable(stack, args.domainSizes, args.domainSamples, progress, table);
  const governance = await governanceTable(
    client,
    cat,
    { suffix, creates: args.createRequests, dryRuns: args.dryRuns, concurrency: args.concurrency, leased: args.leased, leaseSeconds: 60 },
    progress,
    table,
  );

  progress('event write overhead');
  const eventWrites = await eventWriteTable(stack, args.quick ? 100 : 500, table);
  progress('webhook delivery lag');
  const webhookLag = await webhookLagTable(client, cat, { suffix, resources: args.quick ? 5 : 20 }, table);

  progress('web console');
  const consoleFigures = await consoleTable(stack, args.quick ? 2 : 5, table);

  const list: Verdict[] = [];
  for (const l of latency.filter((x) => x.concurrency === 16 && x.route.startsWith('GET'))) {
    list.push(check(`${l.route} p99 @16`, l.p99, BUDGETS.getP99AtC16Ms, 'ms'));
  }
  list.push(check('one Resource create → Ready p50', singleReady.p50, BUDGETS.singleReadyP50Ms, 'ms'));
  list.push(
    check(`${args.burst} Resources all Ready`, allReadyMs, BUDGETS.burstAllReadyMs, 'ms', args.burst === 100 ? undefined : `budget is for 100; ran ${args.burst}`),
  );
  list.push(check('state transitions per provision', provisionCost.stateTransitions, BUDGETS.transitionsPerProvision, ''));
  for (const b of bundles) {
    const c = cold.find((x) => x.group === b.group);
    const substrate = b.group === 'substrate-steps';
    const note = b.group === 'provision-steps' ? 'API budget applied' : undefined;
    list.push(check(`${b.group} bundle (JS + cedar glue)`, b.error ? undefined : b.budgetedJsBytes, substrate ? BUDGETS.substrateBundleBytes : BUDGETS.apiBundleBytes, 'B', note));
    const coldNote = [note, c?.coldInitMs === undefined && 'unavailable, see above'].filter(Boolean).join('; ');
    list.push(check(`${b.group} cold init`, c?.coldInitMs, substrate ? BUDGETS.substrateColdInitMs : BUDGETS.apiColdInitMs, 'ms', coldNote || undefined));
  }
  list.push(check(`lease end → Deregistering p99 (${args.leased} together)`, governance.leaseExpiry.lagMs.p99, BUDGETS.leaseExpiryLagMs, 'ms'));
  list.push(check('console script + stylesheet, gzipped', consoleFigures.scriptGzipBytes + consoleFigures.stylesheetGzipBytes, BUDGETS.consoleGzipBytes, 'B'));
  list.push(check('console first page interactive (slowest visit)', Math.max(consoleFigures.signInInteractiveMs.max, consoleFigures.signedInInteractiveMs.max), BUDGETS.consoleInteractiveMs, 'ms'));
  verdicts(list);

  const path = writeJson(outDir, {
    at: new Date().toISOString(),
    quick: args.quick,
    machine: { node: process.version, cpus: (await import('node:os')).availableParallelism() },
    settings: SETTINGS,
    sizes: args,
    latency,
    lifecycle: {
      single: { createToReadyMs: singleReady, deleteToDeletedMs: singleDeleted, runs: singles.map((s) => ({ id: s.id, readyMs: s.readyMs, deletedMs: s.deletedMs })) },
      burst: {
        size: args.burst,
        createToReadyMs: burstReady,
        deleteToDeletedMs: burstDeleted,
        allReadyMs,
        allDeletedMs,
        readyPerSecond,
        countersDuringProvision: burstProvision,
        listPollsDuringProvision: burstPolls,
      },
    },
    perResource: { provision: provisionCost, teardown: teardownCost, pollCost: { apiInvocations: 1, dynamoRequests: dynamoPerPoll } },
    rss: { idleBeforeBurstBytes: rssIdle, peakDuringBurstBytes: peak.peakBytes, samples: peak.samples },
    bundles,
    coldInit: cold,
    domainSize,
    governance,
    events: { writes: eventWrites, webhookLag },
    console: consoleFigures,
    budgets: list,
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
  });
  console.log(`\nFigures written to ${path}`);
} finally {
  await stack.close();
}
progress('done');
