import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { expect } from 'vitest';
import { formatNskBearer } from '../../functions/core/enrolment/node-auth.ts';
import { apiEnv } from '../../functions/shared/env.ts';
import { buildDeps } from '../../functions/shared/composition.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { enrollingResource, heartbeatBody, wireguardKey } from './nodes.ts';
import { DEMO_KEYS, type Journey, startJourney, UNKNOWN_ID } from './route-cases.ts';
import { issueCredential } from './resources.ts';
import { signInSession } from './sign-in.ts';
import type { TestStack } from './stack.ts';
import { seedTenant, type Tenant } from './tenant.ts';

// Everything the fuzz cases point at: the journey's real ids, a second tenant with its own real
// ids, a second node, and the bad credentials (expired, forged, replayed) to present.

export interface FuzzWorld {
  stack: TestStack;
  journey: Journey;
  other: Tenant;
  /** Real ids by the collection their path starts with ('projects', 'nodes', …; 'delivery' for delivery_id). */
  ids: Record<string, string>;
  /** The second tenant's real ids, same keys where it has one. */
  otherIds: Record<string, string>;
  tokens: { admin: string; operator: string; otherAdmin: string };
  session: { cookie: string; csrf: string };
  /** A session signed out before the fuzz starts: replaying its cookie must not work. */
  signedOut: { cookie: string; csrf: string };
  /** Bearer values that must never authenticate a user. */
  badUserTokens: Record<string, string>;
  /** NSK bearers that must never authenticate the journey's node. */
  badNodeBearers: Record<string, string>;
  /** A genuine next_cursor, issued to the domain admin for the journey domain's project list. */
  foreignCursor: string;
  /** A device code already exchanged for a token, and a bootstrap token already used to register. */
  replayed: { deviceCode: string; bootstrapToken: string; projectId: string; resourceHandle: string };
  /** Field values for sample bodies, so a body breaks only where a case breaks it. */
  fieldIds: Record<string, string>;
  /** Per body schema, the fields a schema cannot say how to fill validly (a known provider, a node's clock). */
  bodies: Record<string, Record<string, unknown>>;
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Tokens that look right and are not: forged, unsigned, expired, edited. */
async function badTokens(stack: TestStack, admin: string): Promise<Record<string, string>> {
  const [head, payload, sig] = admin.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(head, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const { privateKey } = await generateKeyPair('ES256');
  const forged = await new SignJWT(claims).setProtectedHeader(header).sign(privateKey);
  const jwks = (await stack.call(null, 'GET', '/v1/auth/jwks')).body as { keys: object[] };
  const publicJwk = JSON.stringify(jwks.keys[0]);
  const hsHead = b64url({ ...header, alg: 'HS256' });
  const hs256 = `${hsHead}.${payload}.${createHmac('sha256', publicJwk).update(`${hsHead}.${payload}`).digest('base64url')}`;
  const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  const expired = (await buildDeps(apiEnv(), { clock: { now: () => past } }).tokens.issue({ subject: FIXTURES.admin.id, domainId: FIXTURES.domain.id, email: FIXTURES.admin.email })).token;
  // The expired token must be refused for its age, not its signature, or it tests nothing new.
  const aged = await stack.call(null, 'GET', '/v1/auth/whoami', undefined, { authorization: `Bearer ${expired}` });
  expect(aged.body?.code, aged.text).toBe('token_expired');
  return {
    garbage: 'garbage',
    empty: '',
    forgedKey: forged,
    algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    hs256WithPublicKey: hs256,
    expired,
    editedSubject: `${head}.${b64url({ ...claims, sub: FIXTURES.operator.id })}.${sig}`,
    otherDomainClaim: `${head}.${b64url({ ...claims, domain_id: UNKNOWN_ID })}.${sig}`,
    truncated: admin.slice(0, -4),
    nsk: 'nsk_local_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  };
}

async function registeredNode(stack: TestStack, projectId: string, domainId?: typeof FIXTURES.domain.id) {
  const bound = await enrollingResource(projectId, domainId);
  const res = await stack.call(null, 'POST', '/v1/register', {
    project_id: bound.resource.project_id,
    resource_handle: bound.resource.external_ref,
    bootstrap_token: bound.token,
    nonce: randomUUID(),
    public_key: wireguardKey(),
  });
  expect(res.status, res.text).toBe(201);
  return { nodeId: res.body.node_id as string, bearer: formatNskBearer('local', res.body.node_id, res.body.nsk), bound };
}

async function created(p: Promise<{ status: number; text: string; body: { id?: string } }>): Promise<string> {
  const res = await p;
  expect(res.status, res.text).toBeLessThan(300);
  return res.body.id as string;
}

export async function startFuzzWorld(): Promise<FuzzWorld> {
  const journey = await startJourney();
  const { stack, projectId, resourceId, node } = journey;
  const DOMAIN = FIXTURES.domain.id;
  const other = await seedTenant(stack, { tag: 'f0220000', slug: 'fuzz-other', people: { admin: 'admin' } });
  const otherProject = await other.ownedProject('admin', 'fuzz-other-project');
  const otherNode = await registeredNode(stack, otherProject, other.domainId as typeof DOMAIN);
  const secondNode = await registeredNode(stack, projectId);

  // A pending assignment, so there is an approval to point at.
  const credentialId = await issueCredential(stack, DEMO_KEYS);
  const assignment = await created(stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: credentialId }));
  const approvals = await stack.call('operator', 'GET', `/v1/approvals?domain_id=${DOMAIN}`);
  const otherAssignment = await created(other.call('admin', 'POST', `/v1/projects/${otherProject}/credential-assignments`, { cloud_credential_id: credentialId }));
  const otherApprovals = await other.call('admin', 'GET', `/v1/approvals?domain_id=${other.domainId}`);
  expect(otherApprovals.body?.items?.[0]?.id, otherApprovals.text).toEqual(expect.any(String));
  const webhook = await created(stack.call('admin', 'POST', `/v1/domains/${DOMAIN}/webhooks`, { url: 'https://hooks.example.com/fuzz', event_types: ['assignment.requested'] }));
  const otherWebhook = await created(other.call('admin', 'POST', `/v1/domains/${other.domainId}/webhooks`, { url: 'https://hooks.example.com/other', event_types: ['assignment.requested'] }));
  const deliveries = await stack.call('admin', 'GET', `/v1/webhooks/${webhook}/deliveries`);

  await created(stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Fuzz second', slug: `fuzz-second-${Date.now().toString(36)}` }));
  const page = await stack.call('admin', 'GET', `/v1/projects?domain_id=${DOMAIN}&limit=1`);
  expect(page.body.next_cursor, page.text).toEqual(expect.any(String));

  // Replays: a device code once exchanged, a bootstrap token once registered with.
  const device = await stack.call(null, 'POST', '/v1/auth/device-code', { domain_id: DOMAIN, idp_binding_id: FIXTURES.binding.id });
  const session = await signInSession(stack.url, FIXTURES.admin.email, 'password');
  const approve = await stack.call(null, 'POST', '/v1/auth/device/approve', { user_code: device.body.user_code }, { cookie: session.cookie, 'x-plexsphere-csrf': session.csrf });
  expect(approve.status, approve.text).toBeLessThan(300);
  const exchanged = await stack.call(null, 'POST', '/v1/auth/device-token', { device_code: device.body.device_code });
  expect(exchanged.status, exchanged.text).toBe(200);
  // The fuzz session must outlive the sign-outs the fuzz sends, so it is its own.
  const fuzzSession = await signInSession(stack.url, FIXTURES.admin.email, 'password');
  const signedOut = await signInSession(stack.url, FIXTURES.admin.email, 'password');
  expect((await stack.call(null, 'DELETE', '/v1/auth/whoami', undefined, { cookie: signedOut.cookie })).status).toBe(204);

  const admin = await stack.tokenFor('admin');
  const randomKey = randomBytes(32).toString('base64');
  return {
    stack,
    journey,
    other,
    ids: {
      domains: DOMAIN,
      projects: projectId,
      clouds: FIXTURES.cloud.id,
      'cloud-credentials': journey.catalog.demoCredentialId,
      blueprints: FIXTURES.cloudlessBlueprint.id,
      'credential-assignments': assignment,
      approvals: approvals.body?.items?.[0]?.id ?? UNKNOWN_ID,
      resources: resourceId,
      webhooks: webhook,
      delivery: deliveries.body?.items?.[0]?.id ?? UNKNOWN_ID,
      nodes: node.node_id,
    },
    otherIds: {
      'credential-assignments': otherAssignment,
      approvals: otherApprovals.body?.items?.[0]?.id,
      domains: other.domainId,
      projects: otherProject, resources: otherNode.bound.resource.id, webhooks: otherWebhook, nodes: otherNode.nodeId },
    tokens: { admin, operator: await stack.tokenFor('operator'), otherAdmin: other.token('admin') },
    session: fuzzSession,
    signedOut,
    badUserTokens: await badTokens(stack, admin),
    badNodeBearers: {
      garbage: 'nsk_local_garbage',
      forgedKey: formatNskBearer('local', node.node_id, randomKey),
      otherEnv: node.bearer.replace('nsk_local_', 'nsk_prod_'),
      secondNodesKey: secondNode.bearer,
      otherTenantsNode: otherNode.bearer,
      userToken: admin,
      truncated: node.bearer.slice(0, -3),
    },
    foreignCursor: page.body.next_cursor,
    replayed: {
      deviceCode: device.body.device_code,
      bootstrapToken: otherNode.bound.token,
      projectId: otherProject,
      resourceHandle: otherNode.bound.resource.external_ref as string,
    },
    fieldIds: {
      domain_id: DOMAIN,
      idp_binding_id: FIXTURES.binding.id,
      cloud_credential_id: journey.catalog.demoCredentialId,
      // Only the registration body has a project_id: the project the replayed token was minted for.
      project_id: otherProject,
      blueprint_version_id: journey.catalog.versionId,
      email: FIXTURES.admin.email,
      device_code: device.body.device_code,
      bootstrap_token: otherNode.bound.token,
      resource_handle: otherNode.bound.resource.external_ref as string,
    },
    bodies: {
      CreateCloudBody: { provider: 'aws', endpoint: { region: 'eu-central-1' }, region_defaults: {} },
      IssueCredentialBody: { payload: Buffer.from(JSON.stringify(DEMO_KEYS)).toString('base64') },
      PublishVersionBody: { version: '9.9.9', provider_kinds: ['aws'], injection_strategy: 'cloud-init-user-data', parameter_schema: [] },
      CreateWebhookBody: { url: 'https://hooks.example.com/fuzz', event_types: ['assignment.requested'] },
      HeartbeatBody: heartbeatBody(),
      CapabilityManifestBody: { binary_version: 'plexd-v0.4.2-test', binary_checksum: heartbeatBody().binary_checksum },
    },
  };
}
