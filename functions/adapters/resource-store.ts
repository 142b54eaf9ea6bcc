import { z } from 'zod';
import { releaseNodeClaims } from '../core/enrolment.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import {
  type Phase,
  type PhaseChange,
  PROVISION_PHASES,
  type Provisioning,
  type Resource,
  ResourceSchema,
  type ResourceStore,
  type SubstrateRef,
  TEARDOWN_PHASES,
} from '../core/resources.ts';
import { keys, resourceKeys } from './dynamo/keys.ts';
import { entityOf, type Table } from './dynamo/table.ts';
import { DynamoNodeStore } from './node-store.ts';

const ClaimSchema = z.object({ id: z.string(), request_hash: z.string() });
// `provisioning` is a DynamoDB reserved word, so expressions name it through a placeholder.
const PROV = { '#prov': 'provisioning' };
const ACTIVE_PHASES = new Set<Phase>([...PROVISION_PHASES, ...TEARDOWN_PHASES]);

/** Builds `:p0, :p1 …` placeholders for an IN list. */
function inList(prefix: string, values: readonly string[]): { expr: string; values: Record<string, string> } {
  const names = values.map((_, i) => `:${prefix}${i}`);
  return { expr: names.join(', '), values: Object.fromEntries(values.map((v, i) => [names[i] as string, v])) };
}

export class DynamoResourceStore implements ResourceStore {
  constructor(private readonly table: Table) {}

  async reservedId(projectId: string, key: string) {
    const claim = await this.table.get(resourceKeys.idempotency(projectId, key), ClaimSchema);
    return claim && { id: claim.id, requestHash: claim.request_hash };
  }

  async create(resource: Resource, idempotency?: { key: string; requestHash: string }) {
    let claimedNow = false;
    if (idempotency) {
      // The claim holds the pre-generated id: a crash after it is finished by the retry, which
      // finds its own claim and writes the same Resource.
      const claimKey = resourceKeys.idempotency(resource.project_id, idempotency.key);
      claimedNow = await this.table.putNew({ ...claimKey, id: resource.id, request_hash: idempotency.requestHash });
      if (!claimedNow) {
        const claim = await this.table.get(claimKey, ClaimSchema);
        if (claim && claim.request_hash !== idempotency.requestHash) {
          throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
        }
        const existing = claim && (await this.get(claim.id));
        if (existing) return { resource: existing, replayed: true };
        if (claim && claim.id !== resource.id) resource = { ...resource, id: claim.id };
      }
    }
    // The project's counter guards its delete; it goes up before the Resource exists, so a crash
    // can only make a project look busier than it is, never let it be deleted under a Resource.
    // Counting is idempotent per Resource (see count), so the retry of a crashed create does not
    // count the same Resource twice.
    const counted = await this.count(resource.project_id, resource.id);
    let written: boolean;
    try {
      written = await this.table.putNew({
        ...resourceKeys.resource(resource.id),
        ...resourceKeys.projectList(resource.project_id),
        GSI1SK: resource.id,
        ...(resource.provisioning && ACTIVE_PHASES.has(resource.provisioning.phase) && { ...resourceKeys.active(), GSI2SK: resource.id }),
        ...resource,
      });
    } catch (err) {
      // The table refused the Resource (not a lost race: that is a condition failure). Undo what
      // this request wrote before it, so nothing is left behind: the count (unless an earlier,
      // crashed attempt made it, whose retry may still be writing this very Resource) and the
      // idempotency claim if this request made it. A failure of the undo leaves the same state as
      // a crash here: a retry with the key finishes the create, and the count stays on the safe side.
      await this.undoCreate(resource, counted, idempotency && claimedNow ? idempotency.key : undefined).catch(() => undefined);
      throw err;
    }
    if (!written) {
      // Someone else wrote this id first (a concurrent retry with the same key): it is counted
      // through them, so a count made here goes back.
      if (counted === 'counted') await this.uncount(resource.project_id, resource.id);
      const existing = await this.get(resource.id);
      if (existing) return { resource: existing, replayed: true };
      throw new ConflictError('resource_exists', 'A resource with this id already exists.');
    }
    return { resource, replayed: false };
  }

  private async undoCreate(resource: Resource, counted: 'counted' | 'already', claimedKey: string | undefined): Promise<void> {
    if (counted === 'counted') {
      await this.uncount(resource.project_id, resource.id);
      // A concurrent retry with the same key (it found our claim) may have written the Resource
      // meanwhile, relying on our count: count it again then.
      if (await this.get(resource.id)) {
        await this.count(resource.project_id, resource.id);
        return;
      }
    }
    if (claimedKey !== undefined) {
      await this.table.delete(resourceKeys.idempotency(resource.project_id, claimedKey), {
        expression: '#id = :id',
        names: { '#id': 'id' },
        values: { ':id': resource.id },
      });
    }
  }

  /**
   * The project counts its live Resources: `resource_count`, which the project's delete checks (one
   * conditional delete on the parent item, strongly consistent), and beside it `counted_resources`,
   * the string set of the ids it counts. Both change in the same single write, conditioned on the
   * set: a Resource is counted only when its id is not in the set, uncounted only when it is. So
   * counting and uncounting are idempotent per Resource: the retry of a create that crashed after
   * counting does not count twice, and a step that wrote Deleted and crashed before uncounting can
   * simply uncount again (a second uncount is a no-op). The set is bounded by the item's 400 KB, some
   * ten thousand live Resources a project. (Marker items per Resource would need a transaction to
   * keep the guard on the parent item.)
   */
  private async count(projectId: string, resourceId: string): Promise<'counted' | 'already'> {
    const counted = await this.table.update({
      Key: keys.project(projectId),
      UpdateExpression: 'ADD resource_count :one, counted_resources :ids',
      ConditionExpression: 'attribute_exists(PK) AND NOT contains(counted_resources, :id)',
      ExpressionAttributeValues: { ':one': 1, ':ids': new Set([resourceId]), ':id': resourceId },
    });
    if (counted) return 'counted';
    if (!(await this.table.getRaw(keys.project(projectId)))) throw new NotFoundError('project_not_found', 'The project does not exist.');
    return 'already';
  }

  /** Uncounts a Resource (see count); a no-op when the project does not count it (any more). */
  private async uncount(projectId: string, resourceId: string): Promise<void> {
    await this.table.update({
      Key: keys.project(projectId),
      UpdateExpression: 'ADD resource_count :minus DELETE counted_resources :ids',
      ConditionExpression: 'attribute_exists(PK) AND contains(counted_resources, :id)',
      ExpressionAttributeValues: { ':minus': -1, ':ids': new Set([resourceId]), ':id': resourceId },
    });
  }

  async retireAdopted(id: string, at: string): Promise<Resource | undefined> {
    // One conditional write retires it (and takes it off the project's list); the uncount follows
    // and is idempotent, so a retry after a crash between the two finishes it.
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      // A retry changes nothing: both stay at the first delete's time.
      UpdateExpression: 'SET deleted_at = if_not_exists(deleted_at, :at), updated_at = if_not_exists(deleted_at, :at) REMOVE GSI1PK, GSI1SK',
      ConditionExpression: 'attribute_exists(PK) AND origin = :adopted',
      ExpressionAttributeValues: { ':at': at, ':adopted': 'adopted' },
    });
    if (!updated) return undefined;
    const resource = ResourceSchema.parse(entityOf(updated));
    await this.uncount(resource.project_id, resource.id);
    return resource;
  }

  get(id: string) {
    return this.table.get(resourceKeys.resource(id), ResourceSchema);
  }

  listByProject(projectId: string, page: PageRequest): Promise<Page<Resource>> {
    return this.table.listPage(resourceKeys.projectList(projectId).GSI1PK, ResourceSchema, page);
  }

  async listActive(): Promise<Resource[]> {
    const out: Resource[] = [];
    let afterId: string | undefined;
    do {
      const page = await this.table.listPage(resourceKeys.active().GSI2PK, ResourceSchema, {
        limit: 200,
        index: 'secondListIndex',
        ...(afterId && { afterId }),
      });
      out.push(...page.items);
      afterId = page.lastId;
    } while (afterId);
    return out;
  }

  async changePhase(id: string, change: PhaseChange): Promise<Resource | undefined> {
    const from = inList('from', change.from);
    const sets = [
      '#prov.phase = :to',
      '#prov.reason = :reason',
      '#prov.transitions = list_append(#prov.transitions, :transition)',
      'updated_at = :at',
    ];
    const removes: string[] = ['#prov.enrol_task_token'];
    const values: Record<string, unknown> = {
      ...from.values,
      ':to': change.to,
      ':gen': change.generation,
      ':reason': change.reason,
      ':transition': [{ phase: change.to, at: change.at }],
      ':at': change.at,
    };
    const optional: Array<[string, unknown]> = [
      ['waiting_on', change.waitingOn],
      ['deadline', change.deadline],
      ['last_error', change.error],
      ['substrate', change.substrate],
    ];
    for (const [field, value] of optional) {
      if (value !== undefined) {
        sets.push(`#prov.${field} = :${field}`);
        values[`:${field}`] = value;
      } else if (field !== 'substrate' && field !== 'last_error') {
        removes.push(`#prov.${field}`);
      }
    }
    if (ACTIVE_PHASES.has(change.to)) {
      sets.push('GSI2PK = :active', 'GSI2SK = :id');
      values[':active'] = resourceKeys.active().GSI2PK;
      values[':id'] = id;
    } else {
      removes.push('GSI2PK', 'GSI2SK');
    }
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      ConditionExpression: `#prov.phase IN (${from.expr}) AND #prov.generation = :gen`,
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: values,
    });
    if (!updated) {
      // A step that wrote Deleted and crashed before uncounting is retried: the write is then
      // refused, but the uncount (idempotent) must still happen.
      if (change.to === 'Deleted') {
        const current = await this.get(id);
        if (current?.provisioning?.phase === 'Deleted') await this.uncount(current.project_id, current.id);
      }
      return undefined;
    }
    const resource = ResourceSchema.parse(entityOf(updated));
    if (change.to === 'Deleted') await this.uncount(resource.project_id, resource.id);
    return resource;
  }

  async annotate(id: string, generation: number, fields: Partial<Pick<Provisioning, 'waiting_on' | 'substrate' | 'enrol_task_token' | 'reason'>>, at: string) {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: `SET ${[...entries.map(([k]) => `#prov.${k} = :${k}`), 'updated_at = :at'].join(', ')}`,
      ConditionExpression: '#prov.generation = :gen',
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])), ':gen': generation, ':at': at },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  async startRun(
    id: string,
    change: { expectedGeneration: number; run: 'provision' | 'teardown'; phase: Phase; fromPhases: readonly Phase[]; at: string; reason: string },
  ) {
    const from = inList('from', change.fromPhases);
    const phaseChanges = !change.fromPhases.every((p) => p === change.phase);
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: [
        'SET #prov.generation = :next, #prov.run = :run, #prov.phase = :phase, #prov.reason = :reason,',
        'updated_at = :at, GSI2PK = :active, GSI2SK = :id',
        phaseChanges ? ', #prov.transitions = list_append(#prov.transitions, :transition)' : '',
        'REMOVE #prov.enrol_task_token, #prov.deadline',
      ].join(' '),
      ConditionExpression: `#prov.generation = :gen AND #prov.phase IN (${from.expr})`,
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: {
        ...from.values,
        ':gen': change.expectedGeneration,
        ':next': change.expectedGeneration + 1,
        ':run': change.run,
        ':phase': change.phase,
        ':reason': change.reason,
        ':at': change.at,
        ':active': resourceKeys.active().GSI2PK,
        ':id': id,
        ...(phaseChanges && { ':transition': [{ phase: change.phase, at: change.at }] }),
      },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  async bindBootstrapToken(id: string, generation: number, token: { hash: string; issued_at: string; expires_at: string }) {
    // The pointer first: a crash leaves a pointer to a Resource whose token hash differs, which
    // register treats as unknown.
    await this.table.put({ ...resourceKeys.bootstrapToken(token.hash), id });
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: 'SET bootstrap = if_not_exists(bootstrap, :token), updated_at = :at',
      ConditionExpression: '#prov.generation = :gen',
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: { ':token': token, ':gen': generation, ':at': token.issued_at },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  async revokeCredentials(id: string, at: string) {
    const current = await this.get(id);
    if (!current) return undefined;
    const sets = ['updated_at = :at'];
    if (current.bootstrap && !current.bootstrap.revoked_at && !current.bootstrap.consumed_at) sets.push('bootstrap.revoked_at = :at');
    if (current.node && !current.node.revoked_at) sets.push('node.revoked_at = :at');
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':at': at },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  async recordLaunchIntent(id: string, generation: number, substrate: SubstrateRef, at: string) {
    const updated = await this.table.update({
      Key: resourceKeys.resource(id),
      UpdateExpression: 'SET #prov.substrate = :substrate, updated_at = :at',
      ConditionExpression: '#prov.generation = :gen AND #prov.phase = :pending',
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: { ':substrate': substrate, ':gen': generation, ':pending': 'Pending', ':at': at },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  async releaseNode(resource: Resource): Promise<void> {
    if (resource.node) await releaseNodeClaims(new DynamoNodeStore(this.table), { ...resource.node, domain_id: resource.domain_id });
  }
}
