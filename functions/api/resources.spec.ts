import { CreateResourceBodySchema, ResourceViewSchema } from '../core/resources.ts';
import { can, type GroupSpec, lists, named, reads } from './spec.ts';

const RESOURCE = named('ResourceView', ResourceViewSchema);

export const resourcesSpec = {
  createResource: {
    summary: 'Declare a Resource: 202 starts provisioning, 201 records an adopted one',
    authorization: can('deploy', 'Project'),
    body: named('CreateResourceBody', CreateResourceBodySchema),
    answers: { 202: { view: RESOURCE }, 201: { view: RESOURCE } },
    location: true,
    idempotencyKey: true,
  },
  listResources: lists("List a project's Resources", can('read', 'Project'), RESOURCE),
  getResource: reads('Get a Resource and where its provisioning stands', can('read', 'Project'), RESOURCE),
  deleteResource: {
    summary: 'Delete a Resource (a provisioned one is torn down: 202; an adopted one is removed: 204)',
    authorization: can('deploy', 'Project'),
    answers: { 202: 'empty', 204: 'empty' },
  },
} satisfies GroupSpec;
