// The events each change writes, built from the entity as it was and the change made to it. The
// stores call these inside the write, so every change of these kinds carries its event.
import type { Assignment, AssignmentState } from '../assignments/assignment.ts';
import type { Terms } from '../assignments/terms.ts';
import type { ErrorInfo, Phase, Provisioning, Resource } from '../resources.ts';
import { type EventActor, type EventDraft, eventDraft, type EventPlace, userActor } from './event.ts';

type Located = Pick<Resource, 'id' | 'domain_id' | 'project_id'>;

export function resourcePlace(r: Located): EventPlace {
  return { domain_id: r.domain_id, project_id: r.project_id, subject: { kind: 'resource', id: r.id } };
}

/** A new Resource: created (with its first phase), and its lease when it has one. */
export function resourceCreatedEvents(r: Resource): EventDraft[] {
  const place = resourcePlace(r);
  const actor = userActor(r.created_by);
  const created = eventDraft(
    place,
    'resource.created',
    r.created_at,
    {
      kind: r.kind,
      origin: r.origin,
      phase: r.provisioning?.phase,
      blueprint_version_id: r.blueprint_version_id,
      cloud_credential_id: r.cloud_credential_id,
      assignment_id: r.assignment_id,
    },
    actor,
  );
  if (!r.lease) return [created];
  return [created, eventDraft(place, 'resource.lease_set', r.created_at, { ...r.lease }, actor)];
}

/** An adopted Resource deleted: it has no phases, so its removal is this one event. */
export function resourceDeletedEvent(r: Located & Pick<Resource, 'origin'>, at: string, actor: EventActor | undefined): EventDraft {
  return eventDraft(resourcePlace(r), 'resource.deleted', at, { origin: r.origin }, actor);
}

/** What a phase change says: where the Resource went, why, and the error that sent it there. */
export interface PhaseEventFacts {
  to: Phase;
  at: string;
  reason: string;
  reasonCode?: Provisioning['reason_code'];
  error?: ErrorInfo | undefined;
  actor?: EventActor | undefined;
}

export function phaseChangedEvent(r: Located & Pick<Resource, 'provisioning'>, facts: PhaseEventFacts): EventDraft {
  return eventDraft(
    resourcePlace(r),
    'resource.phase_changed',
    facts.at,
    {
      from: r.provisioning?.phase,
      phase: facts.to,
      reason: facts.reason,
      reason_code: facts.reasonCode,
      error: facts.error,
    },
    facts.actor,
  );
}

/** A lease moved by hand: later is an extension, earlier a new (shorter) end. */
export function leaseMovedEvent(r: Located, from: string, to: string, at: string, actor: EventActor | undefined): EventDraft {
  const type = Date.parse(to) > Date.parse(from) ? 'resource.lease_extended' : 'resource.lease_set';
  return eventDraft(resourcePlace(r), type, at, { from, expires_at: to }, actor);
}

export function leaseExpiringEvent(r: Located, expiresAt: string, at: string): EventDraft {
  return eventDraft(resourcePlace(r), 'resource.lease_expiring', at, { expires_at: expiresAt });
}

export function leaseExpiredEvent(r: Located, expiresAt: string, at: string): EventDraft {
  return eventDraft(resourcePlace(r), 'resource.lease_expired', at, { expires_at: expiresAt });
}

/** A create refused by the terms, the quota or a parameter constraint: nothing is stored but this. */
export function createRefusedEvent(
  where: { domain_id: string; project_id: string },
  refusal: { code: string; detail?: Record<string, unknown> },
  at: string,
  actor: EventActor | undefined,
): EventDraft {
  return eventDraft(
    { ...where, subject: { kind: 'project', id: where.project_id } },
    'resource.create_refused',
    at,
    { code: refusal.code, ...refusal.detail },
    actor,
  );
}

type AssignmentPlaced = Pick<Assignment, 'id' | 'domain_id' | 'project_id'>;

function assignmentPlace(a: AssignmentPlaced): EventPlace {
  return { domain_id: a.domain_id, project_id: a.project_id, subject: { kind: 'credential_assignment', id: a.id } };
}

export function assignmentRequestedEvent(a: Assignment): EventDraft {
  return eventDraft(
    assignmentPlace(a),
    'assignment.requested',
    a.created_at,
    { cloud_credential_id: a.cloud_credential_id, proposed_terms: a.proposed_terms, expires_at: a.expires_at },
    userActor(a.requested_by),
  );
}

const DECIDED: Partial<Record<AssignmentState, EventDraft['type']>> = {
  approved: 'assignment.approved',
  rejected: 'assignment.rejected',
  revoked: 'assignment.revoked',
};

/** A decision by a person: approved (with its terms), rejected or revoked, with the reason given. */
export function assignmentDecidedEvent(
  a: AssignmentPlaced,
  to: AssignmentState,
  at: string,
  by: string,
  details: { reason?: string | undefined; terms?: Terms | undefined },
): EventDraft {
  const type = DECIDED[to];
  if (!type) throw new Error(`No decision event for an assignment moving to ${to}.`);
  return eventDraft(assignmentPlace(a), type, at, { state: to, reason: details.reason, terms: details.terms }, userActor(by));
}

export function assignmentExpiredEvent(a: AssignmentPlaced, at: string): EventDraft {
  return eventDraft(assignmentPlace(a), 'assignment.expired', at, { state: 'rejected', reason: 'expired' });
}

export function termsChangedEvent(
  a: AssignmentPlaced & Pick<Assignment, 'terms'>,
  terms: Terms,
  at: string,
  by: string | undefined,
): EventDraft {
  return eventDraft(assignmentPlace(a), 'assignment.terms_changed', at, { from: a.terms, terms }, userActor(by));
}
