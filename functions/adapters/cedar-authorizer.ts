import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { Action, AuthzDecision, Authorizer, AuthzResource, AuthzSubject } from '../core/authz/model.ts';

type CedarEngine = typeof import('@cedar-policy/cedar-wasm/nodejs');

export interface PolicyText {
  policies: string;
  /** When given, every request and its entities are validated against it (tests; costs time). */
  schema?: string;
}

/**
 * Where the policy files are, relative to this module: in the source tree they sit in
 * functions/core/authz/; a Lambda bundle is one file, so infra's bundling copies them to ./authz/
 * beside it (see infra/constructs/broker-function.ts).
 */
const POLICY_DIRS = ['../core/authz/', './authz/'];

/** Reads the policy set and schema from functions/core/authz/, or from the copy beside a bundle. */
export function loadPolicyText(): Required<PolicyText> {
  const dir = POLICY_DIRS.map((d) => new URL(d, import.meta.url)).find((u) => existsSync(new URL('policies.cedar', u)));
  if (!dir) throw new Error(`cedar: no policies.cedar in ${POLICY_DIRS.join(' or ')} of ${import.meta.url}`);
  const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
  return { policies: read('policies.cedar'), schema: read('schema.cedarschema') };
}

// The engine costs ~60 ms to import: load it on the first decision, once per container.
let engine: Promise<CedarEngine> | undefined;
function loadEngine(): Promise<CedarEngine> {
  if (!engine) {
    // V8's default tiering compiles the engine's hot wasm functions a second time with TurboFan,
    // which made the first decision of a container cost 170-290 ms here against 70-90 ms with
    // Liftoff alone, for no steady-state gain (about 120 µs a decision either way; see the bench's
    // cold init). The flag must be set before the module compiles; it only concerns wasm, and the
    // engine is the only wasm these functions load.
    setFlagsFromString('--liftoff-only');
    engine = import('@cedar-policy/cedar-wasm/nodejs');
  }
  return engine;
}

// Preparsed sets live in the engine's global cache, keyed by id: one id per authorizer.
let instances = 0;

export class CedarAuthorizer implements Authorizer {
  private readonly id = `plexsphere-${++instances}`;
  private ready: Promise<CedarEngine> | undefined;

  /** Without `text`, the runtime policy files (no schema) are read on the first decision. */
  constructor(private readonly text?: PolicyText) {}

  async decide(subject: AuthzSubject, action: Action, resource: AuthzResource): Promise<AuthzDecision> {
    const cedar = await this.prepare();
    const answer = cedar.statefulIsAuthorized({
      preparsedPolicySetId: this.id,
      ...(this.text?.schema !== undefined && { preparsedSchemaName: this.id, validateRequest: true }),
      principal: userUid(subject.userId),
      action: { type: 'Action', id: action },
      resource: resourceUid(resource),
      context: {},
      entities: [userEntity(subject), ...resourceEntities(resource)],
    });
    if (answer.type === 'failure') throw new Error(`cedar: ${answer.errors.map((e) => e.message).join('; ')}`);
    // An erroring policy is skipped by Cedar; a skipped forbid would silently lift a guard, so fail closed.
    const errors = answer.response.diagnostics.errors;
    if (errors.length > 0) {
      throw new Error(`cedar: ${errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
    }
    if (answer.response.decision === 'allow') return { allowed: true };
    return { allowed: false, reason: hasFooting(subject, resource) ? 'insufficient_relation' : 'out_of_scope' };
  }

  /**
   * Pays the cold start up front (engine import, policy parse, and the engine's lazily compiled
   * first evaluation: together ~200 ms), e.g. from a handler's module scope during Lambda init.
   */
  async warm(): Promise<void> {
    await this.decide(
      { userId: 'warm-up', domainId: 'warm-up', platformOperator: false, adminOf: [], auditorOf: [], mayOwnIn: [] },
      'read',
      {
        type: 'Domain',
        id: 'warm-up',
      },
    );
  }

  private prepare(): Promise<CedarEngine> {
    this.ready ??= loadEngine().then((cedar) => {
      const { policies, schema } = this.text ?? { policies: loadPolicyText().policies };
      const parsed = cedar.preparsePolicySet(this.id, { staticPolicies: policies });
      if (parsed.type === 'failure') throw new Error(`cedar policies: ${parsed.errors.map((e) => e.message).join('; ')}`);
      if (schema !== undefined) {
        const s = cedar.preparseSchema(this.id, schema);
        if (s.type === 'failure') throw new Error(`cedar schema: ${s.errors.map((e) => e.message).join('; ')}`);
      }
      return cedar;
    });
    // A failed load is retried on the next decision instead of poisoning the container.
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return this.ready;
  }
}

/** Denied with footing (admin or auditor of the resource's domain; platform-wide resources always) → insufficient_relation. */
function hasFooting(subject: AuthzSubject, resource: AuthzResource): boolean {
  const domainId = domainOf(resource);
  if (domainId === undefined) return true;
  return subject.adminOf.includes(domainId) || subject.auditorOf.includes(domainId);
}

function domainOf(resource: AuthzResource): string | undefined {
  switch (resource.type) {
    case 'Platform':
    case 'CloudCredential':
      return undefined;
    case 'Domain':
      return resource.id;
    case 'Project':
    case 'CredentialAssignment':
      return resource.domainId;
  }
}

const uid = (type: string, id: string): EntityUidJson => ({ type, id });
const ref = (type: string, id: string) => ({ __entity: { type, id } });
const userUid = (id: string) => uid('User', id);

function userEntity(subject: AuthzSubject): EntityJson {
  return {
    uid: userUid(subject.userId),
    attrs: {
      platform_operator: subject.platformOperator,
      admin_of: subject.adminOf.map((id) => ref('Domain', id)),
      auditor_of: subject.auditorOf.map((id) => ref('Domain', id)),
      may_own_in: subject.mayOwnIn.map((id) => ref('Domain', id)),
    },
    parents: [],
  };
}

function resourceUid(resource: AuthzResource): EntityUidJson {
  return resource.type === 'Platform' ? uid('Platform', 'platform') : uid(resource.type, resource.id);
}

// Entities a policy may look at beside the principal; referenced users need no entity of their own.
function resourceEntities(resource: AuthzResource): EntityJson[] {
  switch (resource.type) {
    case 'Platform':
    case 'Domain':
      return [];
    case 'Project':
      return [
        {
          uid: resourceUid(resource),
          attrs: { domain: ref('Domain', resource.domainId), owner: ref('User', resource.ownerId) },
          parents: [uid('Domain', resource.domainId)],
        },
      ];
    case 'CloudCredential':
      return [{ uid: resourceUid(resource), attrs: { owner: ref('User', resource.ownerId) }, parents: [] }];
    case 'CredentialAssignment':
      return [
        {
          uid: resourceUid(resource),
          attrs: {
            project: ref('Project', resource.projectId),
            requested_by: ref('User', resource.requestedBy),
            credential_owner: ref('User', resource.credentialOwnerId),
          },
          parents: [uid('Project', resource.projectId)],
        },
      ];
  }
}
