import * as z from 'zod';
import { CredentialHandleSchema } from './assignments/assignment.ts';
import { MAX_LEASE_SECONDS, MIN_LEASE_SECONDS } from './assignments/terms.ts';
import { CloudProviderSchema } from './catalog/provider-keys.ts';
import { IN_PROJECT, TIMESTAMPS } from './entity.ts';
import { IdSchema } from './ids.ts';
import type { EventActor } from './events/event.ts';

// A Resource and the phase machine the broker drives it through. Phases only move forward; the
// store enforces each step with one conditional write on the expected phase and generation.

export const PHASES = ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Failed', 'Deregistering', 'Deprovisioning', 'Deleted'] as const;
export const PhaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof PhaseSchema>;

/** The forward edges. Failed may be left only by a teardown; Deleted is terminal. */
export const PHASE_TRANSITIONS: Record<Phase, readonly Phase[]> = {
  Pending: ['Provisioning', 'Failed', 'Deregistering'],
  Provisioning: ['Enrolling', 'Failed', 'Deregistering'],
  Enrolling: ['Ready', 'Failed', 'Deregistering'],
  Ready: ['Failed', 'Deregistering'],
  Failed: ['Deregistering'],
  Deregistering: ['Deprovisioning', 'Failed'],
  Deprovisioning: ['Deleted', 'Failed'],
  Deleted: [],
};

export const PROVISION_PHASES: readonly Phase[] = ['Pending', 'Provisioning', 'Enrolling'];
export const TEARDOWN_PHASES: readonly Phase[] = ['Deregistering', 'Deprovisioning'];
/** The phases a teardown may start from; a lease governs a Resource only while it is in one. */
export const DELETABLE: readonly Phase[] = [...PROVISION_PHASES, 'Ready', 'Failed'];

export function canTransition(from: Phase, to: Phase): boolean {
  return PHASE_TRANSITIONS[from].includes(to);
}

export const ErrorInfoSchema = z.object({ code: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const SubstrateRefSchema = z.object({
  provider: CloudProviderSchema,
  region: z.string(),
  client_token: z.string(),
  instance_id: z.string().optional(),
  instance_state: z.string().optional(),
  /**
   * When the last launch was about to be sent (the launch intent, written before the call).
   * A teardown that lists no machine waits a grace period past it: a launch still in flight
   * creates its machine after the delete came.
   */
  launch_requested_at: z.string().optional(),
});
export type SubstrateRef = z.infer<typeof SubstrateRefSchema>;

/** The node enrolled for the Resource, recorded by the single register write. */
export const EnrolledNodeSchema = z.object({
  node_id: IdSchema,
  mesh_ip: z.string(),
  public_key: z.string(),
  nsk_hash: z.string(),
  registered_at: z.string(),
  first_heartbeat_at: z.string().optional(),
  last_heartbeat_at: z.string().optional(),
  binary_version: z.string().optional(),
  revoked_at: z.string().optional(),
  /** Set the first time a revoked node was refused: proof it is no longer registered. */
  refused_at: z.string().optional(),
});
export type EnrolledNode = z.infer<typeof EnrolledNodeSchema>;

export const BootstrapTokenStateSchema = z.object({
  /** SHA-256 of the token; the token itself is never stored. */
  hash: z.string(),
  issued_at: z.string(),
  expires_at: z.string(),
  consumed_at: z.string().optional(),
  revoked_at: z.string().optional(),
});

export const ProvisioningSchema = z.object({
  phase: PhaseSchema,
  /** Fences step writes: a late step of an older run cannot overwrite a newer one. */
  generation: z.number().int().nonnegative(),
  /** Which arc the current generation runs. */
  run: z.enum(['provision', 'teardown']),
  provisioned_resource_id: IdSchema,
  reason: z.string(),
  waiting_on: z.string().optional(),
  /** When the current wait gives up (the Resource then goes to Failed). */
  deadline: z.string().optional(),
  last_error: ErrorInfoSchema.optional(),
  transitions: z.array(z.object({ phase: PhaseSchema, at: z.string() })),
  substrate: SubstrateRefSchema.optional(),
  /** The Enrolling wait's Step Functions task token (completed by the first heartbeat). */
  enrol_task_token: z.string().optional(),
  /** Why the current run started, as a stable code (a teardown's cause). */
  reason_code: z.enum(['delete_requested', 'lease_expired', 'assignment_revoked']).optional(),
});
export type Provisioning = z.infer<typeof ProvisioningSchema>;

/**
 * How long a provisioned Resource may live. `expires_at` may be moved (POST …/lease) up to
 * `max_expires_at`, which the assignment's terms fixed at creation (null: no ceiling).
 */
export const LeaseSchema = z.object({ expires_at: z.string(), max_expires_at: z.string().nullable() });
export type Lease = z.infer<typeof LeaseSchema>;

export const ResourceSchema = z.object({
  ...IN_PROJECT,
  kind: z.string(),
  origin: z.enum(['provisioned', 'adopted']),
  external_ref: z.string().optional(),
  ...TIMESTAMPS,
  created_by: IdSchema,
  blueprint_id: IdSchema.optional(),
  blueprint_version_id: IdSchema.optional(),
  cloud_id: IdSchema.optional(),
  cloud_credential_id: IdSchema.optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** The credential handle pinned at creation; teardown uses it even after a revoke. */
  credential_handle: CredentialHandleSchema.optional(),
  provisioning: ProvisioningSchema.optional(),
  lease: LeaseSchema.optional(),
  /** The approved assignment the Resource was admitted under. */
  assignment_id: IdSchema.optional(),
  /** The assignment whose quota slot the Resource holds; removed when the slot is given back. */
  quota_slot: IdSchema.optional(),
  bootstrap: BootstrapTokenStateSchema.optional(),
  node: EnrolledNodeSchema.optional(),
  /** Hash of the create request, for Idempotency-Key replays. */
  request_hash: z.string().optional(),
  /**
   * When an adopted Resource was deleted. It has no provisioning phases (nothing of it is the
   * broker's to tear down), so its delete is this one mark: from then on it is gone (404) and the
   * project no longer counts it.
   */
  deleted_at: z.string().optional(),
});
export type Resource = z.infer<typeof ResourceSchema>;

export const ParameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const CreateResourceBodySchema = z.discriminatedUnion('origin', [
  z.strictObject({
    origin: z.literal('provisioned'),
    kind: z.string().trim().min(1).max(63),
    blueprint_version_id: IdSchema,
    cloud_credential_id: IdSchema,
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** Default and ceiling from the assignment's terms; else the stage's default lease. */
    lease_seconds: z.number().int().min(MIN_LEASE_SECONDS).max(MAX_LEASE_SECONDS).optional(),
  }),
  z.strictObject({
    origin: z.literal('adopted'),
    kind: z.string().trim().min(1).max(63),
    external_ref: z.string().trim().min(1).max(253).optional(),
  }),
]);
export type CreateResourceBody = z.infer<typeof CreateResourceBodySchema>;

/**
 * The Resource on the wire: the contract's fields, plus why it is where it is. Picked from the
 * stored schemas (masks in the wire's key order), so a field keeps one definition.
 */
export const ResourceViewSchema = ResourceSchema.pick({
  id: true,
  project_id: true,
  domain_id: true,
  kind: true,
  origin: true,
  external_ref: true,
  created_at: true,
  updated_at: true,
  blueprint_version_id: true,
  cloud_credential_id: true,
  lease: true,
}).extend({
  /** Absent on an adopted Resource: the broker drives no phases for it. */
  provisioning: ProvisioningSchema.pick({
    phase: true,
    provisioned_resource_id: true,
    generation: true,
    reason: true,
    reason_code: true,
    waiting_on: true,
    deadline: true,
    last_error: true,
    transitions: true,
  })
    .extend({
      substrate: SubstrateRefSchema.pick({ provider: true, region: true, instance_id: true })
        .extend({ state: SubstrateRefSchema.shape.instance_state })
        .optional(),
      node: EnrolledNodeSchema.pick({ node_id: true, mesh_ip: true, registered_at: true, last_heartbeat_at: true }).optional(),
    })
    .optional(),
});
export type ResourceView = z.infer<typeof ResourceViewSchema>;

export function resourceView(r: Resource): ResourceView {
  const p = r.provisioning;
  return {
    id: r.id,
    project_id: r.project_id,
    domain_id: r.domain_id,
    kind: r.kind,
    origin: r.origin,
    ...(r.external_ref && { external_ref: r.external_ref }),
    created_at: r.created_at,
    updated_at: r.updated_at,
    ...(r.blueprint_version_id && { blueprint_version_id: r.blueprint_version_id }),
    ...(r.cloud_credential_id && { cloud_credential_id: r.cloud_credential_id }),
    ...(r.lease && { lease: r.lease }),
    ...(p && {
      provisioning: {
        phase: p.phase,
        provisioned_resource_id: p.provisioned_resource_id,
        generation: p.generation,
        reason: p.reason,
        ...(p.reason_code && { reason_code: p.reason_code }),
        ...(p.waiting_on && { waiting_on: p.waiting_on }),
        ...(p.deadline && { deadline: p.deadline }),
        ...(p.last_error && { last_error: p.last_error }),
        transitions: p.transitions,
        ...(p.substrate && {
          substrate: {
            provider: p.substrate.provider,
            region: p.substrate.region,
            instance_id: p.substrate.instance_id,
            state: p.substrate.instance_state,
          },
        }),
        ...(r.node && {
          node: {
            node_id: r.node.node_id,
            mesh_ip: r.node.mesh_ip,
            registered_at: r.node.registered_at,
            last_heartbeat_at: r.node.last_heartbeat_at,
          },
        }),
      },
    }),
  };
}

/** A new run of a Resource (ResourceStore.startRun): the arc, its first phase, and where it may start from. */
export interface RunStart {
  expectedGeneration: number;
  run: 'provision' | 'teardown';
  phase: Phase;
  fromPhases: readonly Phase[];
  at: string;
  reason: string;
  reasonCode?: Provisioning['reason_code'];
  /** Only while the lease still ends then (a lease expiry must not undo an extension that landed first). */
  leaseEnd?: string;
  /** The person who started it (a delete, a revoke); absent for the broker's own (a lease expiry, a resume). */
  actor?: EventActor | undefined;
}

export interface PhaseChange {
  /** Phases the write accepts the Resource in. */
  from: readonly Phase[];
  to: Phase;
  /** The run's generation; the write is refused when the Resource has moved on. */
  generation: number;
  at: string;
  reason: string;
  waitingOn?: string | undefined;
  deadline?: string | undefined;
  error?: ErrorInfo | undefined;
  substrate?: SubstrateRef | undefined;
}

export interface ResourceStore {
  /**
   * Writes a new Resource, the project's resource counter, the Idempotency-Key's record (when a
   * key is given) and, when the Resource has a `quota_slot`, that assignment's slot, in one
   * transaction. Returns the stored Resource, or the earlier one on a replay; ConflictError
   * `idempotency_key_reused` when the key came with another body; `quota_exceeded` (or the
   * terms' other refusals) when the slot's condition failed.
   */
  create(resource: Resource, idempotency?: { key: string; requestHash: string }): Promise<{ resource: Resource; replayed: boolean }>;
  /** The id an Idempotency-Key reserved, if any (so a replay reuses it). */
  reservedId(projectId: string, key: string): Promise<{ id: string; requestHash: string } | undefined>;
  get(id: string): Promise<Resource | undefined>;
  listByProject(projectId: string, page: import('./pagination.ts').PageRequest): Promise<import('./pagination.ts').Page<Resource>>;
  /** Resources with a run in flight, for the reconciler. */
  listActive(): Promise<Resource[]>;
  /**
   * One conditional write on phase and generation; undefined when the Resource has moved on.
   * Entering Failed also revokes the unredeemed bootstrap token and the node's NSK, and takes the
   * node out of the peer lists, in the same write: a Failed Resource holds no live credentials.
   */
  changePhase(id: string, change: PhaseChange): Promise<Resource | undefined>;
  /** Updates the run's bookkeeping (waiting_on, substrate, task token) without a phase change, fenced on generation. */
  annotate(
    id: string,
    generation: number,
    fields: Partial<Pick<Provisioning, 'waiting_on' | 'substrate' | 'enrol_task_token' | 'reason'>>,
    at: string,
  ): Promise<Resource | undefined>;
  /**
   * Starts a new run: bumps the generation (from the expected one) and sets the arc; used by
   * delete (teardown) and by the reconciler (resume). Undefined when someone else moved first.
   */
  startRun(id: string, change: RunStart): Promise<Resource | undefined>;
  /** Binds a bootstrap token (by hash) to the Resource, fenced on generation. */
  bindBootstrapToken(
    id: string,
    generation: number,
    token: { hash: string; issued_at: string; expires_at: string },
  ): Promise<Resource | undefined>;
  /**
   * Moves the lease's `expires_at`, in one write conditioned on the lease read (`seenExpiresAt`)
   * and on a phase that a lease still governs. Undefined when either moved.
   */
  setLease(id: string, expiresAt: string, seenExpiresAt: string, at: string, actor?: EventActor): Promise<Resource | undefined>;
  /**
   * Marks the lease ending at `expiresAt` as warned, with its `resource.lease_expiring` event, once:
   * false when it was warned already, or the lease or phase moved.
   */
  warnLeaseExpiring(id: string, expiresAt: string, at: string): Promise<boolean>;
  /** Revokes the bootstrap token and the node's NSK (teardown). */
  revokeCredentials(id: string, at: string): Promise<Resource | undefined>;
  /**
   * Deletes an adopted Resource: it is marked `deleted_at` (and taken off the project's list) and
   * the project stops counting it, in one transaction. Idempotent: a second delete answers the
   * retired Resource. Undefined when there is no such adopted Resource.
   * (Optional only so that in-memory fakes of the phase steps need not implement it.)
   */
  retireAdopted(id: string, at: string, actor?: EventActor): Promise<Resource | undefined>;
  /**
   * Records the launch intent (the substrate reference with `launch_requested_at`) before the
   * launch is sent: one conditional write, only while the run's generation is current and
   * the Resource is still Pending. Undefined when it moved on (a delete came first: launch nothing).
   */
  recordLaunchIntent(id: string, generation: number, substrate: SubstrateRef, at: string): Promise<Resource | undefined>;
  /**
   * Releases what the Resource's node holds outside the Resource item (teardown, before Deleted):
   * its node pointer, and its mesh IP if still this node's, together. Idempotent.
   */
  releaseNode(resource: Resource): Promise<void>;
}
