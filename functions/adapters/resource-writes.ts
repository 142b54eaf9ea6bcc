// Pieces of the Resource store's writes: the actions and events a change carries besides its own update.
import { leaseExpiredEvent, phaseChangedEvent } from '../core/events/drafts.ts';
import type { EventDraft } from '../core/events/event.ts';
import type { Resource, RunStart } from '../core/resources.ts';
import { keys } from './dynamo/keys.ts';
import type { WriteAction } from './dynamo/table.ts';
import { addPeerActions, removePeerActions } from './peer-snapshot.ts';

/** Builds `:p0, :p1 …` placeholders for an IN list. */
export function inList(prefix: string, values: readonly string[]): { expr: string; values: Record<string, string> } {
  const names = values.map((_, i) => `:${prefix}${i}`);
  return { expr: names.join(', '), values: Object.fromEntries(values.map((v, i) => [names[i] as string, v])) };
}

/** A teardown for an ended lease says so first; a run entering another phase records the change. */
export function runStartEvents(before: Resource, change: RunStart): EventDraft[] {
  const events: EventDraft[] = [];
  if (change.reasonCode === 'lease_expired' && change.leaseEnd) events.push(leaseExpiredEvent(before, change.leaseEnd, change.at));
  if (before.provisioning?.phase !== change.phase) {
    events.push(
      phaseChangedEvent(before, {
        to: change.phase,
        at: change.at,
        reason: change.reason,
        reasonCode: change.reasonCode,
        actor: change.actor,
      }),
    );
  }
  return events;
}

/** The project's count of Resources it holds (the guard on its delete) moves by `by`. */
export function countAction(projectId: string, by: 1 | -1): WriteAction {
  return {
    Update: {
      Key: keys.project(projectId),
      UpdateExpression: 'ADD resource_count :by',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':by': by },
    },
  };
}

/** What a phase write adds to the Resource's own update (with its `:at`), and the actions beside it. */
export interface BesideWrite {
  sets: string[];
  conditions: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
  actions: WriteAction[];
}

const NODE_NAME = { '#node': 'node' };

/**
 * Peer lists hold only Ready nodes: entering Ready adds the node to its domain's peer snapshot in
 * the same transaction, held to the node as read (a revocation landing meanwhile makes the write
 * read again, and add nothing).
 */
export function readyPeer(before: Resource): BesideWrite {
  const node = before.node;
  const out: BesideWrite = { sets: [], conditions: [], names: {}, values: {}, actions: [] };
  if (!node || node.revoked_at) return out;
  out.names = NODE_NAME;
  out.conditions.push('#node.node_id = :node_id', 'attribute_not_exists(#node.revoked_at)');
  out.values[':node_id'] = node.node_id;
  out.actions.push(...addPeerActions(before.domain_id, { node_id: node.node_id, mesh_ip: node.mesh_ip, public_key: node.public_key }));
  return out;
}

/**
 * A Failed Resource holds no live credentials: its unredeemed bootstrap token and its node's NSK
 * are revoked, and the node leaves the domain's peer snapshot, in the transaction that enters
 * Failed. The conditions hold the token and node as read, so a registration landing between the
 * read and the write makes the write read again (and revoke what it brought).
 */
export function failedRevocation(before: Resource): BesideWrite {
  const out: BesideWrite = { sets: [], conditions: [], names: NODE_NAME, values: {}, actions: [] };
  const token = before.bootstrap;
  if (token && !token.revoked_at && !token.consumed_at) {
    out.sets.push('bootstrap.revoked_at = :at');
    out.conditions.push('attribute_not_exists(bootstrap.consumed_at)');
  }
  const node = before.node;
  if (!node) {
    out.conditions.push('attribute_not_exists(#node)');
  } else if (!node.revoked_at) {
    out.sets.push('#node.revoked_at = :at');
    out.conditions.push('#node.node_id = :node_id');
    out.values[':node_id'] = node.node_id;
    out.actions.push(...removePeerActions(before.domain_id, node.node_id));
  }
  return out;
}

/** Leaving Ready for a teardown takes the node out of the peer lists at once (its drain revokes its NSK next). */
export function leavingReady(before: Resource, to: string): WriteAction[] {
  const node = before.node;
  if (before.provisioning?.phase !== 'Ready' || to === 'Ready' || !node || node.revoked_at) return [];
  return removePeerActions(before.domain_id, node.node_id);
}
