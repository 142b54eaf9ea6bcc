import { parseId } from '../core/ids.ts';
import { eventListView, listDomainEvents, listProjectEvents, parseEventQuery } from '../core/events/queries.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { ok } from '../shared/http.ts';
import { eventsSpec as spec } from './events.spec.ts';

// Malformed input is refused (400) before authorization, as on the other list routes.
export const handler = createApiHandler('events', spec, {
  listDomainEvents: async (req: AuthedRequest, d: Deps) => {
    const domainId = parseId(req.pathParams.id, 'domain');
    return ok(eventListView(await listDomainEvents(d, req.subject, domainId, parseEventQuery(req.query))));
  },
  listProjectEvents: async (req: AuthedRequest, d: Deps) => {
    const projectId = parseId(req.pathParams.id, 'project');
    return ok(eventListView(await listProjectEvents(d, req.subject, projectId, parseEventQuery(req.query))));
  },
});
