import * as blueprints from '../core/catalog/blueprints.ts';
import { blueprintView, versionView } from '../core/catalog/blueprints.ts';
import * as clouds from '../core/catalog/clouds.ts';
import { cloudView } from '../core/catalog/clouds.ts';
import * as credentials from '../core/catalog/credentials.ts';
import { credentialView } from '../core/catalog/credentials.ts';
import { parseId } from '../core/ids.ts';
import { type AuthedRequest, createApiHandler } from '../shared/api-handler.ts';
import type { Deps } from '../shared/composition.ts';
import { created, noContent, ok } from '../shared/http.ts';
import { listResponse } from '../shared/lists.ts';
import { catalogSpec as spec } from './catalog.spec.ts';
import { bodyOf } from './spec.ts';

// Bodies are handed to the use cases as thunks: they are parsed only after the caller is known
// to manage the catalog, so a refused caller gets 403 whatever it sent.

export const handler = createApiHandler('catalog', spec, {
  createCloud: async (req: AuthedRequest, d: Deps) => {
    const cloud = await clouds.createCloud(d, req.subject, () => bodyOf(spec.createCloud, req));
    return created(cloudView(cloud), `/v1/clouds/${cloud.id}`);
  },

  listClouds: (req: AuthedRequest, d: Deps) => listResponse(req, d, (page) => clouds.listClouds(d, req.subject, page), cloudView),

  getCloud: async (req: AuthedRequest, d: Deps) =>
    ok(cloudView(await clouds.getCloud(d, req.subject, parseId(req.pathParams.id, 'cloud')))),

  patchCloud: async (req: AuthedRequest, d: Deps) => {
    const id = parseId(req.pathParams.id, 'cloud');
    return ok(cloudView(await clouds.patchCloud(d, req.subject, id, () => bodyOf(spec.patchCloud, req))));
  },

  deleteCloud: async (req: AuthedRequest, d: Deps) => {
    await clouds.deleteCloud(d, req.subject, parseId(req.pathParams.id, 'cloud'));
    return noContent();
  },

  createCredential: async (req: AuthedRequest, d: Deps) => {
    const cloudId = parseId(req.pathParams.id, 'cloud');
    const credential = await credentials.issueCredential(d, req.subject, cloudId, () => bodyOf(spec.createCredential, req));
    return created(credentialView(credential, d.clock.now()), `/v1/cloud-credentials/${credential.id}`);
  },

  listCredentials: async (req: AuthedRequest, d: Deps) => {
    const cloudId = parseId(req.pathParams.id, 'cloud');
    const now = d.clock.now();
    return listResponse(
      req,
      d,
      (page) => credentials.listCredentials(d, req.subject, cloudId, page),
      (c) => credentialView(c, now),
    );
  },

  getCredential: async (req: AuthedRequest, d: Deps) => {
    const credential = await credentials.getCredential(d, req.subject, parseId(req.pathParams.id, 'cloud_credential'));
    return ok(credentialView(credential, d.clock.now()));
  },

  revokeCredential: async (req: AuthedRequest, d: Deps) => {
    const id = parseId(req.pathParams.id, 'cloud_credential');
    const credential = await credentials.revokeCredential(d, req.subject, id, () => bodyOf(spec.revokeCredential, req));
    return ok(credentialView(credential, d.clock.now()));
  },

  createBlueprint: async (req: AuthedRequest, d: Deps) => {
    const blueprint = await blueprints.createBlueprint(d, req.subject, () => bodyOf(spec.createBlueprint, req));
    return created(blueprintView(blueprint), `/v1/blueprints/${blueprint.id}`);
  },

  // The list projection carries no versions (the contract's shape); GET one blueprint for them.
  listBlueprints: (req: AuthedRequest, d: Deps) =>
    listResponse(
      req,
      d,
      (page) => blueprints.listBlueprints(d, req.subject, page),
      (b) => blueprintView(b),
    ),

  getBlueprint: async (req: AuthedRequest, d: Deps) => {
    const { blueprint, versions } = await blueprints.getBlueprint(d, req.subject, parseId(req.pathParams.id, 'blueprint'));
    return ok(blueprintView(blueprint, versions));
  },

  publishBlueprintVersion: async (req: AuthedRequest, d: Deps) => {
    const blueprintId = parseId(req.pathParams.id, 'blueprint');
    const version = await blueprints.publishVersion(d, req.subject, blueprintId, () => bodyOf(spec.publishBlueprintVersion, req));
    // The contract has no per-version path: Location names the blueprint, whose versions list it.
    return created(versionView(version), `/v1/blueprints/${blueprintId}`);
  },
});
