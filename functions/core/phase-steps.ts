import { z } from 'zod';
import { awsEndpointOf, awsKeysFromSecret, type CatalogStore } from './catalog.ts';
import type { Clock } from './clock.ts';
import { NotFoundError } from './errors.ts';
import { type ErrorInfo, type Phase, type Resource, type ResourceStore, TEARDOWN_PHASES } from './resources.ts';
import { machineTemplate, PROJECT_TAG, RESOURCE_TAG, type Substrate, type SubstrateTarget } from './substrate.ts';
import { CLOUDLESS_RECIPE, type InstallRecipe, plexdInstallRecipe, renderCloudInit } from './user-data.ts';
import type { Vault } from './vault.ts';

// The work of each Task state of the phase arcs. Every step reads the Resource, checks that its
// run (the generation) is still the current one, acts, and moves the phase with one conditional
// write. Expected outcomes are returned as data for a Choice state; only errors worth retrying
// are thrown.

export const StepInputSchema = z.object({
  resource_id: z.string(),
  generation: z.number().int().positive(),
});
export type StepInput = z.infer<typeof StepInputSchema>;

export type StepOutcome =
  | { status: 'done' }
  | { status: 'waiting'; waiting_on: string }
  | { status: 'failed'; error: ErrorInfo }
  | { status: 'superseded' };

export interface TokenMinter {
  mint(input: { projectId: string; resourceId: string; salt: string }): Promise<{ token: string; hash: string }>;
}

export interface TaskCallbacks {
  /** Completes a waiting task; a token already completed or timed out is not an error. */
  succeed(taskToken: string, output: object): Promise<void>;
}

export interface StepConfig {
  /** The API the node redeems its token at (PLEXD_API). */
  apiUrl: string;
  tokenTtlSeconds: number;
  substrateTimeoutSeconds: number;
  drainTimeoutSeconds: number;
  terminateTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  /**
   * How long after a recorded launch intent a teardown that lists no machine keeps looking before
   * it concludes nothing was created: longer than the substrate step's timeout (a RunInstances
   * sent at its last moment) plus DescribeInstances' lag. Defaults to LAUNCH_GRACE_SECONDS.
   */
  launchGraceSeconds?: number;
}

/** The substrate step's Lambda timeout (30 s) plus a margin for DescribeInstances to list a new instance. */
export const LAUNCH_GRACE_SECONDS = 180;

export interface StepPorts {
  resources: ResourceStore;
  catalog: CatalogStore;
  vault: Vault;
  clock: Clock;
  config: StepConfig;
}

const superseded: StepOutcome = { status: 'superseded' };
const done: StepOutcome = { status: 'done' };

/** The Resource, if this run is still its current one and it is in one of `phases`. */
async function current(ports: Pick<StepPorts, 'resources'>, input: StepInput, phases: readonly Phase[]): Promise<Resource | undefined> {
  const r = await ports.resources.get(input.resource_id);
  const p = r?.provisioning;
  if (!r || !p || p.generation !== input.generation || !phases.includes(p.phase)) return undefined;
  return r;
}

function later(clock: Clock, seconds: number): string {
  return new Date(clock.now().getTime() + seconds * 1000).toISOString();
}

function enteredAt(r: Resource, phase: Phase): number {
  const t = [...(r.provisioning?.transitions ?? [])].reverse().find((x) => x.phase === phase);
  return t ? Date.parse(t.at) : 0;
}

/**
 * Whether the current wait is over: at the stored deadline, or, when there is none (a run the
 * reconciler resumed starts without one), `timeoutSeconds` after the phase was entered, so a
 * resumed wait still ends.
 */
function pastDeadline(r: Resource, clock: Clock, timeoutSeconds: number): boolean {
  const p = r.provisioning;
  if (!p) return false;
  const deadline = p.deadline ? Date.parse(p.deadline) : enteredAt(r, p.phase) + timeoutSeconds * 1000;
  return deadline <= clock.now().getTime();
}

/** Where and as whom to reach the Resource's substrate: its Cloud, and the credential version pinned at creation. */
export async function substrateTarget(ports: Pick<StepPorts, 'catalog' | 'vault'>, r: Resource): Promise<SubstrateTarget> {
  if (!r.cloud_id || !r.credential_handle) throw new NotFoundError('substrate_unknown', 'The resource names no cloud credential.');
  const cloud = await ports.catalog.getCloud(r.cloud_id);
  if (!cloud) throw new NotFoundError('cloud_not_found', "The resource's cloud no longer exists.");
  const endpoint = awsEndpointOf(cloud);
  const secret = await ports.vault.read(r.credential_handle.secret_arn, r.credential_handle.version_id);
  const keys = awsKeysFromSecret(secret.value);
  return {
    region: typeof r.parameters?.region === 'string' ? r.parameters.region : endpoint.region,
    ...(endpoint.url && { endpoint: endpoint.url }),
    credentials: {
      accessKeyId: keys.access_key_id,
      secretAccessKey: keys.secret_access_key,
      ...(keys.session_token && { sessionToken: keys.session_token }),
    },
  };
}

/** How plexd gets onto the machine: already on the cloudless image, or downloaded and installed as a unit. */
export function recipeFor(template: ReturnType<typeof machineTemplate>): InstallRecipe {
  if (template.recipe === 'cloudless' || !template.plexd_url) return CLOUDLESS_RECIPE;
  return plexdInstallRecipe(template.plexd_url);
}

/**
 * Pending → Provisioning: the pinned credential resolves, a bootstrap token is minted and bound
 * to the Resource, and the machine is launched (idempotent through its client token, tagged with
 * the Resource id at creation).
 */
export async function applySubstrate(
  ports: StepPorts & { substrate: Substrate; minter: TokenMinter },
  input: StepInput,
): Promise<StepOutcome> {
  const r = await current(ports, input, ['Pending', 'Provisioning', 'Enrolling']);
  const p = r?.provisioning;
  if (!r || !p) return superseded;
  if (p.phase !== 'Pending') return done; // a resumed run: the machine was launched already
  const target = await substrateTarget(ports, r);
  const version = r.blueprint_version_id ? await ports.catalog.getVersionById(r.blueprint_version_id) : undefined;
  const template = machineTemplate(version?.template, r.parameters);
  // Deterministic for this Resource: a retried step renders the same user data, which EC2's
  // client-token idempotency requires.
  const { token, hash } = await ports.minter.mint({ projectId: r.project_id, resourceId: r.id, salt: p.provisioned_resource_id });
  const issuedAt = ports.clock.now().toISOString();
  if (!r.bootstrap) {
    const bound = await ports.resources.bindBootstrapToken(r.id, p.generation, {
      hash,
      issued_at: issuedAt,
      expires_at: later(ports.clock, ports.config.tokenTtlSeconds),
    });
    if (!bound) return superseded;
  }
  const userData = renderCloudInit(
    { apiUrl: ports.config.apiUrl, projectId: r.project_id, resourceHandle: r.external_ref ?? r.id, bootstrapToken: token },
    recipeFor(template),
  );
  // The launch intent, before RunInstances: a delete that lands while the call is in flight
  // (stopping the execution does not stop this Lambda) finds it, and its teardown keeps looking
  // for the machine until the launch must have settled. A delete that came first fences this
  // write: then nothing is launched. Each attempt moves the intent to its own start.
  const requestedAt = ports.clock.now().toISOString();
  const intent = await ports.resources.recordLaunchIntent(
    r.id,
    p.generation,
    { provider: 'aws', region: target.region, client_token: p.provisioned_resource_id, launch_requested_at: requestedAt },
    requestedAt,
  );
  if (!intent) return (await current(ports, input, ['Provisioning', 'Enrolling'])) ? done : superseded;
  const machine = await ports.substrate.launch(target, {
    clientToken: p.provisioned_resource_id,
    imageId: template.image_id,
    instanceType: template.instance_type,
    userData,
    tags: { [RESOURCE_TAG]: r.id, [PROJECT_TAG]: r.project_id, Name: `plexsphere-${r.kind}-${r.id.slice(-12)}` },
  });
  const moved = await ports.resources.changePhase(r.id, {
    from: ['Pending'],
    to: 'Provisioning',
    generation: p.generation,
    at: ports.clock.now().toISOString(),
    reason: `Substrate applied: instance ${machine.instanceId} launched; waiting for it to run.`,
    waitingOn: 'substrate-running',
    deadline: later(ports.clock, ports.config.substrateTimeoutSeconds),
    substrate: {
      provider: 'aws',
      region: target.region,
      client_token: p.provisioned_resource_id,
      launch_requested_at: requestedAt,
      instance_id: machine.instanceId,
      instance_state: machine.state,
    },
  });
  if (moved) return done;
  // Someone moved first: a retry of this step (fine), or a delete. The machine is not left
  // behind: the teardown finds it by tag, and waits for it past the launch intent recorded above.
  return (await current(ports, input, ['Provisioning', 'Enrolling', 'Ready'])) ? done : superseded;
}

/** Provisioning → Enrolling once the machine reports running; Failed if it dies or the deadline passes. */
export async function checkSubstrate(ports: StepPorts & { substrate: Substrate }, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Provisioning', 'Enrolling', 'Ready']);
  const p = r?.provisioning;
  if (!r || !p) return superseded;
  if (p.phase !== 'Provisioning') return done;
  const target = await substrateTarget(ports, r);
  const machines = await ports.substrate.findByResource(target, r.id);
  const machine = machines.find((m) => m.instanceId === p.substrate?.instance_id) ?? machines[0];
  if (machine?.state === 'running') {
    const moved = await ports.resources.changePhase(r.id, {
      from: ['Provisioning'],
      to: 'Enrolling',
      generation: p.generation,
      at: ports.clock.now().toISOString(),
      reason: `Instance ${machine.instanceId} is running; waiting for its node to register and heartbeat.`,
      waitingOn: 'node-enrolment',
      ...(p.substrate && { substrate: { ...p.substrate, instance_state: 'running' } }),
    });
    return moved ? done : superseded;
  }
  if (machine && ['shutting-down', 'terminated', 'stopping', 'stopped'].includes(machine.state)) {
    return {
      status: 'failed',
      error: {
        code: 'substrate_lost',
        message: `The instance is ${machine.state}${machine.stateReason ? ` (${machine.stateReason})` : ''}.`,
      },
    };
  }
  // No machine listed yet is not a loss: EC2's DescribeInstances may lag its RunInstances.
  if (pastDeadline(r, ports.clock, ports.config.substrateTimeoutSeconds)) {
    const message = machine
      ? `The instance was still ${machine.state} at the deadline.`
      : 'The launched instance never appeared in the cloud before the deadline.';
    return { status: 'failed', error: { code: machine ? 'substrate_timeout' : 'substrate_lost', message } };
  }
  return { status: 'waiting', waiting_on: 'substrate-running' };
}

/** True once the node registered, was not revoked, and had a heartbeat accepted. */
export function nodeEnrolled(r: Resource): boolean {
  return Boolean(r.node && !r.node.revoked_at && r.node.first_heartbeat_at);
}

/**
 * Enrolling: stores the wait's task token on the Resource (the first heartbeat completes it). A
 * node that was faster than this step is already enrolled: then the step completes the wait itself.
 */
export async function awaitEnrolment(
  ports: Pick<StepPorts, 'resources' | 'clock'> & { callbacks: TaskCallbacks },
  input: StepInput & { task_token: string },
): Promise<StepOutcome> {
  const r = await current(ports, input, ['Enrolling', 'Ready']);
  if (!r?.provisioning) {
    await ports.callbacks.succeed(input.task_token, superseded);
    return superseded;
  }
  const stored = await ports.resources.annotate(
    r.id,
    input.generation,
    { enrol_task_token: input.task_token },
    ports.clock.now().toISOString(),
  );
  if (!stored) {
    await ports.callbacks.succeed(input.task_token, superseded);
    return superseded;
  }
  if (nodeEnrolled(stored)) await ports.callbacks.succeed(input.task_token, done);
  return { status: 'waiting', waiting_on: 'node-enrolment' };
}

/** Enrolling → Ready. */
export async function markReady(ports: Pick<StepPorts, 'resources' | 'clock'>, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Enrolling']);
  if (!r?.provisioning) return superseded;
  const node = r.node;
  const moved = await ports.resources.changePhase(r.id, {
    from: ['Enrolling'],
    to: 'Ready',
    generation: input.generation,
    at: ports.clock.now().toISOString(),
    reason: node ? `Node ${node.node_id} registered at ${node.mesh_ip} and is heartbeating.` : 'Node enrolled.',
  });
  return moved ? done : superseded;
}

/** Reads the error a Catch handed over: Lambda's JSON cause, or the emulator's plain message. */
export function errorInfo(error: { Error?: string; Cause?: string } | undefined): ErrorInfo {
  const code = error?.Error ?? 'unknown_error';
  let message = error?.Cause ?? 'The step failed without saying why.';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // a plain message
  }
  const known: Record<string, string> = {
    'States.Timeout': 'enrolment_timeout',
    'States.HeartbeatTimeout': 'enrolment_timeout',
  };
  if (known[code])
    return {
      code: known[code],
      message: code === 'States.Timeout' ? 'The node did not register and heartbeat before the deadline.' : message,
    };
  // A step handler's error message starts with its stable code (functions/shared/step-handler.ts).
  const coded = /^([a-z][a-z0-9_]*): (.+)$/s.exec(message);
  return coded ? { code: coded[1] as string, message: coded[2] as string } : { code, message };
}

/** Any phase of the current run → Failed, saying why. */
export async function markFailed(
  ports: Pick<StepPorts, 'resources' | 'clock'>,
  input: StepInput & { error?: ErrorInfo | undefined; cause?: { Error?: string; Cause?: string } | undefined },
): Promise<StepOutcome> {
  const r = await current(ports, input, ['Pending', 'Provisioning', 'Enrolling', 'Ready', 'Deregistering', 'Deprovisioning']);
  if (!r?.provisioning) return superseded;
  const error = input.error ?? errorInfo(input.cause);
  const during = TEARDOWN_PHASES.includes(r.provisioning.phase) ? 'teardown' : 'provisioning';
  const moved = await ports.resources.changePhase(r.id, {
    from: [r.provisioning.phase],
    to: 'Failed',
    generation: input.generation,
    at: ports.clock.now().toISOString(),
    reason: `${during === 'teardown' ? 'Teardown' : 'Provisioning'} failed in ${r.provisioning.phase}: ${error.message}`,
    error,
  });
  return moved ? done : superseded;
}

/**
 * Deregistering: revokes the node's NSK and the bootstrap token, then waits until the node is no
 * longer registered: refused once, or silent for the grace period (a dead node does not block).
 */
export async function drainNode(ports: StepPorts, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Deregistering', 'Deprovisioning', 'Deleted']);
  if (!r?.provisioning) return superseded;
  if (r.provisioning.phase !== 'Deregistering') return done;
  const now = ports.clock.now();
  const revoked = (await ports.resources.revokeCredentials(r.id, now.toISOString())) ?? r;
  const node = revoked.node;
  const graceMs = 2 * ports.config.heartbeatIntervalSeconds * 1000;
  const lastSign = node ? Math.max(...[node.last_heartbeat_at, node.registered_at].map((t) => (t ? Date.parse(t) : 0))) : 0;
  const gone = !node || node.refused_at !== undefined || now.getTime() - lastSign >= graceMs;
  if (gone) {
    const moved = await ports.resources.changePhase(r.id, {
      from: ['Deregistering'],
      to: 'Deprovisioning',
      generation: input.generation,
      at: now.toISOString(),
      reason: node
        ? `Node ${node.node_id} is out of the mesh; terminating the substrate.`
        : 'No node was enrolled; terminating the substrate.',
      waitingOn: 'substrate-termination',
      deadline: later(ports.clock, ports.config.terminateTimeoutSeconds),
    });
    return moved ? done : superseded;
  }
  if (now.getTime() - enteredAt(r, 'Deregistering') >= ports.config.drainTimeoutSeconds * 1000) {
    return { status: 'failed', error: { code: 'drain_timeout', message: 'The node was still heartbeating at the deadline.' } };
  }
  if (r.provisioning.waiting_on !== 'node-drain') {
    await ports.resources.annotate(
      r.id,
      input.generation,
      { waiting_on: 'node-drain', reason: 'NSK revoked; waiting for the node to leave the mesh.' },
      now.toISOString(),
    );
  }
  return { status: 'waiting', waiting_on: 'node-drain' };
}

/** When a launch recorded on the Resource must have settled (its machine listed, if one was created); undefined when none was recorded. */
function launchSettlesAt(r: Resource, config: StepConfig): number | undefined {
  const requested = r.provisioning?.substrate?.launch_requested_at;
  return requested ? Date.parse(requested) + (config.launchGraceSeconds ?? LAUNCH_GRACE_SECONDS) * 1000 : undefined;
}

/**
 * Deprovisioning → Deleted: terminates every machine tagged with the Resource (including one whose
 * launch was still in flight when the delete came), using the credential pinned at creation. When
 * none is listed but a launch was requested less than the grace period ago, it keeps looking: that
 * launch may still create its machine. Before the Deleted write, the node's pointer and mesh-IP
 * record are released together (a retry releases again: idempotent).
 */
export async function terminateSubstrate(ports: StepPorts & { substrate: Substrate }, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Deprovisioning', 'Deleted']);
  if (!r?.provisioning) return superseded;
  if (r.provisioning.phase === 'Deleted') return done;
  const machines = r.cloud_id && r.credential_handle ? await ports.substrate.findByResource(await substrateTarget(ports, r), r.id) : [];
  const live = machines.filter((m) => m.state !== 'terminated');
  const toTerminate = live.filter((m) => m.state !== 'shutting-down').map((m) => m.instanceId);
  if (toTerminate.length) await ports.substrate.terminate(await substrateTarget(ports, r), toTerminate);
  const settlesAt = launchSettlesAt(r, ports.config);
  // One client token per Resource: once a machine is listed, a launch in flight can add none.
  const launchInFlight = machines.length === 0 && settlesAt !== undefined && ports.clock.now().getTime() < settlesAt;
  if (live.length === 0 && !launchInFlight) {
    await ports.resources.releaseNode(r);
    const moved = await ports.resources.changePhase(r.id, {
      from: ['Deprovisioning'],
      to: 'Deleted',
      generation: input.generation,
      at: ports.clock.now().toISOString(),
      reason: machines.length
        ? `Node and substrate are gone (${machines.map((m) => m.instanceId).join(', ')} terminated).`
        : 'Nothing was running; the resource is gone.',
      ...(r.provisioning.substrate && { substrate: { ...r.provisioning.substrate, instance_state: 'terminated' } }),
    });
    return moved ? done : superseded;
  }
  if (pastDeadline(r, ports.clock, ports.config.terminateTimeoutSeconds)) {
    const message = live.length
      ? `Still not terminated at the deadline: ${live.map((m) => `${m.instanceId} ${m.state}`).join(', ')}.`
      : `No machine was listed by the deadline, but the launch requested at ${r.provisioning.substrate?.launch_requested_at} may still create one.`;
    return { status: 'failed', error: { code: 'terminate_timeout', message } };
  }
  if (live.length === 0) {
    if (r.provisioning.waiting_on !== 'substrate-launch') {
      const until = new Date(settlesAt as number).toISOString();
      const reason = `No machine is listed yet, but a launch was requested at ${r.provisioning.substrate?.launch_requested_at}; looking for it until ${until}.`;
      await ports.resources.annotate(r.id, input.generation, { waiting_on: 'substrate-launch', reason }, ports.clock.now().toISOString());
    }
    return { status: 'waiting', waiting_on: 'substrate-launch' };
  }
  if (r.provisioning.waiting_on === 'substrate-launch') {
    const reason = `Terminating ${live.map((m) => m.instanceId).join(', ')}, launched while the delete came.`;
    await ports.resources.annotate(
      r.id,
      input.generation,
      { waiting_on: 'substrate-termination', reason },
      ports.clock.now().toISOString(),
    );
  }
  return { status: 'waiting', waiting_on: 'substrate-termination' };
}
