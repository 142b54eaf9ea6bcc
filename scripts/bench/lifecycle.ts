import { FIXTURES } from '../fixtures.ts';
import type { BenchClient } from './client.ts';

// The tutorial's journey, as the e2e provisioning test walks it: a project, an approved assignment of
// the demo credential, then Resources of the cloudless blueprint.

export interface ResourceView {
  id: string;
  provisioning: { phase: string; generation: number; transitions: Array<{ phase: string; at: string }> };
}

export interface Catalog {
  credentialId: string;
  versionId: string;
}

export async function catalog(client: BenchClient): Promise<Catalog> {
  const creds = await client.expect<{ items: Array<{ id: string; display_name: string }> }>(
    200,
    'operator',
    'GET',
    `/v1/clouds/${FIXTURES.cloud.id}/cloud-credentials`,
  );
  const credential = creds.body.items.find((c) => c.display_name === FIXTURES.credential.displayName);
  if (!credential) throw new Error('the seeded demo credential is missing');
  const bp = await client.expect<{ versions: Array<{ id: string }> }>(200, 'operator', 'GET', `/v1/blueprints/${FIXTURES.cloudlessBlueprint.id}`);
  const version = bp.body.versions[0];
  if (!version) throw new Error('the cloudless blueprint has no version');
  return { credentialId: credential.id, versionId: version.id };
}

/**
 * A project with an approved assignment of the demo credential (under `terms`, proposed and granted,
 * when given); returns its id and the assignment's.
 */
export async function approvedProject(
  client: BenchClient,
  cat: Catalog,
  slug: string,
  terms?: Record<string, unknown>,
): Promise<{ projectId: string; assignmentId: string }> {
  const project = await client.expect<{ id: string }>(201, 'admin', 'POST', '/v1/projects', { domain_id: FIXTURES.domain.id, name: slug, slug });
  const assignment = await client.expect<{ id: string }>(201, 'admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, {
    cloud_credential_id: cat.credentialId,
    ...(terms && { terms }),
  });
  await client.expect(200, 'operator', 'POST', `/v1/credential-assignments/${assignment.body.id}/approve`, terms && { terms });
  return { projectId: project.body.id, assignmentId: assignment.body.id };
}

export function createBody(cat: Catalog) {
  return { origin: 'provisioned', kind: 'node', blueprint_version_id: cat.versionId, cloud_credential_id: cat.credentialId, parameters: {} };
}

/** Creates one Resource; `acceptedAt` is when the 202 had been read. */
export async function createResource(client: BenchClient, cat: Catalog, projectId: string): Promise<{ id: string; acceptedAt: number; ms: number }> {
  const res = await client.expect<ResourceView>(202, 'admin', 'POST', `/v1/projects/${projectId}/resources`, createBody(cat));
  return { id: res.body.id, acceptedAt: res.at, ms: res.ms };
}

export async function deleteResource(client: BenchClient, id: string): Promise<{ acceptedAt: number }> {
  const res = await client.expect(202, 'admin', 'DELETE', `/v1/resources/${id}`);
  return { acceptedAt: res.at };
}

/** When the Resource entered `phase`, from its own recorded transitions (not from polling luck). */
export function enteredAt(r: ResourceView, phase: string): number {
  const t = r.provisioning.transitions.findLast((x) => x.phase === phase);
  if (!t) throw new Error(`resource ${r.id} never entered ${phase}`);
  return Date.parse(t.at);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls one Resource until it is in `phase` (Failed ends the wait with an error). */
export async function untilPhase(client: BenchClient, id: string, phase: string, opts: { intervalMs: number; timeoutMs: number }): Promise<ResourceView> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const res = await client.expect<ResourceView>(200, 'admin', 'GET', `/v1/resources/${id}`);
    if (res.body.provisioning.phase === phase) return res.body;
    if (res.body.provisioning.phase === 'Failed') throw new Error(`resource ${id} failed: ${JSON.stringify(res.body.provisioning)}`);
    if (Date.now() > deadline) throw new Error(`resource ${id} still ${res.body.provisioning.phase} after ${opts.timeoutMs} ms`);
    await sleep(opts.intervalMs);
  }
}

/** Lists a project's Resources, every page. */
async function listAll(client: BenchClient, projectId: string): Promise<ResourceView[]> {
  const out: ResourceView[] = [];
  let cursor: string | undefined;
  do {
    const q = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await client.expect<{ items: ResourceView[]; next_cursor?: string }>(200, 'admin', 'GET', `/v1/projects/${projectId}/resources?${q}`);
    out.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return out;
}

/** Polls a project's list until every one of `ids` is in `phase`; returns them as last seen. */
export async function untilAll(
  client: BenchClient,
  projectId: string,
  ids: readonly string[],
  phase: string,
  opts: { intervalMs: number; timeoutMs: number },
): Promise<Map<string, ResourceView>> {
  const deadline = Date.now() + opts.timeoutMs;
  const wanted = new Set(ids);
  for (;;) {
    const seen = new Map((await listAll(client, projectId)).filter((r) => wanted.has(r.id)).map((r) => [r.id, r]));
    const failed = [...seen.values()].filter((r) => r.provisioning.phase === 'Failed');
    if (failed.length) throw new Error(`${failed.length} resource(s) failed, e.g. ${JSON.stringify(failed[0]?.provisioning)}`);
    const done = [...seen.values()].filter((r) => r.provisioning.phase === phase).length;
    if (done === wanted.size) return seen;
    if (Date.now() > deadline) throw new Error(`${done}/${wanted.size} resources in ${phase} after ${opts.timeoutMs} ms`);
    await sleep(opts.intervalMs);
  }
}
