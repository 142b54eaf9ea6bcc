import {
  BlueprintVersionViewSchema,
  BlueprintViewSchema,
  CreateBlueprintBodySchema,
  PublishVersionBodySchema,
} from '../core/catalog/blueprints.ts';
import { CloudViewSchema, CreateCloudBodySchema, PatchCloudBodySchema } from '../core/catalog/clouds.ts';
import { CredentialViewSchema, IssueCredentialBodySchema, RevokeCredentialBodySchema } from '../core/catalog/credentials.ts';
import { can, creates, type GroupSpec, lists, NO_CONTENT, named, reads, withBody } from './spec.ts';

// The whole catalog is the platform operator's: one read and one manage action on the Platform.
const READ = can('catalog_read', 'Platform');
const MANAGE = can('catalog_manage', 'Platform');

const CLOUD = named('CloudView', CloudViewSchema);
const CREDENTIAL = named('CredentialView', CredentialViewSchema);
const BLUEPRINT = named('BlueprintView', BlueprintViewSchema);

export const catalogSpec = {
  createCloud: creates('Create a cloud', MANAGE, named('CreateCloudBody', CreateCloudBodySchema), CLOUD),
  listClouds: lists('List clouds', READ, CLOUD),
  getCloud: reads('Get a cloud', READ, CLOUD),
  patchCloud: withBody('Change a cloud', MANAGE, named('PatchCloudBody', PatchCloudBodySchema), CLOUD),
  deleteCloud: { summary: 'Delete a cloud', authorization: MANAGE, answers: NO_CONTENT },
  createCredential: creates(
    'Issue a credential for a cloud (the payload is never returned)',
    MANAGE,
    named('IssueCredentialBody', IssueCredentialBodySchema),
    CREDENTIAL,
  ),
  listCredentials: lists("List a cloud's credentials", READ, CREDENTIAL),
  getCredential: reads('Get a credential', READ, CREDENTIAL),
  revokeCredential: withBody('Revoke a credential', MANAGE, named('RevokeCredentialBody', RevokeCredentialBodySchema), CREDENTIAL),
  createBlueprint: creates('Create a blueprint', MANAGE, named('CreateBlueprintBody', CreateBlueprintBodySchema), BLUEPRINT),
  listBlueprints: lists('List blueprints (without their versions)', READ, BLUEPRINT),
  getBlueprint: reads('Get a blueprint and its versions', READ, BLUEPRINT),
  publishBlueprintVersion: creates(
    'Publish an immutable blueprint version',
    MANAGE,
    named('PublishVersionBody', PublishVersionBodySchema),
    named('BlueprintVersionView', BlueprintVersionViewSchema),
  ),
} satisfies GroupSpec;
