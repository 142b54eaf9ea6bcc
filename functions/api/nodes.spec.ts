import {
  CapabilitiesViewSchema,
  CapabilityManifestBodySchema,
  HeartbeatBodySchema,
  HeartbeatViewSchema,
  NodeStateViewSchema,
  RegisterBodySchema,
  RegistrationViewSchema,
} from '../core/enrolment/schemas.ts';
import { CREATED, type GroupSpec, named, withBody } from './spec.ts';

// Nodes are no Cedar principals: registration is checked by its bootstrap token, the rest by the
// node's NSK envelope, bound to the {id} of the path.

export const nodesSpec = {
  register: {
    summary: 'Register a node with its bootstrap token',
    authorization: 'none',
    body: named('RegisterBody', RegisterBodySchema),
    answers: CREATED(named('RegistrationView', RegistrationViewSchema)),
  },
  heartbeat: withBody('Node heartbeat', 'node', named('HeartbeatBody', HeartbeatBodySchema), named('HeartbeatView', HeartbeatViewSchema)),
  nodeState: {
    summary: "The node's desired state",
    authorization: 'node',
    answers: { 200: { view: named('NodeStateView', NodeStateViewSchema) }, 304: 'empty' },
    etag: true,
  },
  nodeEvents: { summary: 'Signed event stream (not provisioned here: always 501)', authorization: 'node', answers: { 501: 'problem' } },
  putCapabilities: withBody(
    "Record the node's capability manifest",
    'node',
    named('CapabilityManifestBody', CapabilityManifestBodySchema),
    named('CapabilitiesView', CapabilitiesViewSchema),
  ),
} satisfies GroupSpec;
