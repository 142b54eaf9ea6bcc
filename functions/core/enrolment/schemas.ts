import * as z from 'zod';
import { EnrolledNodeSchema } from '../resources.ts';

// The node API's wire schemas: what plexd sends (request bodies) and what it gets back (views).
// One module, so functions/api/openapi.ts documents the contract from one place.

// ---- registration ---------------------------------------------------------------------------

export const RegisterBodySchema = z.strictObject({
  project_id: z.string(),
  resource_handle: z.string(),
  bootstrap_token: z.string(),
  nonce: z.string(),
  public_key: z.string(),
  /** Accepted for plexd's sake; the broker resolves the Resource by its handle only. */
  requested_resource_id: z.string().max(4096).optional(),
});
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

/** Another node of the domain, as a peer list shows it. */
export const PeerViewSchema = EnrolledNodeSchema.pick({ node_id: true, mesh_ip: true, public_key: true });
export type Peer = z.infer<typeof PeerViewSchema>;

/** The answer to POST /v1/register; `nsk` is shown this once. */
export const RegistrationViewSchema = z.object({
  ...EnrolledNodeSchema.pick({ node_id: true, mesh_ip: true }).shape,
  signing_public_key: z.string(),
  signing_key_id: z.string(),
  nsk: z.string(),
  peer_snapshot: z.array(PeerViewSchema),
  domain_mesh_cidr: z.string(),
});
export type Registration = z.infer<typeof RegistrationViewSchema>;

// ---- heartbeat ------------------------------------------------------------------------------

export const HeartbeatBodySchema = z.strictObject({
  client_now: z.string(),
  binary_checksum: z.string().optional(),
  binary_version: z.string().optional(),
  nat_summary: z.record(z.string(), z.unknown()),
});
export type HeartbeatBody = z.infer<typeof HeartbeatBodySchema>;

export const HeartbeatViewSchema = z.object({ accepted_at: z.string(), reconcile: z.boolean(), rotate_keys: z.boolean() });
export type HeartbeatAnswer = z.infer<typeof HeartbeatViewSchema>;

// ---- state pull -----------------------------------------------------------------------------

export const ReachabilityViewSchema = z.object({
  state: z.enum(['healthy', 'stale', 'unreachable']),
  last_heartbeat_at: z.string().optional(),
  changed_at: z.string(),
});
export type Reachability = z.infer<typeof ReachabilityViewSchema>;

// The broker drives none of these lists yet, so their entries stay open.
const ReportsViewSchema = z.object({ metadata: z.array(z.unknown()), data: z.array(z.unknown()), reports: z.array(z.unknown()) });

/** The answer to GET /v1/nodes/{id}/state. */
export const NodeStateViewSchema = z.object({
  peers: z.array(PeerViewSchema),
  reachability: ReachabilityViewSchema,
  policy: z.null(),
  bridge: z.null(),
  state: ReportsViewSchema,
  reports: ReportsViewSchema,
});
export type NodeStateView = z.infer<typeof NodeStateViewSchema>;

// ---- capabilities ---------------------------------------------------------------------------

export const CapabilityManifestBodySchema = z.strictObject({
  binary_version: z.string().optional(),
  binary_checksum: z.string().optional(),
  ssh_host_key_fingerprint: z.string().max(4096).optional(),
  declared_hooks: z.array(z.strictObject({ name: z.string(), checksum: z.string() })).optional(),
  plexd_hooks: z
    .array(
      z.strictObject({
        name: z.string(),
        image_digest: z.string(),
        parameters: z.record(z.string(), z.string()).optional(),
        timeout_seconds: z.number().int().optional(),
        sandbox: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type CapabilityManifestBody = z.infer<typeof CapabilityManifestBodySchema>;

/** The manifest's fields, sorted: the order `fields_changed` lists them in. */
export const MANIFEST_FIELDS = ['binary_checksum', 'binary_version', 'declared_hooks', 'plexd_hooks', 'ssh_host_key_fingerprint'] as const;

/** The answer to PUT /v1/nodes/{id}/capabilities. */
export const CapabilitiesViewSchema = z.object({
  accepted_at: z.string(),
  fields_changed: z.array(z.enum(MANIFEST_FIELDS)),
  host_key_changed: z.boolean(),
});
export type CapabilitiesView = z.infer<typeof CapabilitiesViewSchema>;
