import { type BenchClient, runConcurrent } from './client.ts';
import { approvedProject, type Catalog, createBody, enteredAt, type ResourceView, untilAll } from './lifecycle.ts';
import type { Table } from './report.ts';
import { type Summary, summarize } from './stats.ts';

// Governed spend's figures: what admission costs when the assignment carries terms (the create's
// own latency, and a dry run's), and how late the broker acts on leases that run out together:
// from each lease's `expires_at` to the Deregistering its Resource recorded. Real time throughout:
// the lease timers fire on their own (the local scheduler), not on a clock the bench moves.

export interface GovernanceFigures {
  admission: Array<{ series: string; concurrency: number } & Summary>;
  leaseExpiry: { resources: number; leaseSeconds: number; lagMs: Summary; lastDeregisteringAfterFirstExpiryMs: number };
}

interface LeasedView extends ResourceView {
  lease: { expires_at: string; max_expires_at: string | null };
  created_at: string;
}

export async function governanceTable(
  client: BenchClient,
  cat: Catalog,
  opts: { suffix: string; creates: number; dryRuns: number; concurrency: readonly number[]; leased: number; leaseSeconds: number },
  progress: (msg: string) => void,
  table: Table,
): Promise<GovernanceFigures> {
  const terms = { max_live_resources: 10_000, max_lease_seconds: 3600, allowed_blueprint_version_ids: [cat.versionId] };
  const admission: GovernanceFigures['admission'] = [];

  progress('admission with terms: dry runs');
  const planned = (await approvedProject(client, cat, `bench-terms-plan-${opts.suffix}`, terms)).projectId;
  for (const c of opts.concurrency) {
    const samples = await runConcurrent(opts.dryRuns, c, async () => {
      const r = await client.expect<{ allowed: boolean }>(200, 'admin', 'POST', `/v1/projects/${planned}/resources?dry_run=true`, createBody(cat));
      if (!r.body.allowed) throw new Error('a dry run the terms should allow was refused');
      return r.ms;
    });
    admission.push({ series: 'dry run (terms, quota as read)', concurrency: c, ...summarize(samples) });
  }

  progress('admission with terms: creates');
  const governed = (await approvedProject(client, cat, `bench-terms-create-${opts.suffix}`, terms)).projectId;
  const created: string[] = [];
  for (const c of opts.concurrency) {
    const samples = await runConcurrent(opts.creates, c, async () => {
      const r = await client.expect<{ id: string }>(202, 'admin', 'POST', `/v1/projects/${governed}/resources`, { ...createBody(cat), lease_seconds: 3600 });
      created.push(r.body.id);
      return r.ms;
    });
    admission.push({ series: 'create (terms, slot taken, lease armed)', concurrency: c, ...summarize(samples) });
  }
  await untilAll(client, governed, created, 'Ready', { intervalMs: 500, timeoutMs: 600_000 });
  await runConcurrent(created.length, 16, async (i) => (await client.call('admin', 'DELETE', `/v1/resources/${created[i]}`)).ms);
  await untilAll(client, governed, created, 'Deleted', { intervalMs: 500, timeoutMs: 600_000 });

  progress(`lease expiry: ${opts.leased} Resources with a ${opts.leaseSeconds} s lease, created together`);
  const leasedProject = (await approvedProject(client, cat, `bench-leases-${opts.suffix}`, terms)).projectId;
  const leased = await Promise.all(
    Array.from({ length: opts.leased }, async () => {
      const r = await client.expect<LeasedView>(202, 'admin', 'POST', `/v1/projects/${leasedProject}/resources`, {
        ...createBody(cat),
        lease_seconds: opts.leaseSeconds,
      });
      return r.body;
    }),
  );
  const ids = leased.map((r) => r.id);
  const gone = await untilAll(client, leasedProject, ids, 'Deleted', { intervalMs: 500, timeoutMs: 600_000 });
  const expiries = leased.map((r) => Date.parse(r.lease.expires_at));
  const deregistering = ids.map((id) => enteredAt(gone.get(id) as ResourceView, 'Deregistering'));
  const lagMs = summarize(deregistering.map((at, i) => at - (expiries[i] as number)));
  const leaseExpiry = {
    resources: opts.leased,
    leaseSeconds: opts.leaseSeconds,
    lagMs,
    lastDeregisteringAfterFirstExpiryMs: Math.max(...deregistering) - Math.min(...expiries),
  };

  const ms = (x: number) => x.toFixed(1);
  table(
    'Admission under terms (client side, ms)',
    ['series', 'conc', 'n', 'p50', 'p99', 'max'],
    admission.map((a) => [a.series, a.concurrency, a.n, ms(a.p50), ms(a.p99), ms(a.max)]),
  );
  table(
    `Lease expiry: ${opts.leased} Resources whose leases (${opts.leaseSeconds} s) run out together`,
    ['figure', 'value'],
    [
      ['expires_at → Deregistering, p50', `${Math.round(lagMs.p50)} ms`],
      ['expires_at → Deregistering, p99', `${Math.round(lagMs.p99)} ms`],
      ['expires_at → Deregistering, max', `${Math.round(lagMs.max)} ms`],
      ['first lease end → last Deregistering', `${Math.round(leaseExpiry.lastDeregisteringAfterFirstExpiryMs)} ms`],
    ],
  );
  return { admission, leaseExpiry };
}
