import { createHash } from 'node:crypto';
import { InvalidInputError } from '../core/errors.ts';
import { parseId } from '../core/ids.ts';
import { moveLease } from '../core/leases.ts';
import * as provisioning from '../core/provisioning.ts';
import { resourceView } from '../core/resources.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { ok } from '../shared/http.ts';
import { canonicalJson } from '../core/canonical-json.ts';
import { listResponse } from '../shared/lists.ts';
import { resourcesSpec as spec } from './resources.spec.ts';
import { bodyOf } from './spec.ts';

function idempotencyOf(req: AuthedRequest): { key: string; requestHash: string } | undefined {
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(key)) {
    throw new InvalidInputError(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1-128 letters, digits, dots, dashes, underscores or colons.',
    );
  }
  return { key, requestHash: createHash('sha256').update(canonicalJson(req.body)).digest('hex') };
}

function dryRunOf(req: AuthedRequest): boolean {
  const raw = req.query.dry_run;
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true' || raw === '') return true;
  throw new InvalidInputError('invalid_dry_run', 'dry_run must be true or false.');
}

export const handler = createApiHandler('resources', spec, {
  createResource: async (req: AuthedRequest, d: Deps) => {
    const projectId = parseId(req.pathParams.id, 'project');
    const origin = (req.body as { origin?: unknown } | undefined)?.origin;
    if (origin !== 'provisioned' && origin !== 'adopted') {
      throw new InvalidInputError('invalid_resource_origin', 'origin must be "provisioned" or "adopted".');
    }
    const body = bodyOf(spec.createResource, req);
    if (dryRunOf(req)) {
      const plan = await provisioning.planResource(d, req.subject, projectId, body);
      return ok({ ...plan, resource: resourceView(plan.resource) });
    }
    const { resource } = await provisioning.createResource(d, req.subject, projectId, body, {
      idempotency: idempotencyOf(req),
      correlationId: req.correlationId,
    });
    const location = `/v1/resources/${resource.id}`;
    return resource.origin === 'provisioned'
      ? { status: 202, body: resourceView(resource), headers: { Location: location } }
      : { status: 201, body: resourceView(resource), headers: { Location: location } };
  },

  listResources: (req: AuthedRequest, d: Deps) => {
    const projectId = parseId(req.pathParams.id, 'project');
    return listResponse(req, d, (page) => provisioning.listResources(d, req.subject, projectId, page), resourceView);
  },

  getResource: async (req: AuthedRequest, d: Deps) =>
    ok(resourceView(await provisioning.getResource(d, req.subject, parseId(req.pathParams.id, 'resource')))),

  moveLease: async (req: AuthedRequest, d: Deps) => {
    const { expires_at } = bodyOf(spec.moveLease, req);
    const actor = { subject: req.subject, correlationId: req.correlationId };
    return ok(resourceView(await moveLease(d, actor, parseId(req.pathParams.id, 'resource'), expires_at)));
  },

  deleteResource: async (req: AuthedRequest, d: Deps) => {
    // A provisioned Resource is torn down asynchronously (202); an adopted one is gone at once (204).
    const outcome = await provisioning.deleteResource(d, req.subject, parseId(req.pathParams.id, 'resource'));
    return { status: outcome === 'removed' ? 204 : 202 };
  },
});
