import type { Cloud } from '../../functions/core/catalog/clouds.ts';
import type { CatalogStore } from '../../functions/core/catalog/store.ts';
import type { Clock } from '../../functions/core/clock.ts';
import { newId } from '../../functions/core/ids.ts';
import type { StepConfig, StepPorts, SubstratePorts, TaskCallbacks, TokenMinter } from '../../functions/core/phase-steps/config.ts';
import type { Orchestrator } from '../../functions/core/provisioning.ts';
import {
  canTransition,
  type EnrolledNode,
  type Phase,
  type PhaseChange,
  type Provisioning,
  type Resource,
  type RunStart,
  type SubstrateRef,
} from '../../functions/core/resources.ts';
import type { Machine, MachineState, Substrate } from '../../functions/core/substrate.ts';
import type { LaunchSpec, SubstrateTarget } from '../../functions/adapters/aws/ec2-substrate.ts';
import { AwsSubstrateResolver } from '../../functions/adapters/aws/substrate-resolver.ts';
import type { Vault } from '../../functions/core/vault.ts';
import { freshTableResources, type ReleasedNode, type TestResources } from './table-resources.ts';
import { nodeResource } from '../../scripts/node-fixtures.ts';

// Ports for the phase steps and the reconciler: in memory, with the Resources either in memory
// too (MemoryResources keeps the DynamoDB store's contract: each write is one conditional update on
// phase and generation, and refused writes answer undefined) or in the real DynamoDB store over
// dynalite (TableResources), so the fencing the tests check is the store's own.

/** Where the Resources live: every phase-step test runs against both. */
export const STORE_KINDS = ['memory', 'dynamo'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const clone = <T>(v: T): T => structuredClone(v);

export class FakeClock implements Clock {
  constructor(private t = Date.parse('2026-03-01T12:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

export class MemoryResources implements TestResources {
  readonly items = new Map<string, Resource>();
  /** Every write that was refused, for tests of fencing. */
  refused = 0;
  /** The nodes whose pointer and mesh-IP claim a teardown released, in order. */
  readonly released: ReleasedNode[] = [];

  private keep(r: Resource): Resource {
    this.items.set(r.id, clone(r));
    return r;
  }
  async put(r: Resource): Promise<Resource> {
    return this.keep(r);
  }
  /** The stored item (a copy). */
  async at(id: string): Promise<Resource> {
    const r = this.items.get(id);
    if (!r) throw new Error(`no resource ${id}`);
    return clone(r);
  }
  private refuse(): undefined {
    this.refused++;
    return undefined;
  }

  async create(resource: Resource) {
    this.keep(resource);
    return { resource: clone(resource), replayed: false };
  }
  async reservedId() {
    return undefined;
  }
  async get(id: string) {
    const r = this.items.get(id);
    return r && clone(r);
  }
  async listByProject(projectId: string) {
    return { items: [...this.items.values()].filter((r) => r.project_id === projectId).map(clone) };
  }
  async listActive() {
    return [...this.items.values()].filter((r) => r.provisioning && ['Pending', 'Provisioning', 'Enrolling', 'Deregistering', 'Deprovisioning'].includes(r.provisioning.phase)).map(clone);
  }
  async changePhase(id: string, change: PhaseChange) {
    const r = this.items.get(id);
    const p = r?.provisioning;
    if (!r || !p || !change.from.includes(p.phase) || p.generation !== change.generation) return this.refuse();
    if (!canTransition(p.phase, change.to)) throw new Error(`the store was asked for ${p.phase} → ${change.to}`);
    const next: Provisioning = { ...p, phase: change.to, reason: change.reason, transitions: [...p.transitions, { phase: change.to, at: change.at }] };
    delete next.enrol_task_token;
    delete next.waiting_on;
    delete next.deadline;
    if (change.waitingOn !== undefined) next.waiting_on = change.waitingOn;
    if (change.deadline !== undefined) next.deadline = change.deadline;
    if (change.error !== undefined) next.last_error = change.error;
    if (change.substrate !== undefined) next.substrate = change.substrate;
    const revoked: Partial<Resource> = {};
    // As the DynamoDB store: entering Failed revokes the unredeemed token and the node's NSK.
    if (change.to === 'Failed') {
      if (r.bootstrap && !r.bootstrap.revoked_at && !r.bootstrap.consumed_at) revoked.bootstrap = { ...r.bootstrap, revoked_at: change.at };
      if (r.node && !r.node.revoked_at) revoked.node = { ...r.node, revoked_at: change.at };
    }
    return clone(this.keep({ ...r, ...revoked, provisioning: next, updated_at: change.at }));
  }
  async annotate(id: string, generation: number, fields: Partial<Pick<Provisioning, 'waiting_on' | 'substrate' | 'enrol_task_token' | 'reason'>>, at: string) {
    const r = this.items.get(id);
    if (!r?.provisioning || r.provisioning.generation !== generation) return this.refuse();
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    return clone(this.keep({ ...r, provisioning: { ...r.provisioning, ...defined }, updated_at: at }));
  }
  async startRun(id: string, change: RunStart) {
    const r = this.items.get(id);
    const p = r?.provisioning;
    if (!r || !p || p.generation !== change.expectedGeneration || !change.fromPhases.includes(p.phase)) return this.refuse();
    if (change.leaseEnd && r.lease?.expires_at !== change.leaseEnd) return this.refuse();
    const moves = p.phase !== change.phase;
    const next: Provisioning = {
      ...p,
      generation: p.generation + 1,
      run: change.run,
      phase: change.phase,
      reason: change.reason,
      ...(change.reasonCode && { reason_code: change.reasonCode }),
      transitions: moves ? [...p.transitions, { phase: change.phase, at: change.at }] : p.transitions,
    };
    delete next.enrol_task_token;
    delete next.deadline;
    return clone(this.keep({ ...r, provisioning: next, updated_at: change.at }));
  }
  async bindBootstrapToken(id: string, generation: number, token: { hash: string; issued_at: string; expires_at: string }) {
    const r = this.items.get(id);
    if (!r?.provisioning || r.provisioning.generation !== generation) return this.refuse();
    return clone(this.keep({ ...r, bootstrap: r.bootstrap ?? token, updated_at: token.issued_at }));
  }
  async revokeCredentials(id: string, at: string) {
    const r = this.items.get(id);
    if (!r) return undefined;
    const next = clone(r);
    if (next.bootstrap && !next.bootstrap.revoked_at && !next.bootstrap.consumed_at) next.bootstrap.revoked_at = at;
    if (next.node && !next.node.revoked_at) next.node.revoked_at = at;
    next.updated_at = at;
    return clone(this.keep(next));
  }
  async setLease(id: string, expiresAt: string, seenExpiresAt: string, at: string) {
    const r = this.items.get(id);
    if (!r?.lease || r.lease.expires_at !== seenExpiresAt) return this.refuse();
    return clone(this.keep({ ...r, lease: { ...r.lease, expires_at: expiresAt }, updated_at: at }));
  }
  /** Lease ends warned of, as `<id>@<end>`. */
  readonly warned: string[] = [];
  async warnLeaseExpiring(id: string, expiresAt: string, _at: string) {
    const r = this.items.get(id);
    const mark = `${id}@${expiresAt}`;
    if (r?.lease?.expires_at !== expiresAt || this.warned.includes(mark)) return false;
    this.warned.push(mark);
    return true;
  }
  async recordLaunchIntent(id: string, generation: number, substrate: SubstrateRef, at: string) {
    const r = this.items.get(id);
    if (!r?.provisioning || r.provisioning.generation !== generation || r.provisioning.phase !== 'Pending') return this.refuse();
    return clone(this.keep({ ...r, provisioning: { ...r.provisioning, substrate }, updated_at: at }));
  }
  async retireAdopted(id: string, at: string) {
    const r = this.items.get(id);
    if (r?.origin !== 'adopted') return this.refuse();
    return clone(this.keep({ ...r, deleted_at: r.deleted_at ?? at, updated_at: r.deleted_at ?? at }));
  }
  async releaseNode(resource: Resource) {
    // Records the phase the stored Resource was in: the release must come before the Deleted write.
    if (resource.node) this.released.push({ resource_id: resource.id, node_id: resource.node.node_id, mesh_ip: resource.node.mesh_ip, phase: this.items.get(resource.id)?.provisioning?.phase });
  }
}

interface FakeMachine extends Machine {
  clientToken: string;
  tags: Record<string, string>;
  userData: string;
}

/** An EC2 of one account: launches are idempotent on the client token; errors can be queued per call. */
export class FakeSubstrate implements Substrate {
  readonly machines: FakeMachine[] = [];
  readonly calls: Array<{ op: 'launch' | 'find' | 'terminate' | 'image'; target: SubstrateTarget; ids?: string[] }> = [];
  /** The images the account can see, by id: their owners. */
  readonly images = new Map<string, string>();
  /** Thrown, in order, by the next calls (any operation). */
  readonly failures: Error[] = [];
  /** The state a new machine starts in. */
  launchState: MachineState = 'pending';
  /** Runs while a call is in flight (after the cloud acted, before it answers): a delete landing meanwhile. */
  readonly during: { launch?: () => Promise<void>; find?: () => Promise<void> } = {};
  /** Runs while a call is in flight before the cloud acted: a delete, and its whole teardown, landing meanwhile. */
  readonly before: { launch?: () => Promise<void> } = {};

  private maybeFail(): void {
    const error = this.failures.shift();
    if (error) throw error;
  }
  async launch(target: SubstrateTarget, spec: LaunchSpec): Promise<Machine> {
    this.calls.push({ op: 'launch', target });
    this.maybeFail();
    await this.before.launch?.();
    let m = this.machines.find((x) => x.clientToken === spec.clientToken);
    if (!m) {
      m = { instanceId: `i-${(this.machines.length + 1).toString(16).padStart(17, '0')}`, state: this.launchState, clientToken: spec.clientToken, tags: spec.tags, userData: spec.userData };
      this.machines.push(m);
    }
    await this.during.launch?.();
    return { instanceId: m.instanceId, state: m.state };
  }
  async findByResource(target: SubstrateTarget, resourceId: string): Promise<Machine[]> {
    this.calls.push({ op: 'find', target });
    this.maybeFail();
    await this.during.find?.();
    return this.machines
      .filter((m) => m.tags['plexsphere:resource-id'] === resourceId)
      .map((m) => ({ instanceId: m.instanceId, state: m.state, ...(m.stateReason && { stateReason: m.stateReason }) }));
  }
  async terminate(target: SubstrateTarget, instanceIds: string[]): Promise<void> {
    this.calls.push({ op: 'terminate', target, ids: instanceIds });
    this.maybeFail();
    for (const m of this.machines) if (instanceIds.includes(m.instanceId) && m.state !== 'terminated') m.state = 'shutting-down';
  }
  async imageOwner(target: SubstrateTarget, imageId: string): Promise<string | undefined> {
    this.calls.push({ op: 'image', target, ids: [imageId] });
    this.maybeFail();
    return this.images.get(imageId);
  }
  set(instanceId: string, state: MachineState, stateReason?: string): void {
    const m = this.machines.find((x) => x.instanceId === instanceId);
    if (!m) throw new Error(`no machine ${instanceId}`);
    m.state = state;
    if (stateReason) m.stateReason = stateReason;
  }
}

export class FakeOrchestrator implements Orchestrator {
  readonly running = new Set<string>();
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  async start(run: 'provision' | 'teardown', resourceId: string, generation: number) {
    this.started.push(`${run}:${resourceId}-${generation}`);
    this.running.add(`${run}:${resourceId}-${generation}`);
  }
  async stop(run: 'provision' | 'teardown', resourceId: string, generation: number) {
    this.stopped.push(`${run}:${resourceId}-${generation}`);
    this.running.delete(`${run}:${resourceId}-${generation}`);
  }
  async isRunning(run: 'provision' | 'teardown', resourceId: string, generation: number) {
    return this.running.has(`${run}:${resourceId}-${generation}`);
  }
}

export class FakeCallbacks implements TaskCallbacks {
  readonly succeeded: Array<{ token: string; output: object }> = [];
  async succeed(taskToken: string, output: object) {
    this.succeeded.push({ token: taskToken, output });
  }
}

/** Deterministic per Resource and salt, as the HMAC minter is. */
export const fakeMinter: TokenMinter = {
  async mint({ projectId, resourceId, salt }) {
    const token = `psb_local_${projectId}_node_${resourceId}.${salt}`;
    return { token, hash: `hash(${token})` };
  },
};

export const DEMO_KEYS = { access_key_id: 'AKIDFAKE000000000000', secret_access_key: 'fake-secret' };

/** A catalog with one aws cloud, and a vault holding its credential (version `v1`). */
export function fakeCatalogAndVault(clock: Clock): { catalog: CatalogStore; vault: Vault; cloud: Cloud; secretArn: string } {
  const at = clock.now().toISOString();
  const cloud: Cloud = {
    id: newId(clock.now().getTime()),
    display_name: 'fake cloud',
    slug: 'fake',
    provider: 'aws',
    endpoint: { region: 'eu-west-1', url: 'https://ec2.fake' },
    region_defaults: {},
    external_id: 'fake',
    created_at: at,
    updated_at: at,
  };
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:fake';
  const value = JSON.stringify({ format: 'plexsphere.cloud-credential.v1', payload: Buffer.from(JSON.stringify(DEMO_KEYS)).toString('base64'), key_values: {} });
  const catalog = {
    async getCloud(id: string) {
      return id === cloud.id ? cloud : undefined;
    },
    async getVersionById() {
      return undefined;
    },
  } as Partial<CatalogStore> as CatalogStore;
  const vault: Vault = {
    async read(nameOrArn: string, versionId?: string) {
      if (nameOrArn !== secretArn || (versionId && versionId !== 'v1')) throw new Error(`no secret ${nameOrArn} ${versionId}`);
      return { value, versionId: 'v1' };
    },
    create: () => Promise.reject(new Error('not used')),
    put: () => Promise.reject(new Error('not used')),
    describe: () => Promise.reject(new Error('not used')),
    remove: () => Promise.reject(new Error('not used')),
  };
  return { catalog, vault, cloud, secretArn };
}

export const FAKE_CONFIG: StepConfig = {
  apiUrl: 'http://broker.fake',
  tokenTtlSeconds: 900,
  substrateTimeoutSeconds: 600,
  drainTimeoutSeconds: 300,
  terminateTimeoutSeconds: 600,
  heartbeatIntervalSeconds: 30,
};

/** Everything the steps need, in memory but for the Resources when `kind` is dynamo (a fresh table). */
export async function fakeStepPorts(kind: StoreKind) {
  const clock = new FakeClock();
  const resources: TestResources = kind === 'memory' ? new MemoryResources() : await freshTableResources();
  const substrate = new FakeSubstrate();
  const callbacks = new FakeCallbacks();
  const orchestrator = new FakeOrchestrator();
  const { catalog, vault, cloud, secretArn } = fakeCatalogAndVault(clock);
  const ports: StepPorts & SubstratePorts & { substrate: FakeSubstrate; minter: TokenMinter; callbacks: FakeCallbacks } = {
    resources,
    catalog,
    vault,
    clock,
    config: { ...FAKE_CONFIG },
    substrate,
    substrateResolvers: { aws: new AwsSubstrateResolver(vault) },
    minter: fakeMinter,
    callbacks,
  };
  return { ports, clock, resources, substrate, callbacks, orchestrator, cloud, secretArn };
}

export type FakeStepEnv = Awaited<ReturnType<typeof fakeStepPorts>>;

export const PROJECT = '019100a0-0a00-7000-8000-0000000000aa';
const DOMAIN = '019100a0-0a00-7000-8000-000000000001';
const USER = '019100a0-0a00-7000-8000-0000000000bb';
const ARC: Phase[] = ['Pending', 'Provisioning', 'Enrolling', 'Ready'];

/** A provisioned Resource whose run `generation` has reached `phase` (through the provision arc, or Ready then the teardown). */
export function seedResource(
  env: FakeStepEnv,
  phase: Phase,
  opts: { generation?: number; node?: Partial<EnrolledNode> | false; deadline?: string; instanceId?: string } = {},
): Promise<Resource> {
  const at = env.clock.now().toISOString();
  const id = newId(env.clock.now().getTime());
  const teardown = ['Deregistering', 'Deprovisioning', 'Deleted'].includes(phase);
  const path = teardown ? [...ARC, ...(['Deregistering', 'Deprovisioning', 'Deleted'] as Phase[]).slice(0, ['Deregistering', 'Deprovisioning', 'Deleted'].indexOf(phase) + 1)] : ARC.slice(0, ARC.indexOf(phase) + 1);
  const node: EnrolledNode | undefined =
    opts.node === false ? undefined : opts.node ? { node_id: newId(), mesh_ip: '100.64.0.7', public_key: 'k', nsk_hash: 'h', registered_at: at, ...opts.node } : undefined;
  return env.resources.put({
    ...nodeResource({ id, projectId: PROJECT, domainId: DOMAIN, createdBy: USER }, at),
    cloud_id: env.cloud.id,
    cloud_credential_id: newId(),
    parameters: {},
    credential_handle: { secret_arn: env.secretArn, version_id: 'v1' },
    provisioning: {
      phase,
      generation: opts.generation ?? 1,
      run: teardown ? 'teardown' : 'provision',
      provisioned_resource_id: newId(),
      reason: 'seeded',
      transitions: path.map((p) => ({ phase: p, at })),
      ...(opts.deadline && { deadline: opts.deadline }),
      ...(opts.instanceId && { substrate: { provider: 'aws' as const, region: 'eu-west-1', client_token: 'ct', instance_id: opts.instanceId, instance_state: 'pending' } }),
    },
    ...(node && { node }),
  });
}
