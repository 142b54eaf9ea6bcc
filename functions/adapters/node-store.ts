import { createHash } from 'node:crypto';
import * as z from 'zod';
import type {
  CapabilityManifest,
  Enrolment,
  EnrolOutcome,
  NodePointer,
  NodeStore,
  PeerSnapshot,
  StoredCapabilities,
} from '../core/enrolment/ports.ts';
import { livePeersOf } from '../core/enrolment/state.ts';
import { type Resource, ResourceSchema } from '../core/resources.ts';
import { resourceKeys } from './dynamo/keys.ts';
import { entityOf, putNewAction, type Table, type WriteAction } from './dynamo/table.ts';
import { PeerSnapshots, removePeerActions } from './peer-snapshot.ts';

const TokenPointerSchema = z.object({ id: z.string() });
const MeshClaimSchema = z.object({ mesh_ip: z.string() });
const MeshCounterSchema = z.object({ next_index: z.number() });
const NonceSchema = z.object({ token_hash: z.string(), public_key: z.string() });

/** Hashed: a nonce may be 4 KiB, more than a partition key holds. */
function nonceKey(projectId: string, nonce: string) {
  return resourceKeys.nonce(projectId, createHash('sha256').update(nonce).digest('hex'));
}
const PointerSchema = z.object({
  node_id: z.string(),
  resource_id: z.string(),
  project_id: z.string(),
  domain_id: z.string(),
  mesh_ip: z.string(),
});
/** The list reader pages by each entity's `id`, so the node's item carries its id under that name too. */
const ListedPointerSchema = PointerSchema.extend({ id: z.string() });
const CapabilitiesSchema = z.object({
  capabilities: z
    .object({
      manifest: z.custom<CapabilityManifest>((v) => typeof v === 'object' && v !== null),
      accepted_at: z.string(),
    })
    .optional(),
});

/**
 * A node's pointer never changes while it exists, so a container remembers it and a node call reads
 * only the Resource. A remembered pointer is confirmed when the Resource no longer vouches for the
 * node (revoked or gone): the pointer may have been released since.
 */
const POINTERS_REMEMBERED = 20_000;
const pointers = new Map<string, NodePointer>();
function rememberPointer(pointer: NodePointer): void {
  pointers.set(pointer.node_id, pointer);
  if (pointers.size > POINTERS_REMEMBERED) pointers.delete(pointers.keys().next().value as string);
}

// `node` is not a DynamoDB reserved word but `hash` is; names go through placeholders alike.
const NAMES = { '#node': 'node' };

/**
 * The node's items in the single table: the nonce record, the mesh-IP records and the domain's
 * counter, the node's own item (a pointer to its Resource, listed per domain, holding its
 * capability manifest), and the writes on the Resource's `node`.
 */
export class DynamoNodeStore implements NodeStore {
  private readonly snapshots: PeerSnapshots;

  constructor(private readonly table: Table) {
    this.snapshots = new PeerSnapshots(table, {
      livePeers: async (domainId) => livePeersOf(await this.domainNodes(domainId)),
      stillLive: async (nodeIds) => new Set(livePeersOf(await this.withResources(await this.pointersOf(nodeIds))).map((p) => p.node_id)),
    });
  }

  async resourceForToken(tokenHash: string): Promise<Resource | undefined> {
    const pointer = await this.table.get(resourceKeys.bootstrapToken(tokenHash), TokenPointerSchema);
    return pointer && this.table.get(resourceKeys.resource(pointer.id), ResourceSchema);
  }

  async reserveMeshIndex(domainId: string): Promise<number> {
    const updated = await this.table.update({
      Key: resourceKeys.meshCounter(domainId),
      UpdateExpression: 'ADD next_index :one',
      ExpressionAttributeValues: { ':one': 1 },
    });
    return MeshCounterSchema.parse(updated).next_index;
  }

  async nonceAvailable(projectId: string, nonce: string, by: { token_hash: string; public_key: string }): Promise<boolean> {
    const held = await this.table.get(nonceKey(projectId, nonce), NonceSchema);
    return !held || (held.token_hash === by.token_hash && held.public_key === by.public_key);
  }

  async takenMeshIps(domainId: string, ips: readonly string[]): Promise<Set<string>> {
    const found = await this.table.batchGet(
      ips.map((ip) => resourceKeys.meshIp(domainId, ip)),
      MeshClaimSchema,
    );
    return new Set([...found.values()].map((claim) => claim.mesh_ip));
  }

  async enrol(e: Enrolment): Promise<EnrolOutcome> {
    const { pointer, node, tokenHash, at } = e;
    const actions: WriteAction[] = [
      {
        Put: {
          Item: { ...nonceKey(pointer.project_id, e.nonce), token_hash: tokenHash, public_key: node.public_key, claimed_at: at },
          // This very registration (same token and key) may take it again: a retry after a crash.
          ConditionExpression: 'attribute_not_exists(PK) OR (token_hash = :hash AND public_key = :key)',
          ExpressionAttributeValues: { ':hash': tokenHash, ':key': node.public_key },
        },
      },
      putNewAction({
        ...resourceKeys.meshIp(pointer.domain_id, pointer.mesh_ip),
        mesh_ip: pointer.mesh_ip,
        node_id: pointer.node_id,
        resource_id: pointer.resource_id,
      }),
      {
        Put: {
          Item: {
            ...resourceKeys.node(pointer.node_id),
            ...resourceKeys.domainNodes(pointer.domain_id),
            GSI1SK: pointer.node_id,
            id: pointer.node_id,
            ...pointer,
          },
        },
      },
      {
        Update: {
          Key: resourceKeys.resource(pointer.resource_id),
          UpdateExpression: 'SET #node = :node, bootstrap.consumed_at = :now, updated_at = :now',
          ConditionExpression: [
            'bootstrap.#hash = :hash',
            'attribute_not_exists(bootstrap.consumed_at)',
            'attribute_not_exists(bootstrap.revoked_at)',
            'bootstrap.expires_at > :now',
            'attribute_not_exists(#node)',
          ].join(' AND '),
          ExpressionAttributeNames: { ...NAMES, '#hash': 'hash' },
          ExpressionAttributeValues: { ':node': node, ':now': at, ':hash': tokenHash },
        },
      },
    ];
    if (e.meshCounterAdvance > 0) {
      actions.push({
        Update: {
          Key: resourceKeys.meshCounter(pointer.domain_id),
          UpdateExpression: 'ADD next_index :advance',
          ExpressionAttributeValues: { ':advance': e.meshCounterAdvance },
        },
      });
    }
    // No peer yet: a node joins its domain's peer lists when its Resource enters Ready (ResourceStore.changePhase).
    const cancelled = await this.table.transact(actions);
    if (!cancelled) {
      const resource = await this.table.get(resourceKeys.resource(pointer.resource_id), ResourceSchema);
      if (!resource) throw new Error(`resource ${pointer.resource_id} vanished after its node enrolled`);
      return { status: 'enrolled', resource };
    }
    const [nonce, meshIp, , token] = cancelled;
    return {
      status: 'refused',
      nonceTaken: nonce?.failed ?? false,
      meshIpTaken: meshIp?.failed ?? false,
      tokenRefused: token?.failed ?? false,
      resource: token?.item && ResourceSchema.parse(entityOf(token.item)),
    };
  }

  async release(pointer: Pick<NodePointer, 'node_id' | 'domain_id' | 'mesh_ip'>): Promise<void> {
    pointers.delete(pointer.node_id);
    const leaves = [{ Delete: { Key: resourceKeys.node(pointer.node_id) } }, ...removePeerActions(pointer.domain_id, pointer.node_id)];
    const cancelled = await this.table.transact([
      ...leaves,
      {
        Delete: {
          Key: resourceKeys.meshIp(pointer.domain_id, pointer.mesh_ip),
          // Someone else's address (taken after ours was released) stays theirs.
          ConditionExpression: 'attribute_not_exists(PK) OR node_id = :node',
          ExpressionAttributeValues: { ':node': pointer.node_id },
        },
      },
    ]);
    // The address was no longer ours: the pointer and the peer go without it.
    if (cancelled) await this.table.transact(leaves);
  }

  async find(nodeId: string): Promise<{ pointer: NodePointer; resource: Resource } | undefined> {
    const known = pointers.get(nodeId);
    const pointer = known ?? (await this.table.get(resourceKeys.node(nodeId), PointerSchema));
    if (!pointer) return undefined;
    const resource = await this.table.get(resourceKeys.resource(pointer.resource_id), ResourceSchema);
    const vouched = resource?.node?.node_id === nodeId && !resource.node.revoked_at;
    if (known && !vouched && !(await this.table.get(resourceKeys.node(nodeId), PointerSchema))) {
      pointers.delete(nodeId);
      return undefined;
    }
    if (!known) rememberPointer(pointer);
    return resource ? { pointer, resource } : undefined;
  }

  peerSnapshot(domainId: string): Promise<PeerSnapshot> {
    return this.snapshots.current(domainId);
  }

  async markRefused(resourceId: string, nodeId: string, at: string): Promise<void> {
    await this.table.update({
      Key: resourceKeys.resource(resourceId),
      UpdateExpression: 'SET #node.refused_at = :at, updated_at = :at',
      ConditionExpression: '#node.node_id = :id AND attribute_exists(#node.revoked_at) AND attribute_not_exists(#node.refused_at)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':id': nodeId, ':at': at },
    });
  }

  async recordHeartbeat(resourceId: string, nodeId: string, at: string, binaryVersion: string): Promise<Resource | undefined> {
    // updated_at stays: a heartbeat is liveness, not a change of the Resource.
    const updated = await this.table.update({
      Key: resourceKeys.resource(resourceId),
      UpdateExpression:
        'SET #node.last_heartbeat_at = :at, #node.first_heartbeat_at = if_not_exists(#node.first_heartbeat_at, :at), #node.binary_version = :version',
      ConditionExpression: '#node.node_id = :id AND attribute_not_exists(#node.revoked_at)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':id': nodeId, ':at': at, ':version': binaryVersion },
    });
    return updated && ResourceSchema.parse(entityOf(updated));
  }

  /** These nodes' pointers, read consistently; a node with none is absent. */
  private async pointersOf(nodeIds: readonly string[]): Promise<NodePointer[]> {
    return [
      ...(
        await this.table.batchGet(
          nodeIds.map((id) => resourceKeys.node(id)),
          PointerSchema,
        )
      ).values(),
    ];
  }

  /** Each pointer with its Resource, read consistently in batches. */
  private async withResources(pointers: readonly NodePointer[]): Promise<Array<{ pointer: NodePointer; resource: Resource | undefined }>> {
    const keys = [...new Set(pointers.map((p) => p.resource_id))].map((id) => resourceKeys.resource(id));
    const resources = await this.table.batchGet(keys, ResourceSchema);
    return pointers.map((pointer) => {
      const key = resourceKeys.resource(pointer.resource_id);
      return { pointer, resource: resources.get(`${key.PK}|${key.SK}`) };
    });
  }

  /** Every node pointer of the domain with its Resource: the slow way, for checking the snapshot against the truth. */
  async domainNodes(domainId: string): Promise<Array<{ pointer: NodePointer; resource: Resource | undefined }>> {
    // The list index only finds candidates; liveness is decided on the Resource items, read consistently.
    const pointers: NodePointer[] = [];
    let afterId: string | undefined;
    do {
      const page = await this.table.listPage(resourceKeys.domainNodes(domainId).GSI1PK, ListedPointerSchema, {
        limit: 200,
        ...(afterId && { afterId }),
      });
      pointers.push(...page.items.map(({ id: _id, ...pointer }) => pointer));
      afterId = page.lastId;
    } while (afterId);
    return this.withResources(pointers);
  }

  async getCapabilities(nodeId: string): Promise<StoredCapabilities | undefined> {
    return (await this.table.get(resourceKeys.node(nodeId), CapabilitiesSchema))?.capabilities;
  }

  async putCapabilities(nodeId: string, stored: StoredCapabilities): Promise<boolean> {
    // On the node's own item, not the Resource: a manifest may be 32 KiB and changes on its own schedule.
    const updated = await this.table.update({
      Key: resourceKeys.node(nodeId),
      UpdateExpression: 'SET capabilities = :stored',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':stored': stored },
    });
    return updated !== undefined;
  }
}
