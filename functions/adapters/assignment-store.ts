import * as z from 'zod';
import {
  type Assignment,
  AssignmentSchema,
  type AssignmentState,
  type AssignmentStore,
  type AssignmentTransition,
} from '../core/assignments/assignment.ts';
import type { Terms } from '../core/assignments/terms.ts';
import { ConflictError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { assignmentDecidedEvent, assignmentExpiredEvent, assignmentRequestedEvent, termsChangedEvent } from '../core/events/drafts.ts';
import type { EventDraft } from '../core/events/event.ts';
import { assignmentKeys } from './dynamo/keys.ts';
import { putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import { transactWithEvents } from './event-log.ts';
import { releaseNameAction } from './dynamo/unique-names.ts';

const SlotSchema = z.object({ id: z.string() });
const LIVE_STATES: AssignmentState[] = ['requested', 'approved'];
/** A slot changing hands under us a few times in a row is a conflict, not something to wait out. */
const MAX_TAKEOVER_ROUNDS = 3;

function duplicate(holderId: string | undefined): ConflictError {
  return new ConflictError(
    'duplicate_live_assignment',
    'This project already has a live assignment of that credential.',
    holderId ? { existing_assignment_id: holderId } : {},
  );
}

/** An assignment as its table item: its own key, and its places in the project's list and the domain's approvals queue. */
export function assignmentItem(a: Assignment) {
  return {
    ...assignmentKeys.assignment(a.id),
    ...assignmentKeys.projectList(a.project_id),
    GSI1SK: a.id,
    ...assignmentKeys.approvalQueue(a.domain_id),
    GSI2SK: a.id,
    ...a,
  };
}

export class DynamoAssignmentStore implements AssignmentStore {
  constructor(private readonly table: Table) {}

  async create(a: Assignment, isLive: (holder: Assignment) => Promise<boolean>): Promise<void> {
    // The (project, credential) live slot and the assignment land together. The slot is released
    // in the same transaction that takes its holder out of the live states, so a slot always names
    // a written assignment; one that is no longer live (a request past its expiry, expired by
    // `isLive`) is taken over with a condition on its id.
    const slot = assignmentKeys.live(a.project_id, a.cloud_credential_id);
    const item = assignmentItem(a);
    let slotAction = putNewAction({ ...slot, id: a.id });
    for (let round = 0; round < MAX_TAKEOVER_ROUNDS; round++) {
      const { cancelled } = await transactWithEvents(this.table, [slotAction, putNewAction(item)], [assignmentRequestedEvent(a)]);
      if (!cancelled) return;
      const seen = cancelled[0];
      if (!seen?.failed) throw new ConflictError('assignment_exists', 'An assignment with this id already exists.');
      const holderId = seen.item ? SlotSchema.parse(seen.item).id : undefined;
      const holder = holderId === undefined ? undefined : await this.get(holderId);
      if (holder && (await isLive(holder))) throw duplicate(holder.id);
      // Gone (its slot released meanwhile) or no longer live: claim the slot afresh, or take it
      // from that very holder.
      slotAction =
        holderId === undefined
          ? putNewAction({ ...slot, id: a.id })
          : {
              Put: {
                Item: { ...slot, id: a.id },
                ConditionExpression: 'attribute_not_exists(PK) OR #id = :holder',
                ExpressionAttributeNames: { '#id': 'id' },
                ExpressionAttributeValues: { ':holder': holderId },
              },
            };
    }
    throw duplicate(undefined);
  }

  get(id: string) {
    return this.table.get(assignmentKeys.assignment(id), AssignmentSchema);
  }

  listByProject(projectId: string, page: PageRequest): Promise<Page<Assignment>> {
    return this.table.listPage(assignmentKeys.projectList(projectId).GSI1PK, AssignmentSchema, page);
  }

  listByDomain(domainId: string, page: PageRequest, visible: (a: Assignment) => Promise<boolean>): Promise<Page<Assignment>> {
    return this.table.listPage(assignmentKeys.approvalQueue(domainId).GSI2PK, AssignmentSchema, {
      ...page,
      filter: visible,
      index: 'secondListIndex',
    });
  }

  async transition(id: string, change: AssignmentTransition): Promise<Assignment | undefined> {
    const sets = ['#state = :to', 'updated_at = :at', 'decided_at = :at', 'decided_by = :by'];
    const values: Record<string, unknown> = { ':from': change.from, ':to': change.to, ':at': change.at, ':by': change.decidedBy };
    const conditions = ['#state = :from'];
    if (change.from === 'requested') conditions.push('expires_at > :at');
    if (change.notRequestedBy) {
      // Separation of duties in the write itself: whatever the policy said, a requester's own
      // decision cannot land.
      conditions.push('requested_by <> :me');
      values[':me'] = change.notRequestedBy;
    }
    if (change.reason !== undefined) {
      sets.push('decision_reason = :reason');
      values[':reason'] = change.reason;
    }
    if (change.handle) {
      sets.push('handle = :handle');
      values[':handle'] = change.handle;
    }
    if (change.terms) {
      sets.push('terms = :terms');
      values[':terms'] = change.terms;
    }
    const event = (a: Assignment) =>
      assignmentDecidedEvent(a, change.to, change.at, change.decidedBy, { reason: change.reason, terms: change.terms });
    return this.changeState(id, change.to, event, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: values,
    });
  }

  expire(id: string, at: string): Promise<Assignment | undefined> {
    return this.changeState(id, 'rejected', (a) => assignmentExpiredEvent(a, at), {
      UpdateExpression: 'SET #state = :rejected, decision_reason = :expired, decided_at = expires_at, updated_at = :at',
      ConditionExpression: '#state = :requested AND expires_at <= :at',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':rejected': 'rejected', ':requested': 'requested', ':expired': 'expired', ':at': at },
    });
  }

  /**
   * One conditional update of the assignment; when it leaves the live states, its slot is released
   * in the same transaction. Undefined when the condition failed.
   */
  private async changeState(
    id: string,
    to: AssignmentState,
    event: (current: Assignment) => EventDraft,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<Assignment | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    const actions: WriteAction[] = [{ Update: { Key: assignmentKeys.assignment(id), ...update } }];
    if (!LIVE_STATES.includes(to))
      actions.push(releaseNameAction(assignmentKeys.live(current.project_id, current.cloud_credential_id), id));
    // The slot's condition cannot fail while the assignment is live (the slot names it); the
    // assignment's own condition is the one that decides.
    const { cancelled } = await transactWithEvents(this.table, actions, [event(current)]);
    return cancelled ? undefined : this.get(id);
  }

  async setTerms(id: string, terms: Terms, seenUpdatedAt: string, at: string, by?: string): Promise<Assignment | undefined> {
    const current = await this.get(id);
    if (!current) return undefined;
    const write: WriteAction = {
      Update: {
        Key: assignmentKeys.assignment(id),
        UpdateExpression: 'SET terms = :terms, updated_at = :at',
        ConditionExpression: '#state = :approved AND updated_at = :seen',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':terms': terms, ':approved': 'approved', ':seen': seenUpdatedAt, ':at': at },
      },
    };
    const { cancelled } = await transactWithEvents(this.table, [write], [termsChangedEvent(current, terms, at, by)]);
    return cancelled ? undefined : this.get(id);
  }

  async findLive(projectId: string, credentialId: string): Promise<Assignment | undefined> {
    const slot = await this.table.get(assignmentKeys.live(projectId, credentialId), SlotSchema);
    return slot ? this.get(slot.id) : undefined;
  }
}
