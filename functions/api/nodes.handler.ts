import type { z } from 'zod';
import * as enrolment from '../core/enrolment.ts';
import { InvalidInputError, NotImplementedError } from '../core/errors.ts';
import { createApiHandler, type NodeRequest } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import type { ApiRequest } from '../shared/http.ts';
import { ok } from '../shared/http.ts';
import { parseBody } from '../shared/validation.ts';

/** The node endpoints answer a malformed envelope with their own contract code. */
function parseEnvelope<S extends z.ZodType>(schema: S, body: unknown, code: string): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  throw new InvalidInputError(code, `The request body is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

export const handler = createApiHandler('nodes', {
  register: async (req: ApiRequest, d: Deps) => ({
    status: 201,
    body: await enrolment.registerNode(d, parseBody(enrolment.RegisterBodySchema, req.body)),
  }),

  heartbeat: async (req: NodeRequest, d: Deps) =>
    ok(await enrolment.acceptHeartbeat(d, req.node, parseEnvelope(enrolment.HeartbeatBodySchema, req.body, 'malformed_heartbeat_request'))),

  nodeState: async (req: NodeRequest, d: Deps) => ok(await enrolment.nodeState(d, req.node)),

  nodeEvents: async () => {
    throw new NotImplementedError(
      'signed_event_bus_not_provisioned',
      'The signed event stream is not provisioned in this broker; pull GET /v1/nodes/{id}/state instead.',
    );
  },

  putCapabilities: async (req: NodeRequest, d: Deps) =>
    ok(
      await enrolment.recordCapabilities(
        d,
        req.node,
        parseEnvelope(enrolment.CapabilityManifestBodySchema, req.body, 'malformed_capabilities_request'),
      ),
    ),
});
