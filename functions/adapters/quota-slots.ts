import { type Assignment, AssignmentSchema } from '../core/assignments/assignment.ts';
import { notApproved, quotaExceeded, versionNotAllowed } from '../core/assignments/terms.ts';
import type { BrokerError } from '../core/errors.ts';
import { assignmentKeys } from './dynamo/keys.ts';
import { entityOf, type Item, type WriteAction } from './dynamo/table.ts';

// An assignment's quota slots: `live_resources` on the assignment's own item counts the
// Resources holding one. A Resource takes its slot in the transaction that stores it, under a
// condition that re-checks everything the terms say at that instant (still approved, under the
// limit, the version allowed), so concurrent creates cannot overshoot and a revoke or a
// narrowing that lands first is obeyed.

const NAMES = { '#state': 'state', '#terms': 'terms', '#live': 'live_resources' };

export function takeSlotAction(assignmentId: string, blueprintVersionId: string): WriteAction {
  return {
    Update: {
      Key: assignmentKeys.assignment(assignmentId),
      UpdateExpression: 'SET #live = if_not_exists(#live, :zero) + :one',
      ConditionExpression: [
        '#state = :approved',
        'AND (attribute_not_exists(#terms.max_live_resources)',
        '  OR (attribute_not_exists(#live) AND #terms.max_live_resources > :zero)',
        '  OR #live < #terms.max_live_resources)',
        'AND (attribute_not_exists(#terms.allowed_blueprint_version_ids) OR contains(#terms.allowed_blueprint_version_ids, :version))',
      ].join(' '),
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':approved': 'approved', ':zero': 0, ':one': 1, ':version': blueprintVersionId },
    },
  };
}

/** Gives a slot back. The assignment may be gone (nothing to give back to): the write must not block the Resource's own. */
export function releaseSlotAction(assignmentId: string): WriteAction {
  return {
    Update: {
      Key: assignmentKeys.assignment(assignmentId),
      UpdateExpression: 'SET #live = if_not_exists(#live, :one) - :one',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeNames: { '#live': 'live_resources' },
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** Why a slot could not be taken, from the assignment item the failed condition saw. */
export function slotRefusal(seen: Item | undefined, blueprintVersionId: string): BrokerError {
  const a: Assignment | undefined = seen && AssignmentSchema.parse(entityOf(seen));
  if (a?.state !== 'approved') return notApproved();
  const allowed = a.terms?.allowed_blueprint_version_ids;
  if (allowed && !allowed.includes(blueprintVersionId)) return versionNotAllowed(blueprintVersionId);
  return quotaExceeded(a.terms?.max_live_resources ?? 0, a.live_resources ?? 0);
}
