import type { Case, Who } from './route-cases.ts';
import type { ApiResponse } from './stack.ts';

// The route cases of the event log, merged into the journey's table by route-cases.ts. The
// published contract has no event routes, so only our own document's tests run these (its answers,
// the action each spec names); the refusals are checked in test/e2e/events.test.ts.

export interface EventHelpers {
  call: (who: Who, method: string, path: string) => Promise<ApiResponse>;
  domainId: string;
  projectId: string;
}

export function eventCases({ call, domainId, projectId }: EventHelpers): Record<string, Case[]> {
  const ours = (name: string, status: number, run: () => Promise<ApiResponse>): Case => ({
    name,
    status,
    run,
    beyondContract: 'the contract has no event log',
  });
  const domain = (query = '') => `/v1/domains/${domainId}/events${query}`;
  const project = (query = '') => `/v1/projects/${projectId}/events${query}`;
  return {
    'GET /v1/domains/{id}/events': [
      ours('the domain’s events, as its admin', 200, () => call('admin', 'GET', domain())),
      ours('one type, a page at a time, as the domain auditor', 200, () => call('operator', 'GET', domain('?type=resource.phase_changed&after_seq=1&limit=2'))),
    ],
    'GET /v1/projects/{id}/events': [
      ours('the journey project’s events, as its owner', 200, () => call('admin', 'GET', project())),
      ours('one type, as the domain auditor', 200, () => call('operator', 'GET', project('?type=resource.created'))),
    ],
  };
}
