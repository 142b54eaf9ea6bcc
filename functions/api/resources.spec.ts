import { CreatePlanViewSchema } from '../core/admission.ts';
import { LeaseBodySchema } from '../core/leases.ts';
import { CreateResourceBodySchema, ResourceViewSchema } from '../core/resources.ts';
import { can, type GroupSpec, lists, named, reads, withBody } from './spec.ts';

const RESOURCE = named('ResourceView', ResourceViewSchema);
const DEPLOY = can('deploy', 'Project');

export const resourcesSpec = {
  createResource: {
    summary: 'Declare a Resource: 202 starts provisioning, 201 records an adopted one; a dry run answers 200 with the plan',
    authorization: DEPLOY,
    body: named('CreateResourceBody', CreateResourceBodySchema),
    answers: { 202: { view: RESOURCE }, 201: { view: RESOURCE }, 200: { view: named('CreatePlanView', CreatePlanViewSchema) } },
    location: true,
    idempotencyKey: true,
    query: {
      dry_run: {
        schema: { type: 'boolean' },
        description: 'Run every admission check (constraints, terms, quota) and store nothing: 200 with the plan.',
      },
    },
  },
  listResources: lists("List a project's Resources", can('read', 'Project'), RESOURCE),
  getResource: reads('Get a Resource and where its provisioning stands', can('read', 'Project'), RESOURCE),
  moveLease: withBody(
    "Extend or shorten a Resource's lease, up to its max_expires_at",
    DEPLOY,
    named('LeaseBody', LeaseBodySchema),
    RESOURCE,
  ),
  deleteResource: {
    summary: 'Delete a Resource (a provisioned one is torn down: 202; an adopted one is removed: 204)',
    authorization: DEPLOY,
    answers: { 202: 'empty', 204: 'empty' },
  },
} satisfies GroupSpec;
