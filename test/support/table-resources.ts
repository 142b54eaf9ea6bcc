import { keys, listSortKey, resourceKeys } from '../../functions/adapters/dynamo/keys.ts';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoResourceStore } from '../../functions/adapters/resource-store.ts';
import {
  type Phase,
  type PhaseChange,
  PROVISION_PHASES,
  type Provisioning,
  type Resource,
  type ResourceStore,
  type SubstrateRef,
  TEARDOWN_PHASES,
} from '../../functions/core/resources.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { startTestDynamo, type TestDynamo } from './dynamo.ts';

// The real DynamoResourceStore over dynalite, with the conveniences the phase-step tests use on
// the in-memory store: so the fencing those tests check is the conditional writes' own.

/** A teardown's release of a node's pointer and mesh-IP claim, with the phase the stored Resource was in then. */
export interface ReleasedNode {
  resource_id: string;
  node_id: string;
  mesh_ip: string;
  phase: Phase | undefined;
}

/** A ResourceStore a test can seed and inspect directly, whichever store is under it. */
export interface TestResources extends ResourceStore {
  /** Stores the Resource as it is (no condition), and answers it. */
  put(r: Resource): Promise<Resource>;
  /** The stored Resource; throws when there is none. */
  at(id: string): Promise<Resource>;
  /** How many fenced writes answered undefined. */
  readonly refused: number;
  /** The nodes whose claims a teardown released, in order. */
  readonly released: ReleasedNode[];
}

const ACTIVE_PHASES = new Set<Phase>([...PROVISION_PHASES, ...TEARDOWN_PHASES]);

export class TableResources implements TestResources {
  refused = 0;
  readonly released: ReleasedNode[] = [];
  private readonly store: DynamoResourceStore;

  constructor(readonly table: Table) {
    this.store = new DynamoResourceStore(table);
  }

  async put(r: Resource): Promise<Resource> {
    // The keys the store's create writes: the item, its project's list, and the active index while a run is in flight.
    const active = r.provisioning !== undefined && ACTIVE_PHASES.has(r.provisioning.phase);
    const existed = await this.table.getRaw(resourceKeys.resource(r.id));
    await this.table.put({
      ...resourceKeys.resource(r.id),
      ...resourceKeys.projectList(r.project_id),
      GSI1SK: r.id,
      ...(active && { ...resourceKeys.active(), GSI2SK: r.id }),
      ...r,
    });
    // The store's transactions (Deleted uncounts the Resource) need its project, counting it.
    if (!existed) await this.countIn(r);
    return r;
  }

  async at(id: string): Promise<Resource> {
    const r = await this.store.get(id);
    if (!r) throw new Error(`no resource ${id}`);
    return r;
  }

  private async countIn(r: Resource): Promise<void> {
    const project: Project = {
      id: r.project_id,
      domain_id: r.domain_id,
      name: 'phase steps',
      slug: 'phase-steps',
      owner_id: r.created_by,
      resource_count: 0,
      created_at: r.created_at,
      updated_at: r.created_at,
    };
    await this.table.putNew({ ...keys.project(project.id), ...keys.projectList(project.domain_id), ...listSortKey(project.id), ...project });
    await this.table.update({ Key: keys.project(project.id), UpdateExpression: 'ADD resource_count :one', ExpressionAttributeValues: { ':one': 1 } });
  }

  private counted(r: Resource | undefined): Resource | undefined {
    if (r === undefined) this.refused++;
    return r;
  }

  create(resource: Resource, idempotency?: { key: string; requestHash: string }) {
    return this.store.create(resource, idempotency);
  }
  reservedId(projectId: string, key: string) {
    return this.store.reservedId(projectId, key);
  }
  get(id: string) {
    return this.store.get(id);
  }
  listByProject(projectId: string, page: Parameters<ResourceStore['listByProject']>[1]) {
    return this.store.listByProject(projectId, page);
  }
  listActive() {
    return this.store.listActive();
  }
  async changePhase(id: string, change: PhaseChange) {
    return this.counted(await this.store.changePhase(id, change));
  }
  async annotate(id: string, generation: number, fields: Partial<Pick<Provisioning, 'waiting_on' | 'substrate' | 'enrol_task_token' | 'reason'>>, at: string) {
    return this.counted(await this.store.annotate(id, generation, fields, at));
  }
  async startRun(id: string, change: Parameters<ResourceStore['startRun']>[1]) {
    return this.counted(await this.store.startRun(id, change));
  }
  async bindBootstrapToken(id: string, generation: number, token: { hash: string; issued_at: string; expires_at: string }) {
    return this.counted(await this.store.bindBootstrapToken(id, generation, token));
  }
  revokeCredentials(id: string, at: string) {
    return this.store.revokeCredentials(id, at);
  }
  async setLease(id: string, expiresAt: string, seenExpiresAt: string, at: string) {
    return this.counted(await this.store.setLease(id, expiresAt, seenExpiresAt, at));
  }
  warnLeaseExpiring(id: string, expiresAt: string, at: string) {
    return this.store.warnLeaseExpiring(id, expiresAt, at);
  }
  async recordLaunchIntent(id: string, generation: number, substrate: SubstrateRef, at: string) {
    return this.counted(await this.store.recordLaunchIntent(id, generation, substrate, at));
  }
  async retireAdopted(id: string, at: string) {
    return this.counted(await this.store.retireAdopted(id, at));
  }
  async releaseNode(resource: Resource) {
    // Records the phase the stored Resource was in: the release must come before the Deleted write.
    if (resource.node) {
      const phase = (await this.store.get(resource.id))?.provisioning?.phase;
      this.released.push({ resource_id: resource.id, node_id: resource.node.node_id, mesh_ip: resource.node.mesh_ip, phase });
    }
    await this.store.releaseNode(resource);
  }
}

let dynamo: Promise<TestDynamo> | undefined;

/** A TableResources on a table of its own, on this test file's dynalite (started on first use). */
export async function freshTableResources(): Promise<TableResources> {
  dynamo ??= startTestDynamo();
  return new TableResources(await (await dynamo).freshTable('resources'));
}

/** Stops this test file's dynalite, if one was started (an afterAll of each file that uses it). */
export async function stopTableResources(): Promise<void> {
  const started = dynamo;
  dynamo = undefined;
  await (await started)?.close();
}
