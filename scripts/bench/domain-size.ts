import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { resourceKeys } from '../../functions/adapters/dynamo/keys.ts';
import { DynamoNodeStore } from '../../functions/adapters/node-store.ts';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { newId } from '../../functions/core/ids.ts';
import { deps } from '../../functions/shared/composition.ts';
import type { TestStack } from '../../test/support/stack.ts';
import { nodeResource } from '../node-fixtures.ts';
import { runConcurrent } from './client.ts';
import { diff, snapshot, sum } from './counters.ts';
import type { Table } from './report.ts';
import { type Summary, summarize } from './stats.ts';

// The "domain size" figures: what one node's state pull costs in a domain of N nodes. The nodes
// are written straight into the table (a Ready Resource with its node, and the node's pointer),
// as a table written before peer snapshots would hold them; no agents run.

/** What the local DynamoDB answered while a piece of work ran. */
export interface ReadCost {
  requests: number;
  bytes: number;
  byOperation: Record<string, number>;
}

export interface DomainSizeRow {
  nodes: number;
  seedSeconds: number;
  /** The first pull of the domain: it completes the snapshot from the node list, once. */
  completing: ReadCost;
  /** A pull with nothing changed, by a node this container has seen before. */
  unchanged: ReadCost;
  /** After one peer was revoked: the first pull (reads the snapshot), then each other node's. */
  afterChangeFirst: ReadCost;
  afterChangeEach: ReadCost;
  /** The same domain read the way every pull read it before snapshots: the node list and every Resource. */
  listingEveryNode: ReadCost;
  /** Latency of unchanged pulls answered 304 (If-None-Match) and 200 (the whole peer list). */
  notModifiedMs: Summary;
  fullMs: Summary;
  fullBodyBytes: number;
}

async function costOf(stack: TestStack, work: () => Promise<unknown>, times = 1): Promise<ReadCost> {
  const before = snapshot(stack);
  await work();
  const { dynamoByOperation: ops, dynamoBytesByOperation: bytes } = diff(before, snapshot(stack));
  const per = (x: number) => Math.round((x / times) * 100) / 100;
  return {
    requests: per(sum(ops)),
    bytes: per(sum(bytes ?? {})),
    byOperation: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, per(v)])),
  };
}

/** Writes `count` Ready nodes of a new domain, 25 items a request; returns their ids and a shared NSK. */
async function seedDomain(count: number): Promise<{ domainId: string; nodeIds: string[]; resourceIds: string[]; nsk: string }> {
  const d = deps();
  const domainId = newId();
  const projectId = newId();
  const { nsk, hash } = d.nodeSecrets.issueNsk();
  const at = new Date().toISOString();
  const items: Array<Record<string, unknown>> = [];
  const nodeIds: string[] = [];
  const resourceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newId();
    const nodeId = newId();
    // 100.64.0.0/10 holds them all: 4 million hosts.
    const meshIp = `100.${64 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
    const publicKey = Buffer.alloc(32, i % 251).toString('base64');
    nodeIds.push(nodeId);
    resourceIds.push(id);
    items.push({
      ...resourceKeys.resource(id),
      ...nodeResource({ id, projectId, domainId, createdBy: newId() }, at),
      provisioning: { phase: 'Ready', generation: 1, run: 'provision', provisioned_resource_id: newId(), reason: 'Seeded by the bench.', transitions: [] },
      node: { node_id: nodeId, mesh_ip: meshIp, public_key: publicKey, nsk_hash: hash, registered_at: at, first_heartbeat_at: at, last_heartbeat_at: at },
    });
    items.push({
      ...resourceKeys.node(nodeId),
      ...resourceKeys.domainNodes(domainId),
      GSI1SK: nodeId,
      id: nodeId,
      node_id: nodeId,
      resource_id: id,
      project_id: projectId,
      domain_id: domainId,
      mesh_ip: meshIp,
    });
  }
  const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
  await runConcurrent(batches.length, 8, async (i) => {
    let pending = (batches[i] ?? []).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const out = await d.table.client.send(new BatchWriteCommand({ RequestItems: { [d.table.name]: pending } }));
      pending = (out.UnprocessedItems?.[d.table.name] ?? []) as typeof pending;
    }
    return 0;
  });
  return { domainId, nodeIds, resourceIds, nsk };
}

async function domainSizeRow(stack: TestStack, count: number, samples: number, progress: (msg: string) => void): Promise<DomainSizeRow> {
  progress(`domain size ${count}: seeding ${count} nodes`);
  const started = performance.now();
  const seeded = await seedDomain(count);
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  const pull = async (index: number, headers: Record<string, string> = {}) => {
    const nodeId = seeded.nodeIds[index % count] as string;
    const authorization = `Bearer ${formatNskBearer('local', nodeId, seeded.nsk)}`;
    const res = await stack.call(null, 'GET', `/v1/nodes/${nodeId}/state`, undefined, { authorization, ...headers });
    if (res.status !== 200 && res.status !== 304) throw new Error(`state pull answered ${res.status}: ${res.text.slice(0, 200)}`);
    return res;
  };
  // The last node is the one revoked below: it is never sampled.
  const sampled = Math.min(samples, count - 1);

  progress(`domain size ${count}: the first pull completes the snapshot`);
  const completing = await costOf(stack, () => pull(0));
  // Every sampled node pulls once, so its pointer is known here as in a warm container.
  await runConcurrent(sampled, 4, async (i) => (await pull(i)).status);
  const unchanged = await costOf(stack, () => runConcurrent(sampled, 4, async (i) => (await pull(i)).status), sampled);
  const listingEveryNode = await costOf(stack, () => new DynamoNodeStore(deps().table).domainNodes(seeded.domainId));

  progress(`domain size ${count}: latency of ${sampled} unchanged pulls, 304 and 200`);
  const etag = (await pull(1)).headers.get('etag') ?? '';
  const timed = async (i: number, headers?: Record<string, string>) => {
    const t = performance.now();
    await pull(i, headers);
    return performance.now() - t;
  };
  const notModifiedMs = summarize(await runConcurrent(sampled, 4, () => timed(1, { 'if-none-match': etag })));
  const fullMs = summarize(await runConcurrent(sampled, 4, (i) => timed(i)));
  const fullBodyBytes = Buffer.byteLength((await pull(1)).text);

  progress(`domain size ${count}: one peer revoked, then pulls`);
  await deps().resources.revokeCredentials(seeded.resourceIds[count - 1] as string, new Date().toISOString());
  const afterChangeFirst = await costOf(stack, () => pull(0));
  const afterChangeEach = await costOf(stack, () => runConcurrent(sampled - 1, 4, async (i) => (await pull(i + 1)).status), sampled - 1);
  return { nodes: count, seedSeconds, completing, unchanged, afterChangeFirst, afterChangeEach, listingEveryNode, notModifiedMs, fullMs, fullBodyBytes };
}

/** Runs the domain-size series and prints its table. */
export async function domainSizeTable(
  stack: TestStack,
  sizes: readonly number[],
  samples: number,
  progress: (msg: string) => void,
  print: Table,
): Promise<DomainSizeRow[]> {
  const rows: DomainSizeRow[] = [];
  for (const n of sizes) rows.push(await domainSizeRow(stack, n, samples, progress));
  const cost = (c: ReadCost) => `${c.requests} / ${(c.bytes / 1024).toFixed(1)} KiB`;
  print(
    `Domain size: one state pull, DynamoDB requests / bytes read (means over ${samples} sampled nodes; nodes seeded into the table)`,
    ['nodes', 'unchanged', 'after 1 change: first', 'after 1 change: each other', 'completing (once)', 'node list + every Resource (before)', '304 p50/p99 ms', '200 p50/p99 ms', '200 body KiB'],
    rows.map((r) => [
      r.nodes,
      cost(r.unchanged),
      cost(r.afterChangeFirst),
      cost(r.afterChangeEach),
      cost(r.completing),
      cost(r.listingEveryNode),
      `${r.notModifiedMs.p50.toFixed(1)} / ${r.notModifiedMs.p99.toFixed(1)}`,
      `${r.fullMs.p50.toFixed(1)} / ${r.fullMs.p99.toFixed(1)}`,
      (r.fullBodyBytes / 1024).toFixed(0),
    ]),
  );
  console.log('  (all N nodes pulling once after a change: the first pull above, plus N − 1 times "each other"; one process stands for one warm Lambda container)');
  return rows;
}
