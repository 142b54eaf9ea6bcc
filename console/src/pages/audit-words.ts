// The audit trail in words: what each recorded action was, and why a chain check failed.
import type { Schemas } from '../../../client/broker.ts';

export type AuditEntry = Schemas['AuditEntryView'];
export type ChainVerdict = Schemas['AuditChainVerdictView'];
export type BreakReason = NonNullable<ChainVerdict['first_broken']>['reason'];

const ACTION_WORDS: Record<string, string> = {
  'credential_assignment.request': 'Request a credential',
  'credential_assignment.approve': 'Approve a credential request',
  'credential_assignment.reject': 'Reject a credential request',
  'credential_assignment.revoke': 'Revoke a credential assignment',
  'credential_assignment.narrow_terms': 'Narrow an assignment’s terms',
};

/** An action (what was asked for; the outcome says whether it was done) as a person says it; one the console does not know reads as its name, spaced out. */
export function actionWords(action: string): string {
  return ACTION_WORDS[action] ?? action.replace(/[._]/g, ' ');
}

export const REASON_WORDS: Record<BreakReason, string> = {
  hash_mismatch: 'the entry was changed after it was written (its fields no longer match its hash)',
  seq_gap: 'an entry before it is missing or out of place (its number is not the next one)',
  prev_hash_mismatch: 'the entry before it was replaced, or entries were reordered (its link to the previous entry does not match)',
  head_mismatch: 'entries after it were removed, or the head record was changed (the head names another newest entry)',
};

export function reasonWords(reason: string): string {
  return REASON_WORDS[reason as BreakReason] ?? reason;
}
