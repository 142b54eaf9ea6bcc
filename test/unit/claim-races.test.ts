import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { STALE_CLAIM_MS } from '../../functions/adapters/catalog-store.ts';
import { assignmentKeys, keys } from '../../functions/adapters/dynamo/keys.ts';
import { documentClient, Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoTenancyStore } from '../../functions/adapters/tenancy-store.ts';
import { type AssignmentPorts, decide, requestAssignment, usableHandle } from '../../functions/core/assignments.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { actorOf, assignmentPorts, IDS } from '../support/assignment-ports.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// Races on claim items, interleaved deterministically: a table wrapper runs a hook (or waits on a
// gate) just before one chosen call of one request, so the other request runs in between. The
// stores are the real adapters against dynalite.

type Key = { PK: string; SK: string };
type Op = 'get' | 'put' | 'putNew' | 'update';

/** A Table whose next matching call first runs a one-shot hook. */
class HookedTable extends Table {
  private hooks: { op: Op; pk: string; run: () => Promise<void> }[] = [];

  /** Before the next `op` on an item whose PK starts with `pk`, run `hook`. */
  before(op: Op, pk: string, run: () => Promise<void>): void {
    this.hooks.push({ op, pk, run });
  }

  private async fire(op: Op, pk: unknown): Promise<void> {
    const at = this.hooks.findIndex((h) => h.op === op && String(pk).startsWith(h.pk));
    if (at < 0) return;
    const [hook] = this.hooks.splice(at, 1);
    await hook?.run();
  }

  override async get<S extends z.ZodType>(key: Key, schema: S): Promise<z.infer<S> | undefined> {
    await this.fire('get', key.PK);
    return super.get(key, schema);
  }

  override async putNew(item: Key & Record<string, unknown>): Promise<boolean> {
    await this.fire('putNew', item.PK);
    return super.putNew(item);
  }

  override async put(item: Key & Record<string, unknown>): Promise<void> {
    await this.fire('put', item.PK);
    return super.put(item);
  }

  override async update(input: Parameters<Table['update']>[0]): Promise<Record<string, unknown> | undefined> {
    await this.fire('update', (input.Key as Key | undefined)?.PK);
    return super.update(input);
  }
}

/** A promise gate: `wait` (the paused request) signals `reached` and blocks until `open`. */
function gate() {
  let open!: () => void;
  let signal!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    signal = resolve;
  });
  return {
    reached,
    open,
    wait: async () => {
      signal();
      await opened;
    },
  };
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; name?: string; extra?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string };
  }
  throw new Error('expected a failure');
}

const { DOMAIN, OWNER, REQUESTER, PROJECT, CREDENTIAL } = IDS;

let dynamo: TestDynamo;
let tableName: string;
let t: number;
const clock = { now: () => new Date(t) };

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});
beforeEach(async () => {
  tableName = await dynamo.freshTableName('claims');
  t = Date.parse('2026-06-01T00:00:00.000Z');
});

describe('project slug claims', () => {
  const A = '019100a0-0e00-7000-8000-00000000000a';
  const B = '019100a0-0e00-7000-8000-00000000000b';
  const project = (id: string): Project => ({
    id,
    domain_id: DOMAIN,
    name: id,
    slug: 'same',
    owner_id: OWNER,
    resource_count: 0,
    created_at: '2026-06-01T00:00:00.000Z',
    updated_at: '2026-06-01T00:00:00.000Z',
  });
  const plain = () => new DynamoTenancyStore(new Table(tableName, documentClient()), clock);
  const projectsWithSlug = async () =>
    (await plain().listProjects(DOMAIN, { limit: 100 }, () => true)).items.filter((p) => p.slug === 'same').map((p) => p.id);

  it('refuses the second of two concurrent creates while the first has claimed but not yet written', async () => {
    const paused = gate();
    const tableA = new HookedTable(tableName, documentClient());
    tableA.before('putNew', 'PROJECT#', paused.wait);
    const creatingA = new DynamoTenancyStore(tableA, clock).createProject(project(A));
    await paused.reached; // A holds the slug claim; its project item is not written yet.

    expect((await failure(plain().createProject(project(B)))).code).toBe('project_slug_conflict');
    paused.open();
    await creatingA;
    expect(await projectsWithSlug()).toEqual([A]);
    expect(await plain().getProject(B)).toBeUndefined();
  });

  it('rolls back the first writer when its stale claim was taken over before it wrote', async () => {
    const paused = gate();
    const tableA = new HookedTable(tableName, documentClient());
    tableA.before('putNew', 'PROJECT#', paused.wait);
    const creatingA = new DynamoTenancyStore(tableA, clock).createProject(project(A));
    await paused.reached;

    // Long enough later that A's claim looks like a crash's leftover: B takes it over and wins.
    t += STALE_CLAIM_MS + 1;
    await plain().createProject(project(B));
    paused.open();
    expect((await failure(creatingA)).code).toBe('project_slug_conflict');
    expect(await projectsWithSlug()).toEqual([B]);
    expect(await plain().getProject(A)).toBeUndefined();
    expect(await new Table(tableName, documentClient()).getRaw(keys.projectSlug(DOMAIN, 'same'))).toMatchObject({ id: B });
  });

  it('gives a stale claim back when its holder’s project appears while it is being taken over', async () => {
    const paused = gate();
    const tableA = new HookedTable(tableName, documentClient());
    tableA.before('putNew', 'PROJECT#', paused.wait);
    const creatingA = new DynamoTenancyStore(tableA, clock).createProject(project(A));
    await paused.reached;
    t += STALE_CLAIM_MS + 1;

    // B has seen A's claim stale and A's project missing; A finishes before B's takeover lands.
    const tableB = new HookedTable(tableName, documentClient());
    tableB.before('update', 'PROJECTSLUG#', async () => {
      paused.open();
      await creatingA;
    });
    // (A blind takeover would be a plain put rather than a conditional update: pause either.)
    tableB.before('put', 'PROJECTSLUG#', async () => {
      paused.open();
      await creatingA;
    });
    const outcomeB = await Promise.allSettled([new DynamoTenancyStore(tableB, clock).createProject(project(B))]);
    expect(outcomeB[0]).toMatchObject({ status: 'rejected', reason: { code: 'project_slug_conflict' } });
    expect(await projectsWithSlug()).toEqual([A]);
    expect(await new Table(tableName, documentClient()).getRaw(keys.projectSlug(DOMAIN, 'same'))).toMatchObject({ id: A });
  });
});

describe('live assignment claims', () => {
  /** The ports of one request, over its own (possibly hooked) table. */
  const portsOver = (table: Table) => assignmentPorts(table, clock);
  const plain = () => portsOver(new Table(tableName, documentClient()));
  const request = (ports: AssignmentPorts) => requestAssignment(ports, actorOf(REQUESTER), PROJECT, { cloud_credential_id: CREDENTIAL });
  const liveIds = async () =>
    (await plain().assignments.listByProject(PROJECT, { limit: 100 })).items.filter((a) => a.state === 'requested' || a.state === 'approved').map((a) => a.id);

  it('lets only the first of two concurrent requests become live, and approving it makes it usable', async () => {
    const paused = gate();
    const tableA = new HookedTable(tableName, documentClient());
    tableA.before('putNew', 'ASSIGNMENT#', paused.wait);
    const requestingA = request(portsOver(tableA));
    await paused.reached; // A holds the live claim; its assignment item is not written yet.

    const refused = await failure(request(plain()));
    expect(refused.code).toBe('duplicate_live_assignment');
    paused.open();
    const a = await requestingA;
    expect(refused.extra?.existing_assignment_id).toBe(a.id);
    expect(await liveIds()).toEqual([a.id]);

    await decide(plain(), actorOf(OWNER), a.id, 'approve');
    const usable = await usableHandle(plain(), PROJECT, CREDENTIAL);
    expect(usable.assignment.id).toBe(a.id);
    expect(usable.handle).toEqual({ secret_arn: 'arn:secret', version_id: 'v1' });
  });

  it('rolls back the first request when its stale claim was taken over before it wrote', async () => {
    const paused = gate();
    const tableA = new HookedTable(tableName, documentClient());
    tableA.before('putNew', 'ASSIGNMENT#', paused.wait);
    const requestingA = request(portsOver(tableA));
    await paused.reached;

    t += STALE_CLAIM_MS + 1;
    const b = await request(plain());
    paused.open();
    expect((await failure(requestingA)).code).toBe('duplicate_live_assignment');
    expect(await liveIds()).toEqual([b.id]);
    expect((await plain().assignments.findLive(PROJECT, CREDENTIAL))?.id).toBe(b.id);
  });

  it('takes the slot when the claim vanishes between the failed claim and the read of its holder', async () => {
    const first = await request(plain());
    const tableB = new HookedTable(tableName, documentClient());
    // Between B's failed claim and its read of the holder, the first request is rejected, which
    // releases the claim: B finds no claim at all.
    tableB.before('get', 'LIVEASSIGN#', async () => {
      await decide(plain(), actorOf(OWNER), first.id, 'reject', 'not now');
      expect(await new Table(tableName, documentClient()).getRaw(assignmentKeys.live(PROJECT, CREDENTIAL))).toBeUndefined();
    });
    const b = await request(portsOver(tableB));
    expect(await liveIds()).toEqual([b.id]);
    expect((await plain().assignments.findLive(PROJECT, CREDENTIAL))?.id).toBe(b.id);
  });
});
