// Pieces of the Resource store's writes: the actions and events a change carries besides its own update.
import { leaseExpiredEvent, phaseChangedEvent } from '../core/events/drafts.ts';
import type { EventDraft } from '../core/events/event.ts';
import type { Resource, RunStart } from '../core/resources.ts';
import { keys } from './dynamo/keys.ts';
import type { WriteAction } from './dynamo/table.ts';

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
