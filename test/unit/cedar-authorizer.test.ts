import { beforeAll, describe, expect, it } from 'vitest';
import { CedarAuthorizer, loadPolicyText } from '../../functions/adapters/cedar-authorizer.ts';
import type { Action, AuthzResource, AuthzSubject } from '../../functions/core/authz/model.ts';
import type { DenyReason } from '../../functions/core/errors.ts';

const A = 'domain-a';
const B = 'domain-b';

const subjects = {
  operator: { userId: 'u-operator', domainId: A, platformOperator: true, adminOf: [], auditorOf: [A], mayOwnIn: [] },
  admin: { userId: 'u-admin', domainId: A, platformOperator: false, adminOf: [A], auditorOf: [], mayOwnIn: [A] },
  stranger: { userId: 'u-stranger', domainId: B, platformOperator: false, adminOf: [B], auditorOf: [], mayOwnIn: [B] },
} satisfies Record<string, AuthzSubject>;
type Who = keyof typeof subjects;

const resources = {
  platform: { type: 'Platform' },
  domainA: { type: 'Domain', id: A },
  projectOfAdmin: { type: 'Project', id: 'p-admin', domainId: A, ownerId: 'u-admin' },
  projectInA: { type: 'Project', id: 'p-other', domainId: A, ownerId: 'u-someone' },
  projectInB: { type: 'Project', id: 'p-b', domainId: B, ownerId: 'u-someone' },
  // The admin owns a project in a domain where it holds no role: owning alone gives nothing.
  adminsProjectInB: { type: 'Project', id: 'p-admin-b', domainId: B, ownerId: 'u-admin' },
  credential: { type: 'CloudCredential', id: 'c-demo', ownerId: 'u-operator' },
  assignment: {
    type: 'CredentialAssignment',
    id: 'a-1',
    projectId: 'p-admin',
    domainId: A,
    requestedBy: 'u-admin',
    credentialOwnerId: 'u-operator',
  },
} satisfies Record<string, AuthzResource>;
type What = keyof typeof resources;

type Expected = 'allow' | DenyReason;
const ALLOW = 'allow';
const NO = 'insufficient_relation';
const OUT = 'out_of_scope';
const PROJECT_ACTIONS = ['read', 'manage', 'delete', 'deploy', 'transfer'] as const;

// [resource, actions, expected for operator / admin / stranger]
const table: [What, readonly Action[], Record<Who, Expected>][] = [
  ['platform', ['catalog_read', 'catalog_manage'], { operator: ALLOW, admin: NO, stranger: NO }],
  ['domainA', ['read'], { operator: ALLOW, admin: ALLOW, stranger: OUT }],
  ['domainA', ['manage'], { operator: NO, admin: ALLOW, stranger: OUT }],
  ['projectOfAdmin', ['read'], { operator: ALLOW, admin: ALLOW, stranger: OUT }],
  ['projectOfAdmin', ['manage', 'delete', 'deploy', 'transfer'], { operator: NO, admin: ALLOW, stranger: OUT }],
  ['projectInA', ['read'], { operator: ALLOW, admin: ALLOW, stranger: OUT }],
  ['projectInA', ['manage', 'delete', 'deploy', 'transfer'], { operator: NO, admin: ALLOW, stranger: OUT }],
  ['projectInB', PROJECT_ACTIONS, { operator: OUT, admin: OUT, stranger: ALLOW }],
  ['adminsProjectInB', PROJECT_ACTIONS, { operator: OUT, admin: OUT, stranger: ALLOW }],
  ['credential', ['assign'], { operator: ALLOW, admin: NO, stranger: NO }],
  ['assignment', ['decide'], { operator: ALLOW, admin: NO, stranger: OUT }],
];

// Actions the schema does not apply to the resource type: the runtime denies them, the
// schema-checked authorizer rejects the request.
const inapplicable: typeof table = [
  ['domainA', ['delete', 'deploy', 'catalog_read'], { operator: NO, admin: NO, stranger: OUT }],
  ['platform', ['read', 'manage'], { operator: NO, admin: NO, stranger: NO }],
  ['credential', ['read', 'decide'], { operator: NO, admin: NO, stranger: NO }],
];

const toRows = (t: typeof table) =>
  t.flatMap(([what, actions, expected]) =>
  actions.flatMap((action) =>
    (Object.keys(expected) as Who[]).map((who) => [who, action, what, expected[who]] as const),
  ),
);
const rows = toRows(table);

const text = loadPolicyText();
// The runtime configuration (files, no schema) and a strict one that also checks each request
// and its entities against the schema, so the adapter cannot drift from schema.cedarschema.
const authorizers = { runtime: new CedarAuthorizer(), 'schema-checked': new CedarAuthorizer(text) };

beforeAll(async () => {
  const start = performance.now();
  await authorizers.runtime.warm();
  console.log(`cedar: cold start (engine import, preparse, first evaluation) ${(performance.now() - start).toFixed(1)} ms`);
});

describe.each(Object.entries(authorizers))('CedarAuthorizer (%s)', (_, authorizer) => {
  it.each(rows)('%s %s %s → %s', async (who, action, what, expected) => {
    const decision = await authorizer.decide(subjects[who], action, resources[what]);
    expect(decision).toEqual(expected === ALLOW ? { allowed: true } : { allowed: false, reason: expected });
  });

  it('forbids deciding an assignment one requested, even as the credential owner', async () => {
    const selfRequested = { ...resources.assignment, requestedBy: 'u-operator' };
    expect(await authorizer.decide(subjects.operator, 'decide', selfRequested)).toEqual({
      allowed: false,
      reason: NO,
    });
  });
});

// A plain member of A owns a project there; the same user after losing the member role, and an
// auditor of A who owns one (auditors may not own), keep no owner rights.
const member = (mayOwnIn: string[], auditorOf: string[] = []): AuthzSubject => ({
  userId: 'u-member',
  domainId: A,
  platformOperator: false,
  adminOf: [],
  auditorOf,
  mayOwnIn,
});
const membersProject: AuthzResource = { type: 'Project', id: 'p-member', domainId: A, ownerId: 'u-member' };

describe.each(Object.entries(authorizers))('ownership follows membership (%s)', (_, authorizer) => {
  it.each(PROJECT_ACTIONS)('a member owner may %s its project', async (action) => {
    expect(await authorizer.decide(member([A]), action, membersProject)).toEqual({ allowed: true });
  });

  it.each(PROJECT_ACTIONS)('an owner whose role in the domain is gone may not %s it', async (action) => {
    expect(await authorizer.decide(member([]), action, membersProject)).toEqual({ allowed: false, reason: OUT });
  });

  it.each(['manage', 'delete', 'deploy', 'transfer'] as const)('an owner who is only an auditor there may not %s it', async (action) => {
    expect(await authorizer.decide(member([], [A]), action, membersProject)).toEqual({ allowed: false, reason: NO });
  });

  it('a role that may own projects elsewhere does not count', async () => {
    expect(await authorizer.decide(member([B]), 'manage', membersProject)).toEqual({ allowed: false, reason: OUT });
  });
});

describe('requests outside the schema', () => {
  it.each(toRows(inapplicable))('runtime: %s %s %s → %s', async (who, action, what, expected) => {
    const decision = await authorizers.runtime.decide(subjects[who], action, resources[what]);
    expect(decision).toEqual({ allowed: false, reason: expected });
  });

  it('schema-checked: rejected as a bug in the caller', async () => {
    await expect(authorizers['schema-checked'].decide(subjects.admin, 'delete', resources.domainA)).rejects.toThrow(
      /not valid for `Action::"delete"`/,
    );
  });
});

describe('policies and schema', () => {
  it('the policy set validates against the schema', async () => {
    const cedar = await import('@cedar-policy/cedar-wasm/nodejs');
    const answer = cedar.validate({ schema: text.schema, policies: { staticPolicies: text.policies } });
    expect(answer).toMatchObject({ type: 'success', validationErrors: [], validationWarnings: [] });
  });

  it('validation catches a policy that drifts from the schema', async () => {
    const cedar = await import('@cedar-policy/cedar-wasm/nodejs');
    const drifted = `${text.policies}\npermit (principal, action == Action::"read", resource is Domain) when { resource in principal.admins_of };`;
    const answer = cedar.validate({ schema: text.schema, policies: { staticPolicies: drifted } });
    expect(answer.type === 'success' && answer.validationErrors.length).toBeGreaterThan(0);
  });
});

describe('cost', () => {
  it.each(Object.entries(authorizers))('per decision (%s)', async (name, authorizer) => {
    const n = 2000;
    const run = async (times: number) => {
      for (let i = 0; i < times; i++) await authorizer.decide(subjects.operator, 'decide', resources.assignment);
    };
    await run(200); // warm up the JIT first
    const start = performance.now();
    await run(n);
    const each = (performance.now() - start) / n;
    console.log(`cedar: ${name} ${(each * 1000).toFixed(0)} µs per decision (mean of ${n})`);
  });
});
