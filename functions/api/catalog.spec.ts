import {
  BlueprintVersionViewSchema,
  BlueprintViewSchema,
  CreateBlueprintBodySchema,
  PublishVersionBodySchema,
} from '../core/catalog/blueprints.ts';
import { CloudViewSchema, CreateCloudBodySchema, PatchCloudBodySchema } from '../core/catalog/clouds.ts';
import { CredentialViewSchema, IssueCredentialBodySchema, RevokeCredentialBodySchema } from '../core/catalog/credentials.ts';
import { CREATED, can, type GroupSpec, NO_CONTENT, named, OK, PAGE } from './spec.ts';

// The whole catalog is the platform operator's: one read and one manage action on the Platform.
const READ = can('catalog_read', 'Platform');
const MANAGE = can('catalog_manage', 'Platform');

const CLOUD = named('CloudView', CloudViewSchema);
const CREDENTIAL = named('CredentialView', CredentialViewSchema);
const BLUEPRINT = named('BlueprintView', BlueprintViewSchema);

export const catalogSpec = {
  createCloud: {
    summary: 'Create a cloud',
    authorization: MANAGE,
    body: named('CreateCloudBody', CreateCloudBodySchema),
    answers: CREATED(CLOUD),
    location: true,
  },
  listClouds: { summary: 'List clouds', authorization: READ, answers: PAGE(CLOUD), list: {} },
  getCloud: { summary: 'Get a cloud', authorization: READ, answers: OK(CLOUD) },
  patchCloud: { summary: 'Change a cloud', authorization: MANAGE, body: named('PatchCloudBody', PatchCloudBodySchema), answers: OK(CLOUD) },
  deleteCloud: { summary: 'Delete a cloud', authorization: MANAGE, answers: NO_CONTENT },
  createCredential: {
    summary: 'Issue a credential for a cloud (the payload is never returned)',
    authorization: MANAGE,
    body: named('IssueCredentialBody', IssueCredentialBodySchema),
    answers: CREATED(CREDENTIAL),
    location: true,
  },
  listCredentials: { summary: "List a cloud's credentials", authorization: READ, answers: PAGE(CREDENTIAL), list: {} },
  getCredential: { summary: 'Get a credential', authorization: READ, answers: OK(CREDENTIAL) },
  revokeCredential: {
    summary: 'Revoke a credential',
    authorization: MANAGE,
    body: named('RevokeCredentialBody', RevokeCredentialBodySchema),
    answers: OK(CREDENTIAL),
  },
  createBlueprint: {
    summary: 'Create a blueprint',
    authorization: MANAGE,
    body: named('CreateBlueprintBody', CreateBlueprintBodySchema),
    answers: CREATED(BLUEPRINT),
    location: true,
  },
  listBlueprints: { summary: 'List blueprints (without their versions)', authorization: READ, answers: PAGE(BLUEPRINT), list: {} },
  getBlueprint: { summary: 'Get a blueprint and its versions', authorization: READ, answers: OK(BLUEPRINT) },
  publishBlueprintVersion: {
    summary: 'Publish an immutable blueprint version',
    authorization: MANAGE,
    body: named('PublishVersionBody', PublishVersionBodySchema),
    answers: CREATED(named('BlueprintVersionView', BlueprintVersionViewSchema)),
    location: true,
  },
} satisfies GroupSpec;
