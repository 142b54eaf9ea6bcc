import { expect } from 'vitest';
import type { Case, Who } from './route-cases.ts';
import type { ApiResponse } from './stack.ts';

// The route cases of governed spend (terms, quota, leases, dry runs), merged into the journey's
// table by route-cases.ts.

export interface GovernanceHelpers {
  call: (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse>;
  created: (res: Promise<ApiResponse>) => Promise<string>;
  /** A fresh credential's assignment to the journey project, requested (with proposed terms, if given). */
  requested: (project?: string, terms?: Record<string, unknown>) => Promise<string>;
  resourceBody: (over?: Record<string, unknown>) => Record<string, unknown>;
  projectId: string;
  unknownId: string;
}

export function governanceCases(h: GovernanceHelpers): Record<string, Case[]> {
  const { call, created, requested, resourceBody, projectId, unknownId } = h;
  const ok = (name: string, status: number, run: () => Promise<ApiResponse>): Case => ({ name, status, run });
  const err = ok;
  /** Terms and dry runs are ours: the published contract knows neither. */
  const ours = (c: Case, why: string): Case => ({ ...c, beyondContract: why });
  const soon = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
  /** A fresh credential approved for the journey project with `terms`; answers the assignment and its credential. */
  const approvedWith = async (terms: Record<string, unknown>) => {
    const id = await requested(projectId);
    const approval = await call('operator', 'POST', `/v1/credential-assignments/${id}/approve`, { terms });
    expect(approval.status, approval.text).toBe(200);
    return { id, credentialId: approval.body.cloud_credential_id as string };
  };
  const freshResource = () => created(call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody()));

  return {
    'POST /v1/credential-assignments/{id}/approve': [
      ok('with terms narrower than proposed', 200, async () =>
        call('operator', 'POST', `/v1/credential-assignments/${await requested(projectId, { max_live_resources: 3 })}/approve`, {
          terms: { max_live_resources: 2, max_lease_seconds: 3600 },
          reason: 'two is plenty',
        }),
      ),
      ours(
        err('with terms wider than proposed', 422, async () =>
          call('operator', 'POST', `/v1/credential-assignments/${await requested(projectId, { max_live_resources: 1 })}/approve`, {
            terms: { max_live_resources: 5 },
          }),
        ),
        'the contract has no terms, so no 422 terms_not_narrower',
      ),
    ],
    'PATCH /v1/credential-assignments/{id}': [
      ok('narrowed by the credential’s owner', 200, async () =>
        call('operator', 'PATCH', `/v1/credential-assignments/${(await approvedWith({ max_live_resources: 3 })).id}`, { terms: { max_live_resources: 1 } }),
      ),
      err('widened', 422, async () =>
        call('operator', 'PATCH', `/v1/credential-assignments/${(await approvedWith({ max_live_resources: 1 })).id}`, { terms: { max_live_resources: 4 } }),
      ),
      err('a request not yet approved', 409, async () => call('operator', 'PATCH', `/v1/credential-assignments/${await requested()}`, { terms: {} })),
      err('by the requester', 403, async () =>
        call('admin', 'PATCH', `/v1/credential-assignments/${(await approvedWith({})).id}`, { terms: { max_live_resources: 0 } }),
      ),
      err('no terms', 400, async () => call('operator', 'PATCH', `/v1/credential-assignments/${(await approvedWith({})).id}`, {})),
      err('an unknown assignment', 404, () => call('operator', 'PATCH', `/v1/credential-assignments/${unknownId}`, { terms: {} })),
    ],
    'POST /v1/projects/{id}/resources': [
      ours(
        ok('a dry run', 200, () => call('admin', 'POST', `/v1/projects/${projectId}/resources?dry_run=true`, resourceBody({ lease_seconds: 3600 }))),
        'the contract has no dry run, so no 200 plan',
      ),
      err('over the quota', 409, async () => {
        const { credentialId } = await approvedWith({ max_live_resources: 0 });
        return call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ cloud_credential_id: credentialId }));
      }),
      err('a lease beyond the terms', 422, async () => {
        const { credentialId } = await approvedWith({ max_lease_seconds: 600 });
        return call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ cloud_credential_id: credentialId, lease_seconds: 601 }));
      }),
      err('a lease under a minute', 400, () => call('admin', 'POST', `/v1/projects/${projectId}/resources`, resourceBody({ lease_seconds: 59 }))),
    ],
    'POST /v1/resources/{id}/lease': [
      ok('extended', 200, async () => call('admin', 'POST', `/v1/resources/${await freshResource()}/lease`, { expires_at: soon(7200) })),
      err('ending within a minute', 422, async () => call('admin', 'POST', `/v1/resources/${await freshResource()}/lease`, { expires_at: soon(10) })),
      err('not a time', 400, async () => call('admin', 'POST', `/v1/resources/${await freshResource()}/lease`, { expires_at: 'tomorrow' })),
      err('as the domain auditor', 403, async () => call('operator', 'POST', `/v1/resources/${await freshResource()}/lease`, { expires_at: soon(7200) })),
      err('an unknown resource', 404, () => call('admin', 'POST', `/v1/resources/${unknownId}/lease`, { expires_at: soon(7200) })),
    ],
  };
}

/** The two tables as one: a route in both keeps the cases of each. */
export function mergeCases(a: Record<string, Case[]>, b: Record<string, Case[]>): Record<string, Case[]> {
  const out = { ...a };
  for (const [route, cases] of Object.entries(b)) out[route] = [...(out[route] ?? []), ...cases];
  return out;
}
