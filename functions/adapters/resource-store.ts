import * as z from 'zod';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import {
  DELETABLE,
  type Phase,
  type PhaseChange,
  PROVISION_PHASES,
  type Provisioning,
  type Resource,
  ResourceSchema,
  type ResourceStore,
  type RunStart,
  type SubstrateRef,
  TEARDOWN_PHASES,
} from '../core/resources.ts';
import {
  leaseExpiringEvent,
  leaseMovedEvent,
  phaseChangedEvent,
  resourceCreatedEvents,
  resourceDeletedEvent,
} from '../core/events/drafts.ts';
import type { EventActor, EventDraft } from '../core/events/event.ts';
import { resourceKeys } from './dynamo/keys.ts';
import { transactWithEvents } from './event-log.ts';
import { countAction, failedRevocation, inList, leavingReady, readyPeer, runStartEvents } from './resource-writes.ts';
import { entityOf, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import { DynamoNodeStore } from './node-store.ts';
import { removePeerActions } from './peer-snapshot.ts';
import { releaseSlotAction, slotRefusal, takeSlotAction } from './quota-slots.ts';

const RecordSchema = z.object({ id: z.string(), request_hash: z.string() });
// `provisioning` is a DynamoDB reserved word, so expressions name it through a placeholder.
const PROV = { '#prov': 'provisioning' };
const ACTIVE_PHASES = new Set<Phase>([...PROVISION_PHASES, ...TEARDOWN_PHASES]);
/** A phase write re-reads this often when the Resource changed between its read and its write. */
const PHASE_ATTEMPTS = 3;

export class DynamoResourceStore implements ResourceStore {
  constructor(private readonly table: Table) {}

  async reservedId(projectId: string, key: string) {
    const record = await this.table.get(resourceKeys.idempotency(projectId, key), RecordSchema);
    return record && { id: record.id, requestHash: record.request_hash };
  }

  async create(resource: Resource, idempotency?: { key: string; requestHash: string }) {
    // One transaction: the Resource, the project's counter (the guard on deleting the project) and
    // the Idempotency-Key's record. A crash leaves all three or none, so a retry starts clean.
    const actions: WriteAction[] = [
      putNewAction({
        ...resourceKeys.resource(resource.id),
        ...resourceKeys.projectList(resource.project_id),
        GSI1SK: resource.id,
        ...(resource.provisioning && ACTIVE_PHASES.has(resource.provisioning.phase) && { ...resourceKeys.active(), GSI2SK: resource.id }),
        ...resource,
      }),
      countAction(resource.project_id, +1),
    ];
    // The slot goes last so its cancellation reason has a fixed place whatever else is written.
    const slot = resource.quota_slot && resource.blueprint_version_id;
    if (idempotency) {
      actions.push(
        putNewAction({
          ...resourceKeys.idempotency(resource.project_id, idempotency.key),
          id: resource.id,
          request_hash: idempotency.requestHash,
        }),
      );
    }
    if (slot) actions.push(takeSlotAction(resource.quota_slot as string, slot));
    const { cancelled } = await transactWithEvents(this.table, actions, resourceCreatedEvents(resource));
    if (!cancelled) return { resource, replayed: false };
    const [resourceSeen, projectSeen] = cancelled;
    const keySeen = idempotency ? cancelled[2] : undefined;
    if (keySeen?.failed && keySeen.item) {
      // A concurrent request with the same key won: the same body replays its Resource.
      const record = RecordSchema.parse(keySeen.item);
      if (record.request_hash !== idempotency?.requestHash) {
        throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.');
      }
      const existing = await this.get(record.id);
      if (existing) return { resource: existing, replayed: true };
    }
    if (projectSeen?.failed) throw new NotFoundError('project_not_found', 'The project does not exist.');
    const slotSeen = slot ? cancelled[cancelled.length - 1] : undefined;
    if (slot && slotSeen?.failed) throw slotRefusal(slotSeen.item, slot);
    if (resourceSeen?.failed) throw new ConflictError('resource_exists', 'A resource with this id already exists.');
    throw new ConflictError('idempotency_key_reused', 'This Idempotency-Key is held by a resource that no longer exists.');
  }

  async retireAdopted(id: string, at: string, actor?: EventActor): Promise<Resource | undefined> {
    // The retirement (which also takes it off the project's list), the uncount and the event are
    // one transaction; a second delete finds it retired and answers the same.
    const current = await this.get(id);
    if (current?.origin !== 'adopted') return undefined;
    if (current.deleted_at) return current;
    const { cancelled } = await transactWithEvents(
      this.table,
      [
        {
          Update: {
            Key: resourceKeys.resource(id),
            UpdateExpression: 'SET deleted_at = :at, updated_at = :at REMOVE GSI1PK, GSI1SK',
            ConditionExpression: 'attribute_exists(PK) AND origin = :adopted AND attribute_not_exists(deleted_at)',
            ExpressionAttributeValues: { ':at': at, ':adopted': 'adopted' },
          },
        },
        countAction(current.project_id, -1),
      ],
      [resourceDeletedEvent(current, at, actor)],
    );
    if (cancelled) {
      const seen = cancelled[0]?.item && ResourceSchema.parse(entityOf(cancelled[0].item));
      return seen && seen.origin === 'adopted' && seen.deleted_at ? seen : undefined;
    }
    return this.get(id);
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
    // The write also holds the phase it read, so its event names the phase it really left; a
    // phase that moved within `from` meanwhile is read again.
    const write = {
      Key: resourceKeys.resource(id),
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      ConditionExpression: `#prov.phase IN (${from.expr}) AND #prov.phase = :seen AND #prov.generation = :gen`,
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: values,
    };
    // Deleted frees the Resource's place in its project's count, and its quota slot, in the same
    // transaction; Failed frees the slot when no machine can exist: no launch was ever recorded,
    // which the write's own condition re-checks (a launch intent landing meanwhile keeps the slot).
    for (let attempt = 1; ; attempt++) {
      const before = await this.get(id);
      const seenPhase = before?.provisioning?.phase;
      if (!before || !seenPhase || !change.from.includes(seenPhase) || before.provisioning?.generation !== change.generation) {
        return undefined;
      }
      const event = phaseChangedEvent(before, change);
      const failedEarly = change.to === 'Failed' && !before.provisioning?.substrate && !change.substrate;
      const freesSlot = before.quota_slot !== undefined && (change.to === 'Deleted' || failedEarly);
      const final = { ...write, ExpressionAttributeValues: { ...values, ':seen': seenPhase } as Record<string, unknown> };
      const actions: WriteAction[] = [];
      // Entering Ready lists the node as a peer; entering Failed revokes what the Resource held.
      const extra = change.to === 'Failed' ? failedRevocation(before) : change.to === 'Ready' ? readyPeer(before) : undefined;
      const beside: WriteAction[] = extra?.actions ?? [];
      if (extra) {
        if (extra.sets.length) final.UpdateExpression = final.UpdateExpression.replace('SET ', `SET ${extra.sets.join(', ')}, `);
        for (const condition of extra.conditions) final.ConditionExpression += ` AND ${condition}`;
        final.ExpressionAttributeNames = { ...final.ExpressionAttributeNames, ...extra.names };
        Object.assign(final.ExpressionAttributeValues, extra.values);
      }
      if (freesSlot) {
        final.UpdateExpression += ', quota_slot';
        final.ConditionExpression += ` AND quota_slot = :slot${failedEarly ? ' AND attribute_not_exists(#prov.substrate)' : ''}`;
        final.ExpressionAttributeValues[':slot'] = before.quota_slot;
        actions.push(releaseSlotAction(before.quota_slot as string));
      }
      if (change.to === 'Deleted') actions.push(countAction(before.project_id, -1));
      const { cancelled } = await transactWithEvents(this.table, [{ Update: final }, ...actions, ...beside], [event]);
      if (!cancelled) return this.get(id);
      // The Resource's own condition failed: read it again (it moved on, which the next read
      // answers, or only the phase or slot it was read with changed).
      if (cancelled[0]?.failed) {
        if (attempt < PHASE_ATTEMPTS) continue;
        return undefined;
      }
      // Only the project's or the assignment's item was missing: there is nothing to give back
      // there, and teardown must not stall on it.
      const alone = await transactWithEvents(this.table, [{ Update: final }, ...beside], [event]);
      return alone.cancelled ? undefined : this.get(id);
    }
  }

  async setLease(id: string, expiresAt: string, seenExpiresAt: string, at: string, actor?: EventActor) {
    const before = await this.get(id);
    if (!before) return undefined;
    const live = inList('live', DELETABLE);
    const write: WriteAction = {
      Update: {
        Key: resourceKeys.resource(id),
        UpdateExpression: 'SET lease.expires_at = :expires, updated_at = :at',
        ConditionExpression: `lease.expires_at = :seen AND #prov.phase IN (${live.expr})`,
        ExpressionAttributeNames: PROV,
        ExpressionAttributeValues: { ...live.values, ':expires': expiresAt, ':seen': seenExpiresAt, ':at': at },
      },
    };
    return this.writeWithEvents(id, [write], [leaseMovedEvent(before, seenExpiresAt, expiresAt, at, actor)]);
  }

  async warnLeaseExpiring(id: string, expiresAt: string, at: string): Promise<boolean> {
    const before = await this.get(id);
    if (!before) return false;
    const live = inList('live', DELETABLE);
    // One warning per lease end: the mark and its event land together, and a second timer finds the mark.
    const write: WriteAction = {
      Update: {
        Key: resourceKeys.resource(id),
        UpdateExpression: 'SET lease.warned_for = :end',
        ConditionExpression: `lease.expires_at = :end AND (attribute_not_exists(lease.warned_for) OR lease.warned_for <> :end) AND #prov.phase IN (${live.expr})`,
        ExpressionAttributeNames: PROV,
        ExpressionAttributeValues: { ...live.values, ':end': expiresAt },
      },
    };
    return (await this.writeWithEvents(id, [write], [leaseExpiringEvent(before, expiresAt, at)])) !== undefined;
  }

  /** Commits the actions with their events; the Resource as stored then, or undefined when a condition failed. */
  private async writeWithEvents(id: string, actions: WriteAction[], events: EventDraft[]): Promise<Resource | undefined> {
    const { cancelled } = await transactWithEvents(this.table, actions, events);
    return cancelled ? undefined : this.get(id);
  }

  async annotate(
    id: string,
    generation: number,
    fields: Partial<Pick<Provisioning, 'waiting_on' | 'substrate' | 'enrol_task_token' | 'reason'>>,
    at: string,
  ) {
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

  async startRun(id: string, change: RunStart) {
    const from = inList('from', change.fromPhases);
    const phaseChanges = !change.fromPhases.every((p) => p === change.phase);
    const write = {
      Key: resourceKeys.resource(id),
      UpdateExpression: [
        'SET #prov.generation = :next, #prov.run = :run, #prov.phase = :phase, #prov.reason = :reason,',
        'updated_at = :at, GSI2PK = :active, GSI2SK = :id',
        change.reasonCode ? ', #prov.reason_code = :code' : '',
        phaseChanges ? ', #prov.transitions = list_append(#prov.transitions, :transition)' : '',
        'REMOVE #prov.enrol_task_token, #prov.deadline',
      ].join(' '),
      // The phase read is held too, so the event names the phase the run really started from.
      ConditionExpression: `#prov.generation = :gen AND #prov.phase IN (${from.expr}) AND #prov.phase = :seen${change.leaseEnd ? ' AND lease.expires_at = :leaseEnd' : ''}`,
      ExpressionAttributeNames: PROV,
      ExpressionAttributeValues: {
        ...from.values,
        ...(change.leaseEnd && { ':leaseEnd': change.leaseEnd }),
        ':gen': change.expectedGeneration,
        ':next': change.expectedGeneration + 1,
        ':run': change.run,
        ':phase': change.phase,
        ':reason': change.reason,
        ':at': change.at,
        ':active': resourceKeys.active().GSI2PK,
        ':id': id,
        ...(phaseChanges && { ':transition': [{ phase: change.phase, at: change.at }] }),
        ...(change.reasonCode && { ':code': change.reasonCode }),
      },
    };
    for (let attempt = 1; attempt <= PHASE_ATTEMPTS; attempt++) {
      const before = await this.get(id);
      const seen = before?.provisioning;
      if (!before || !seen || seen.generation !== change.expectedGeneration || !change.fromPhases.includes(seen.phase)) return undefined;
      const values = { ...write.ExpressionAttributeValues, ':seen': seen.phase };
      const stored = await this.writeWithEvents(
        id,
        [{ Update: { ...write, ExpressionAttributeValues: values } }, ...leavingReady(before, change.phase)],
        runStartEvents(before, change),
      );
      if (stored) return stored;
    }
    return undefined;
  }

  async bindBootstrapToken(id: string, generation: number, token: { hash: string; issued_at: string; expires_at: string }) {
    // The token's pointer and its binding land together, fenced on the run's generation.
    const cancelled = await this.table.transact([
      { Put: { Item: { ...resourceKeys.bootstrapToken(token.hash), id } } },
      {
        Update: {
          Key: resourceKeys.resource(id),
          UpdateExpression: 'SET bootstrap = if_not_exists(bootstrap, :token), updated_at = :at',
          ConditionExpression: '#prov.generation = :gen',
          ExpressionAttributeNames: PROV,
          ExpressionAttributeValues: { ':token': token, ':gen': generation, ':at': token.issued_at },
        },
      },
    ]);
    return cancelled ? undefined : this.get(id);
  }

  async revokeCredentials(id: string, at: string) {
    const current = await this.get(id);
    if (!current) return undefined;
    const sets = ['updated_at = :at'];
    if (current.bootstrap && !current.bootstrap.revoked_at && !current.bootstrap.consumed_at) sets.push('bootstrap.revoked_at = :at');
    const revokesNode = current.node && !current.node.revoked_at;
    if (revokesNode) sets.push('node.revoked_at = :at');
    const write = {
      Key: resourceKeys.resource(id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':at': at },
    };
    if (!current.node || !revokesNode) {
      const updated = await this.table.update(write);
      return updated && ResourceSchema.parse(entityOf(updated));
    }
    // A revoked node leaves its domain's peer snapshot in the same transaction.
    const cancelled = await this.table.transact([{ Update: write }, ...removePeerActions(current.domain_id, current.node.node_id)]);
    return cancelled ? undefined : this.get(id);
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
    if (resource.node) await new DynamoNodeStore(this.table).release({ ...resource.node, domain_id: resource.domain_id });
  }
}
