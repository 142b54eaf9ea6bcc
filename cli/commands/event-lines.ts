// One event, one line: when, its seq, what happened, to what, by whom, and the gist of its data.
// Lines stay greppable (fields separated by two spaces, no wrapping); the wire form is --output json.
import type { Terms } from '../../functions/core/assignments/terms.ts';
import type { DomainEvent } from '../../functions/core/events/event.ts';
import { termsText } from './terms.ts';

type Data = Record<string, unknown>;

/** Wide enough for the longest event type, so the subjects line up. */
const TYPE_WIDTH = 'assignment.terms_changed'.length;
/** A summary longer than this is cut, so one event never takes two lines of a terminal. */
const SUMMARY_MAX = 100;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const terms = (v: unknown): string | undefined => (v && typeof v === 'object' ? termsText(v as Terms) : undefined);
const joined = (...parts: Array<string | undefined | false>): string => parts.filter(Boolean).join('; ');

/** Why a phase changed: the error that sent it there, else its reason code, else its reason. */
function phaseWhy(d: Data): string | undefined {
  const error = d.error && typeof d.error === 'object' ? (d.error as Data) : undefined;
  if (error) {
    const [code, message] = [text(error.code), text(error.message)];
    return code && message ? `${code}: ${message}` : (code ?? message);
  }
  return text(d.reason_code) ?? text(d.reason);
}

const leaseEnd = (d: Data) => joined(`expires ${text(d.expires_at) ?? '?'}`, text(d.from) && `was ${text(d.from)}`);
const reason = (d: Data) => text(d.reason) && `reason "${text(d.reason)}"`;
/** An approval without terms grants no limits, which is worth saying. */
const approval = (d: Data) => joined(`terms: ${terms(d.terms) ?? 'no limits'}`, reason(d));

const SUMMARIES: Record<string, (d: Data) => string> = {
  'resource.created': (d) => joined(text(d.kind), text(d.origin), text(d.phase) && `phase ${text(d.phase)}`),
  'resource.phase_changed': (d) => {
    const move = text(d.from) ? `${text(d.from)} → ${text(d.phase)}` : `→ ${text(d.phase) ?? '?'}`;
    const why = phaseWhy(d);
    return why ? `${move}: ${why}` : move;
  },
  'resource.deleted': (d) => joined(text(d.origin), 'deleted'),
  'resource.create_refused': (d) =>
    joined(text(d.code), d.limit !== undefined && `limit ${text(d.limit)}`, d.live !== undefined && `live ${text(d.live)}`),
  'resource.lease_set': leaseEnd,
  'resource.lease_extended': leaseEnd,
  'resource.lease_expiring': (d) => `expires ${text(d.expires_at) ?? '?'}`,
  'resource.lease_expired': (d) => `expired ${text(d.expires_at) ?? '?'}`,
  'assignment.requested': (d) => joined(text(d.cloud_credential_id) && `credential ${text(d.cloud_credential_id)}`, terms(d.proposed_terms) && `proposed: ${terms(d.proposed_terms)}`),
  'assignment.approved': approval,
  'assignment.rejected': (d) => reason(d) || 'rejected',
  'assignment.revoked': (d) => reason(d) || 'revoked',
  'assignment.expired': () => 'expired undecided',
  'assignment.terms_changed': (d) => `terms: ${terms(d.from) ?? 'no limits'} → ${terms(d.terms) ?? 'no limits'}`,
  'project.owner_changed': (d) => `owner ${text(d.from) ?? '?'} → ${text(d.to) ?? '?'}`,
};

/** A type this plexctl does not know yet (a newer broker): its plain fields, `key=value`. */
function plainFields(d: Data): string {
  return Object.entries(d)
    .filter(([, v]) => text(v) !== undefined || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** The gist of an event's data, at most SUMMARY_MAX characters. */
export function eventSummary(event: Pick<DomainEvent, 'type' | 'data'>): string {
  const summary = (SUMMARIES[event.type] ?? plainFields)(event.data);
  return summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary;
}

/** "2026-01-01T12:00:00Z  #42      resource.phase_changed    resource/<id>  broker  Pending → Provisioning: …" */
export function eventLine(event: DomainEvent): string {
  const at = event.at.replace(/\.\d+Z$/, 'Z');
  const actor = event.actor ? `${event.actor.kind}/${event.actor.id}` : 'broker';
  const fields = [at, `#${event.seq}`.padEnd(8), event.type.padEnd(TYPE_WIDTH), `${event.subject.kind}/${event.subject.id}`, actor, eventSummary(event)];
  return fields.join('  ').trimEnd();
}
