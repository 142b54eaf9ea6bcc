// How the broker's wire fields read to people: one label a field, so a field is named the same in
// every detail block ("Display name:") and table ("DISPLAY NAME").
import { type Column, details } from '../render.ts';

const LABELS = {
  id: 'ID',
  slug: 'Slug',
  name: 'Name',
  display_name: 'Display name',
  description: 'Description',
  kind: 'Kind',
  provider: 'Provider',
  endpoint: 'Endpoint',
  region_defaults: 'Region defaults',
  external_id: 'External id',
  status: 'Status',
  state: 'State',
  version: 'Version',
  materialised: 'Materialised',
  cloud_id: 'Cloud',
  domain_id: 'Domain',
  project_id: 'Project',
  cloud_credential_id: 'Cloud credential',
  owner_id: 'Owner',
  requested_by: 'Requested by',
  decided_by: 'Decided by',
  decision_reason: 'Decision reason',
  action_kind: 'Kind',
  target_resource: 'Target',
  proposer_subject: 'Proposed by',
  decided_by_subject: 'Decided by',
  at: 'At',
  actor_subject: 'Actor',
  action: 'Action',
  target: 'Target',
  outcome: 'Outcome',
  reason: 'Reason',
  correlation_id: 'Correlation id',
  created_at: 'Created',
  updated_at: 'Updated',
  expires_at: 'Expires',
  revoked_at: 'Revoked',
} as const;

/** A wire field of T under its usual label, or a label and what to show under it. */
export type Field<T> = Extract<keyof T, keyof typeof LABELS> | readonly [label: string, value: (row: T) => unknown];

function labelled<T>(field: Field<T>): readonly [string, (row: T) => unknown] {
  return typeof field === 'string' ? [LABELS[field], (row: T) => row[field]] : field;
}

/** Renders one T as "Label:  value" lines. */
export function detailsOf<T>(fields: readonly Field<T>[]): (row: T) => string {
  const shown = fields.map(labelled);
  return (row) => details(shown.map(([label, value]) => [label, value(row)]));
}

/** Table columns, each headed by its label in capitals. */
export function columnsOf<T>(fields: readonly Field<T>[]): Column<T>[] {
  return fields.map(labelled).map(([label, value]) => ({ header: label.toUpperCase(), value }));
}
