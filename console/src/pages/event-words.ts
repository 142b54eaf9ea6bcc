// Events in words: each type's name as a person says it, the groups the feed filters by, and a
// one-line summary of what an event's data says (what changed, to what, and why).
import type { DomainEvent, EventType } from '../live.ts';
import { dateTime, duration } from '../ui/format.ts';

export const TYPE_WORDS: Record<EventType, string> = {
  'resource.created': 'Resource created',
  'resource.phase_changed': 'Phase changed',
  'resource.deleted': 'Resource deleted',
  'resource.create_refused': 'Create refused',
  'resource.lease_set': 'Lease set',
  'resource.lease_extended': 'Lease extended',
  'resource.lease_expiring': 'Lease expiring',
  'resource.lease_expired': 'Lease expired',
  'assignment.requested': 'Credential requested',
  'assignment.approved': 'Request approved',
  'assignment.rejected': 'Request rejected',
  'assignment.revoked': 'Assignment revoked',
  'assignment.expired': 'Request expired',
  'assignment.terms_changed': 'Terms changed',
  'project.owner_changed': 'Owner changed',
};

export const EVENT_TYPE_LIST = Object.keys(TYPE_WORDS) as EventType[];

export interface TypeGroup {
  /** The group's heading in the filter. */
  label: string;
  /** What its events are called in a sentence. */
  noun: string;
  types: EventType[];
}

export const TYPE_GROUPS: TypeGroup[] = [
  { label: 'Resources', noun: 'resource events', types: EVENT_TYPE_LIST.filter((t) => t.startsWith('resource.')) },
  {
    label: 'Credential assignments',
    noun: 'credential assignment events',
    types: EVENT_TYPE_LIST.filter((t) => t.startsWith('assignment.')),
  },
];

/** The word for a type the console may not know yet (a newer broker): its own name. */
export function typeWords(type: string): string {
  return TYPE_WORDS[type as EventType] ?? type;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const REASON_CODE_WORDS: Record<string, string> = {
  delete_requested: 'delete requested',
  lease_expired: 'lease expired',
  assignment_revoked: 'assignment revoked',
};

/** The terms of an assignment in a few words: "up to 3 live Resources, leases up to 1d". */
export function termsWords(terms: unknown): string | undefined {
  if (!terms || typeof terms !== 'object') return undefined;
  const t = terms as Record<string, unknown>;
  const parts: string[] = [];
  const max = num(t.max_live_resources);
  if (max !== undefined) parts.push(`up to ${max} live Resource${max === 1 ? '' : 's'}`);
  const lease = num(t.max_lease_seconds);
  if (lease !== undefined) parts.push(`leases up to ${duration(lease * 1000)}`);
  if (Array.isArray(t.allowed_blueprint_version_ids)) {
    const n = t.allowed_blueprint_version_ids.length;
    parts.push(`${n} allowed version${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(', ') : 'no limits';
}

function joined(...parts: Array<string | undefined>): string {
  return parts.filter(Boolean).join(' · ');
}

function errorWords(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const e = v as Record<string, unknown>;
  const msg = str(e.message);
  const code = str(e.code);
  if (!msg && !code) return undefined;
  return `error: ${msg ?? ''}${code ? ` (${code})` : ''}`.trim();
}

/** What the event says, in one line. */
export function eventSummary(e: Pick<DomainEvent, 'type' | 'data'>): string {
  const d = e.data ?? {};
  switch (e.type) {
    case 'resource.created':
      return joined(str(d.phase) && `starts in ${str(d.phase)}`, str(d.origin) && `origin ${str(d.origin)}`, str(d.kind));
    case 'resource.phase_changed': {
      const move = `${str(d.from) ?? 'new'} → ${str(d.phase) ?? '?'}`;
      const code = str(d.reason_code);
      return joined(str(d.reason) ? `${move}: ${str(d.reason)}` : move, code && (REASON_CODE_WORDS[code] ?? code), errorWords(d.error));
    }
    case 'resource.deleted':
      return joined('removed', str(d.origin) && `origin ${str(d.origin)}`);
    case 'resource.create_refused':
      return joined(`refused: ${str(d.code) ?? 'unknown reason'}`, str(d.message) ?? str(d.detail));
    case 'resource.lease_set':
    case 'resource.lease_extended':
    case 'resource.lease_expiring':
    case 'resource.lease_expired': {
      const until = str(d.expires_at);
      const from = str(d.from);
      const verb = e.type === 'resource.lease_expired' ? 'ended' : e.type === 'resource.lease_expiring' ? 'ends' : 'until';
      return joined(from && `was ${dateTime(from)}`, until && `${verb} ${dateTime(until)}`);
    }
    case 'assignment.requested':
      return joined(
        str(d.cloud_credential_id) && `credential ${str(d.cloud_credential_id)}`,
        d.proposed_terms ? `proposed: ${termsWords(d.proposed_terms)}` : undefined,
      );
    case 'assignment.approved':
      return joined(d.terms ? `terms: ${termsWords(d.terms)}` : undefined, str(d.reason) && `reason: ${str(d.reason)}`) || 'approved';
    case 'assignment.rejected':
    case 'assignment.revoked':
      return str(d.reason) ? `reason: ${str(d.reason)}` : 'no reason given';
    case 'assignment.expired':
      return 'not decided in time';
    case 'assignment.terms_changed':
      return joined(`${termsWords(d.from) ?? 'none'} → ${termsWords(d.terms) ?? 'none'}`);
    default:
      return '';
  }
}
