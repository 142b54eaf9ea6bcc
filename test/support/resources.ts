import { expect } from 'vitest';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { startTestStack, type TestStack } from './stack.ts';
import { waitFor } from './wait.ts';

// The tutorial's steps 2-5 over HTTP, for e2e tests of the phase arcs.

let counter = 0;

export interface Catalog {
  demoCredentialId: string;
  versionId: string;
}

/**
 * The embedded stack with no node agents on its machines (no node registers unless the test plays
 * one), an enrolment deadline of `enrolTimeoutSeconds`, and the substrate polled every second.
 */
export function startNodelessStack(enrolTimeoutSeconds: number): Promise<TestStack> {
  return startTestStack({}, { startAgents: false, timings: { EnrolTimeoutSeconds: String(enrolTimeoutSeconds), SubstratePollSeconds: '1' } });
}

/** The id of the seeded demo credential, as the operator finds it in the demo cloud's list. */
export async function demoCredentialId(stack: TestStack): Promise<string> {
  const creds = await stack.call('operator', 'GET', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`);
  expect(creds.status).toBe(200);
  const demo = creds.body.items.find((c: { display_name: string }) => c.display_name === 'demo-credential');
  expect(demo).toBeDefined();
  return demo.id;
}

/** The seeded demo credential and the cloudless blueprint's version. */
export async function seededCatalog(stack: TestStack): Promise<Catalog> {
  const bp = await stack.call('operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
  return { demoCredentialId: await demoCredentialId(stack), versionId: bp.body.versions[0].id };
}

/** Issues another credential on the demo cloud with these AWS keys; returns its id. */
export async function issueCredential(stack: TestStack, keys: { access_key_id: string; secret_access_key: string }): Promise<string> {
  const payload = Buffer.from(JSON.stringify(keys)).toString('base64');
  const res = await stack.call('operator', 'POST', `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`, { display_name: `extra-${Date.now()}-${++counter}`, payload });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A new project in the seeded domain, by the admin; returns its id. */
export async function createProject(stack: TestStack, name: string, slug: string): Promise<string> {
  const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name, slug });
  expect(project.status, project.text).toBe(201);
  return project.body.id;
}

/** A new project with an approved assignment of `credentialId`. */
export async function approvedProject(stack: TestStack, credentialId: string): Promise<string> {
  const slug = `arc-${Date.now().toString(36)}-${++counter}`;
  const projectId = await createProject(stack, slug, slug);
  const assignment = await stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, { cloud_credential_id: credentialId });
  const approved = await stack.call('operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/approve`);
  expect(approved.body.state).toBe('approved');
  return projectId;
}

export interface Granted {
  projectId: string;
  assignmentId: string;
  credentialId: string;
}

/**
 * A new project and a fresh credential (with `keys`) requested for it, proposing `proposed`, and
 * approved by the operator with `terms`.
 */
export async function grantedProject(
  stack: TestStack,
  keys: { access_key_id: string; secret_access_key: string },
  terms?: Record<string, unknown>,
  proposed?: Record<string, unknown>,
): Promise<Granted> {
  const slug = `granted-${Date.now().toString(36)}-${++counter}`;
  const projectId = await createProject(stack, slug, slug);
  const credentialId = await issueCredential(stack, keys);
  const request = await stack.call('admin', 'POST', `/v1/projects/${projectId}/credential-assignments`, {
    cloud_credential_id: credentialId,
    ...(proposed && { terms: proposed }),
  });
  expect(request.status, request.text).toBe(201);
  const approval = await stack.call('operator', 'POST', `/v1/credential-assignments/${request.body.id}/approve`, terms ? { terms } : undefined);
  expect(approval.status, approval.text).toBe(200);
  return { projectId, assignmentId: request.body.id, credentialId };
}

/** The body that declares a cloudless node under `credentialId`, with `over` on top. */
export function provisionedBody(catalog: Pick<Catalog, 'versionId'>, credentialId: string, over: Record<string, unknown> = {}) {
  return { origin: 'provisioned', kind: 'node', blueprint_version_id: catalog.versionId, cloud_credential_id: credentialId, parameters: {}, ...over };
}

/** Declares a cloudless node; returns its id (the create answered 202). */
export async function createResource(stack: TestStack, projectId: string, catalog: Catalog, credentialId = catalog.demoCredentialId): Promise<string> {
  const res = await stack.call('admin', 'POST', `/v1/projects/${projectId}/resources`, provisionedBody(catalog, credentialId));
  expect(res.status, res.text).toBe(202);
  return res.body.id;
}

export async function getResource(stack: TestStack, id: string) {
  const res = await stack.call('admin', 'GET', `/v1/resources/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Waits until the Resource is in `phase`; returns its view then. */
export function untilPhase(stack: TestStack, id: string, phase: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const body = await getResource(stack, id);
      return body.provisioning.phase === phase ? body : undefined;
    },
    { timeoutMs, what: `resource ${id} to reach ${phase}` },
  );
}

/** Every phase of a whole provision and teardown, in order. */
export const FULL_ARC = ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning', 'Deleted'];

/** The recorded phase order. */
export function phasesOf(view: { provisioning: { transitions: Array<{ phase: string }> } }): string[] {
  return view.provisioning.transitions.map((t) => t.phase);
}

/** When the Resource last entered `phase` (ms since the epoch). */
export function enteredAt(view: { provisioning: { transitions: Array<{ phase: string; at: string }> } }, phase: string): number {
  const t = view.provisioning.transitions.findLast((x) => x.phase === phase);
  expect(t, `a transition to ${phase}`).toBeDefined();
  return Date.parse(t?.at ?? '');
}
