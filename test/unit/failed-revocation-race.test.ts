import { afterAll, describe, expect, it } from 'vitest';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../functions/adapters/node-store.ts';
import { DynamoResourceStore } from '../../functions/adapters/resource-store.ts';
import type { Enrolment } from '../../functions/core/enrolment/ports.ts';
import { newId } from '../../functions/core/ids.ts';
import { fakeStepPorts, seedResource } from '../support/phase-fakes.ts';
import { stopTableResources, type TableResources } from '../support/table-resources.ts';

// Entering Failed revokes what the Resource holds as it read it. A node that registers between
// that read and the Failed write must not come out of it with a live NSK: the write is held to
// "no node" and reads again.

afterAll(stopTableResources);

describe('entering Failed while a node registers', () => {
  it('revokes the node that registered between the read and the write', async () => {
    const env = await fakeStepPorts('dynamo');
    const table = (env.resources as TableResources).table;
    const r = await seedResource(env, 'Enrolling');
    const tokenHash = `hash-${newId()}`;
    const at = env.clock.now().toISOString();
    await env.resources.bindBootstrapToken(r.id, 1, { hash: tokenHash, issued_at: at, expires_at: '2999-01-01T00:00:00.000Z' });
    const nodeId = newId();
    const enrolment: Enrolment = {
      pointer: { node_id: nodeId, resource_id: r.id, project_id: r.project_id, domain_id: r.domain_id, mesh_ip: '100.64.0.9' },
      node: { node_id: nodeId, mesh_ip: '100.64.0.9', public_key: 'key', nsk_hash: 'nsk', registered_at: at },
      tokenHash,
      nonce: `nonce-${newId()}`,
      at,
      meshCounterAdvance: 0,
    };
    // The registration commits just before the Failed write's first transaction.
    let registered = false;
    const racing = Object.assign(Object.create(table) as Table, {
      async transact(actions: Parameters<Table['transact']>[0]) {
        if (!registered) {
          registered = true;
          expect((await new DynamoNodeStore(table).enrol(enrolment)).status).toBe('enrolled');
        }
        return table.transact(actions);
      },
    });
    const failed = await new DynamoResourceStore(racing).changePhase(r.id, {
      from: ['Enrolling'],
      to: 'Failed',
      generation: 1,
      at,
      reason: 'Provisioning failed in Enrolling.',
      error: { code: 'enrolment_timeout', message: 'The node did not register and heartbeat before the deadline.' },
    });
    expect(registered).toBe(true);
    expect(failed?.provisioning?.phase).toBe('Failed');
    expect(failed?.node).toMatchObject({ node_id: nodeId, revoked_at: at });
  });
});
