import type { Resource } from '../functions/core/resources.ts';

// Node Resources written straight through the stores or into the table (the bench, test fixtures),
// without the create use case or the provision state machine.

/** A provisioned node Resource as its create records it, before any run: add `provisioning` and `node` to place it. */
export function nodeResource(ids: { id: string; projectId: string; domainId: string; createdBy: string }, at: string): Resource {
  const { id } = ids;
  return { id, project_id: ids.projectId, domain_id: ids.domainId, kind: 'node', origin: 'provisioned', external_ref: id, created_at: at, updated_at: at, created_by: ids.createdBy };
}
