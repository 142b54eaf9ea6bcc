import type * as z from 'zod';
import { recordCapabilities } from '../core/enrolment/capabilities.ts';
import { acceptHeartbeat } from '../core/enrolment/heartbeat.ts';
import { registerNode } from '../core/enrolment/register.ts';
import { nodeState } from '../core/enrolment/state.ts';
import { InvalidInputError, NotImplementedError } from '../core/errors.ts';
import { createApiHandler, type NodeRequest } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import type { ApiRequest } from '../shared/http.ts';
import { ok } from '../shared/http.ts';
import { nodesSpec as spec } from './nodes.spec.ts';
import { bodyOf } from './spec.ts';

/** The node endpoints answer a malformed envelope with their own contract code. */
function parseEnvelope<S extends z.ZodType>(schema: S, body: unknown, code: string): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  throw new InvalidInputError(code, `The request body is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

export const handler = createApiHandler('nodes', spec, {
  register: async (req: ApiRequest, d: Deps) => ({
    status: 201,
    body: await registerNode(d, bodyOf(spec.register, req)),
  }),

  heartbeat: async (req: NodeRequest, d: Deps) =>
    ok(await acceptHeartbeat(d, req.node, parseEnvelope(spec.heartbeat.body.schema, req.body, 'malformed_heartbeat_request'))),

  nodeState: async (req: NodeRequest, d: Deps) => {
    const answer = await nodeState(d, req.node, req.headers['if-none-match']);
    if (answer.notModified) return { status: 304, headers: { ETag: answer.etag } };
    return ok(answer.view, 200, answer.etag ? { ETag: answer.etag } : undefined);
  },

  nodeEvents: async () => {
    throw new NotImplementedError(
      'signed_event_bus_not_provisioned',
      'The signed event stream is not provisioned in this broker; pull GET /v1/nodes/{id}/state instead.',
    );
  },

  putCapabilities: async (req: NodeRequest, d: Deps) =>
    ok(await recordCapabilities(d, req.node, parseEnvelope(spec.putCapabilities.body.schema, req.body, 'malformed_capabilities_request'))),
});
