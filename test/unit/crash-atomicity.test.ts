import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { keys, resourceKeys } from '../../functions/adapters/dynamo/keys.ts';
import { documentClient, resetDocumentClient, Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../functions/adapters/node-store.ts';
import { DynamoTenancyStore } from '../../functions/adapters/tenancy-store.ts';
import { newId } from '../../functions/core/ids.ts';
import { ResourceSchema } from '../../functions/core/resources.ts';
import { journalPath } from '../../local/dynamo/atomicity.ts';
import { startDynamo } from '../../local/dynamodb.ts';
import { AT, LATER, project, resource } from '../conformance/fixtures.ts';
import type { CrashScenario } from '../support/crash-child.ts';
import { LOCAL_AWS_ENV } from '../support/dynamo.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// The old claim protocol wrote a claim, then its entity, with a crash window between them that left
// the claim behind (a registration that died after its mesh-IP claim held that address forever).
// Now those writes are one transaction. Here a real process is killed (SIGKILL) half-way through
// that transaction inside the local DynamoDB, and the next start of the same data folder shows
// nothing of it: no claim, no pointer, no half-redeemed token; and the same write then succeeds.

const CHILD = fileURLToPath(new URL('../support/crash-child.ts', import.meta.url));
const TABLE = 'crash-table';
const DOMAIN = '019100a0-0a00-7000-8000-000000000001';

let dataDir: string;
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  resetDocumentClient();
});

/** Runs the child (as this very process, not under tsx's launcher, so its signal reaches us). */
async function crash(scenario: CrashScenario): Promise<{ signal: NodeJS.Signals | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(scenario)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...LOCAL_AWS_ENV } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { signal, output };
}

/** Starts the local DynamoDB on the crashed folder (which undoes the half-applied transaction). */
async function restart() {
  const dynamo = await startDynamo({ dataDir: join(dataDir, 'dynamodb') });
  Object.assign(process.env, LOCAL_AWS_ENV, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.url });
  resetDocumentClient();
  return { dynamo, table: new Table(TABLE, documentClient()) };
}

describe('a process killed half-way through a transaction leaves nothing behind', () => {
  it("a project's create: neither the slug nor the project, and the slug is free", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'crash-project-'));
    const p = project(DOMAIN, { slug: 'crashed' });
    const ended = await crash({ dataDir: join(dataDir, 'dynamodb'), table: TABLE, crashAfter: 1, project: p });
    expect(ended, ended.output).toMatchObject({ signal: 'SIGKILL' });
    // The crash came with the journal written and one of the two items applied.
    expect(existsSync(journalPath(join(dataDir, 'dynamodb')))).toBe(true);

    const { dynamo, table } = await restart();
    try {
      expect(existsSync(journalPath(join(dataDir, 'dynamodb')))).toBe(false);
      expect(await tableSnapshot(dynamo.url, TABLE)).toEqual([]);
      await new DynamoTenancyStore(table).createProject(p);
      expect(await table.getRaw(keys.projectSlug(DOMAIN, 'crashed'))).toMatchObject({ id: p.id });
    } finally {
      await dynamo.close();
    }
  });

  it("a node's registration: no mesh IP held, no pointer, no nonce, the token unspent", async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'crash-register-'));
    const p = project(DOMAIN);
    const r = { ...resource(p), bootstrap: { hash: 'token-hash', issued_at: AT, expires_at: '2999-01-01T00:00:00.000Z' } };
    const nodeId = newId();
    const enrolment = {
      pointer: { node_id: nodeId, resource_id: r.id, project_id: p.id, domain_id: DOMAIN, mesh_ip: '100.64.0.1' },
      node: { node_id: nodeId, mesh_ip: '100.64.0.1', public_key: 'key', nsk_hash: 'nsk', registered_at: LATER },
      tokenHash: 'token-hash',
      nonce: 'nonce-1',
      at: LATER,
      meshCounterAdvance: 2,
    };
    // Of the enrolment's five actions (nonce, mesh IP, pointer, Resource, the counter moved past two
    // skipped addresses), three land.
    const ended = await crash({ dataDir: join(dataDir, 'dynamodb'), table: TABLE, crashAfter: 3, project: p, enrolment: { resource: r, enrolment } });
    expect(ended, ended.output).toMatchObject({ signal: 'SIGKILL' });

    const { dynamo, table } = await restart();
    try {
      const nodes = new DynamoNodeStore(table);
      expect(await table.getRaw(resourceKeys.meshIp(DOMAIN, '100.64.0.1'))).toBeUndefined();
      expect(await table.getRaw(resourceKeys.node(nodeId))).toBeUndefined();
      expect(await table.getRaw(resourceKeys.meshCounter(DOMAIN))).toBeUndefined();
      const stored = await table.get(resourceKeys.resource(r.id), ResourceSchema);
      expect(stored?.node).toBeUndefined();
      expect(stored?.bootstrap?.consumed_at).toBeUndefined();
      // Only what the setup wrote is there: the project, its slug, the Resource with its created
      // event and the domain's and project's event counters. The nonce is free: the same registration now goes through.
      expect((await tableSnapshot(dynamo.url, TABLE)).map((item) => JSON.parse(item).PK.S.split('#')[0]).sort()).toEqual([
        'DOMAIN',
        'EVENTS',
        'PROJECT',
        'PROJECTEVENTS',
        'PROJECTSLUG',
        'RESOURCE',
      ]);
      expect(await nodes.enrol(enrolment)).toMatchObject({ status: 'enrolled', resource: { node: { node_id: nodeId } } });
    } finally {
      await dynamo.close();
    }
  });
});
