import type { Table } from '../../functions/adapters/dynamo/table.ts';
import { DynamoNodeStore } from '../../functions/adapters/node-store.ts';
import { DynamoResourceStore } from '../../functions/adapters/resource-store.ts';
import { DynamoTenancyStore } from '../../functions/adapters/tenancy-store.ts';
import type { Enrolment } from '../../functions/core/enrolment/ports.ts';
import { newId } from '../../functions/core/ids.ts';
import type { EnrolledNode, Resource } from '../../functions/core/resources.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { AT, LATER, project, resource } from './fixtures.ts';

export const ENROLLED_AT = '2026-06-01T00:10:00.000Z';

/** The stores a node suite drives, over one table. */
export function openNodeStores(table: Table) {
  return { table, tenancy: new DynamoTenancyStore(table), resources: new DynamoResourceStore(table), nodes: new DynamoNodeStore(table) };
}

/** Resources ready to enrol a node, and enrolments of them, for the node store suites. */
export function nodeFixtures(stores: () => { tenancy: DynamoTenancyStore; resources: DynamoResourceStore }) {
  /** A Pending Resource in a new project of `domainId`, with a bootstrap token bound. */
  const tokenBound = async (domainId: string, p?: Project) => {
    const { tenancy, resources } = stores();
    const owner = p ?? project(domainId);
    if (!p) await tenancy.createProject(owner);
    const r = resource(owner);
    await resources.create(r);
    const tokenHash = `hash-${newId()}`;
    await resources.bindBootstrapToken(r.id, 1, { hash: tokenHash, issued_at: AT, expires_at: LATER });
    return { resource: r, tokenHash, project: owner };
  };
  const enrolment = (r: Resource, tokenHash: string, meshIp: string, nonce = `nonce-${newId()}`, meshCounterAdvance = 0): Enrolment => {
    const node: EnrolledNode = { node_id: newId(), mesh_ip: meshIp, public_key: `key-${newId()}`, nsk_hash: 'nsk', registered_at: ENROLLED_AT };
    return {
      pointer: { node_id: node.node_id, resource_id: r.id, project_id: r.project_id, domain_id: r.domain_id, mesh_ip: meshIp },
      node,
      tokenHash,
      nonce,
      at: ENROLLED_AT,
      meshCounterAdvance,
    };
  };
  return { tokenBound, enrolment };
}
