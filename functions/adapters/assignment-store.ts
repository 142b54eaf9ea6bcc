import { z } from 'zod';
import { type Assignment, AssignmentSchema, type AssignmentState, type AssignmentStore, type CredentialHandle } from '../core/assignments.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { ConflictError } from '../core/errors.ts';
import type { Page, PageRequest } from '../core/pagination.ts';
import { createClaimed } from './dynamo/claims.ts';
import { assignmentKeys } from './dynamo/keys.ts';
import { entityOf, type Table } from './dynamo/table.ts';

const ClaimSchema = z.object({ id: z.string() });
const LIVE_STATES: AssignmentState[] = ['requested', 'approved'];

export class DynamoAssignmentStore implements AssignmentStore {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(a: Assignment, isLive: (holder: Assignment) => Promise<boolean>): Promise<void> {
    // Claim first: a crash after the claim leaves no visible assignment. A holder whose item is
    // written and no longer live (decided or expired) is taken over at once; a holder whose item
    // is not written yet may be a request in flight and keeps the slot until the claim is stale.
    await createClaimed({
      table: this.table,
      key: assignmentKeys.live(a.project_id, a.cloud_credential_id),
      id: a.id,
      now: this.clock.now().getTime(),
      standing: async (holderId) => {
        const holder = await this.get(holderId);
        if (!holder) return 'missing';
        return (await isLive(holder)) ? 'holds' : 'released';
      },
      conflict: (holderId) =>
        new ConflictError(
          'duplicate_live_assignment',
          'This project already has a live assignment of that credential.',
          holderId ? { existing_assignment_id: holderId } : {},
        ),
      write: async () => {
        // The id is minted per request, so an existing item can only be this request's own.
        await this.table.putNew({
          ...assignmentKeys.assignment(a.id),
          ...assignmentKeys.projectList(a.project_id),
          GSI1SK: a.id,
          ...assignmentKeys.approvalQueue(a.domain_id),
          GSI2SK: a.id,
          ...a,
        });
      },
      // Our claim was taken over while we wrote: the request was never acknowledged, remove it.
      undo: async () => {
        await this.table.delete(assignmentKeys.assignment(a.id));
      },
    });
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

  async transition(
    id: string,
    change: { from: AssignmentState; to: AssignmentState; decidedBy: string; at: string; reason?: string; handle?: CredentialHandle; notRequestedBy?: string },
  ): Promise<Assignment | undefined> {
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
    const updated = await this.table.update({
      Key: assignmentKeys.assignment(id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: values,
    });
    if (!updated) return undefined;
    const assignment = AssignmentSchema.parse(entityOf(updated));
    if (!LIVE_STATES.includes(change.to)) await this.releaseClaim(assignment);
    return assignment;
  }

  async expire(id: string, at: string): Promise<Assignment | undefined> {
    const updated = await this.table.update({
      Key: assignmentKeys.assignment(id),
      UpdateExpression: 'SET #state = :rejected, decision_reason = :expired, decided_at = expires_at, updated_at = :at',
      ConditionExpression: '#state = :requested AND expires_at <= :at',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':rejected': 'rejected', ':requested': 'requested', ':expired': 'expired', ':at': at },
    });
    if (!updated) return undefined;
    const assignment = AssignmentSchema.parse(entityOf(updated));
    await this.releaseClaim(assignment);
    return assignment;
  }

  async findLive(projectId: string, credentialId: string): Promise<Assignment | undefined> {
    const claim = await this.table.get(assignmentKeys.live(projectId, credentialId), ClaimSchema);
    return claim ? this.get(claim.id) : undefined;
  }

  private async releaseClaim(a: Assignment): Promise<void> {
    await this.table.delete(assignmentKeys.live(a.project_id, a.cloud_credential_id), { expression: 'id = :id', values: { ':id': a.id } });
  }
}
