import { parseId } from '../core/ids.ts';
import * as projects from '../core/projects.ts';
import { domainView, projectView } from '../core/tenancy.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { created, noContent, ok } from '../shared/http.ts';
import { listResponse } from '../shared/lists.ts';
import { bodyOf } from './spec.ts';
import { tenancySpec as spec } from './tenancy.spec.ts';

export const handler = createApiHandler('tenancy', spec, {
  listDomains: (req: AuthedRequest, d: Deps) => listResponse(req, d, (page) => projects.listDomains(d, req.subject, page), domainView),

  getDomain: async (req: AuthedRequest, d: Deps) =>
    ok(domainView(await projects.getDomain(d, req.subject, parseId(req.pathParams.id, 'domain')))),

  createProject: async (req: AuthedRequest, d: Deps) => {
    const body = bodyOf(spec.createProject, req);
    const project = await projects.createProject(d, req.subject, body);
    return created(projectView(project), `/v1/projects/${project.id}`);
  },

  listProjects: async (req: AuthedRequest, d: Deps) => {
    const domainId = req.query.domain_id ? parseId(req.query.domain_id, 'domain') : req.subject.domainId;
    return listResponse(req, d, (page) => projects.listProjects(d, req.subject, domainId, page), projectView);
  },

  getProject: async (req: AuthedRequest, d: Deps) =>
    ok(projectView(await projects.authorizedProject(d, req.subject, parseId(req.pathParams.id, 'project'), 'read'))),

  patchProject: async (req: AuthedRequest, d: Deps) => {
    const id = parseId(req.pathParams.id, 'project');
    const body = bodyOf(spec.patchProject, req);
    return ok(projectView(await projects.patchProject(d, req.subject, id, body)));
  },

  transferProject: async (req: AuthedRequest, d: Deps) => {
    const id = parseId(req.pathParams.id, 'project');
    const body = bodyOf(spec.transferProject, req);
    const actor = { subject: req.subject, correlationId: req.correlationId };
    return ok(projectView(await projects.transferProject(d, actor, id, body.user_id)));
  },

  deleteProject: async (req: AuthedRequest, d: Deps) => {
    await projects.deleteProject(d, req.subject, parseId(req.pathParams.id, 'project'));
    return noContent();
  },
});
