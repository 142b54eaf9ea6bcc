import type { BlueprintVersion } from '../catalog/blueprints.ts';
import { isEnrolled } from '../enrolment/heartbeat.ts';
import { UnprocessableError } from '../errors.ts';
import { parameterContext, validateParameters } from '../parameters.ts';
import type { ErrorInfo, Resource } from '../resources.ts';
import { PROJECT_TAG, RESOURCE_TAG, type SubstratePlan } from '../substrate.ts';
import { renderCloudInit } from '../user-data.ts';
import type { StepInput, StepOutcome, StepPorts, SubstratePorts, TaskCallbacks, TokenMinter } from './config.ts';
import { current, done, later, pastDeadline, substratePlan, superseded } from './run.ts';

// The provision arc: Pending → Provisioning → Enrolling → Ready.

/** The stored parameters against the version's constraints and the Cloud as it is now; a refusal, or undefined. */
async function parameterRefusal(ports: StepPorts, r: Resource, version: BlueprintVersion | undefined): Promise<ErrorInfo | undefined> {
  const cloud = version && r.cloud_id ? await ports.catalog.getCloud(r.cloud_id) : undefined;
  if (!version || !cloud) return undefined; // nothing to check against; planning reports a missing cloud
  try {
    validateParameters(version.parameter_schema, r.parameters, parameterContext(cloud));
    return undefined;
  } catch (err) {
    if (err instanceof UnprocessableError) return { code: err.code, message: err.message };
    throw err;
  }
}

/** An image the parameters chose must belong to an owner the version allows. */
async function imageRefusal(ports: SubstratePorts, plan: SubstratePlan): Promise<ErrorInfo | undefined> {
  if (!plan.image) return undefined;
  const { id, allowedOwners } = plan.image;
  const owner = await ports.substrate.imageOwner(plan.target, id);
  if (owner && allowedOwners.includes(owner)) return undefined;
  // No account ids: neither the image's owner nor the owners the version's template allows.
  return {
    code: 'image_owner_not_allowed',
    message: owner
      ? `Image ${id} belongs to an account this blueprint version does not allow images of.`
      : `Image ${id} is not visible to the credential's account, so its owner cannot be checked.`,
  };
}

/**
 * Pending → Provisioning: the pinned credential resolves, a bootstrap token is minted and bound
 * to the Resource, and the machine is launched (idempotent through its client token, tagged with
 * the Resource id at creation). Before anything is written, the parameters are checked again
 * (defence in depth: a Resource written past the API, a Cloud whose regions narrowed since) and so
 * is the owner of an image they chose; a refusal fails the run without launching.
 */
export async function applySubstrate(ports: StepPorts & SubstratePorts & { minter: TokenMinter }, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Pending', 'Provisioning', 'Enrolling']);
  const p = r?.provisioning;
  if (!r || !p) return superseded;
  if (p.phase !== 'Pending') return done; // a resumed run: the machine was launched already
  const version = r.blueprint_version_id ? await ports.catalog.getVersionById(r.blueprint_version_id) : undefined;
  const badParameters = await parameterRefusal(ports, r, version);
  if (badParameters) return { status: 'failed', error: badParameters };
  const plan = await substratePlan(ports, r, version);
  const badImage = await imageRefusal(ports, plan);
  if (badImage) return { status: 'failed', error: badImage };
  // Deterministic for this Resource: a retried step renders the same user data, which the
  // launch's client-token idempotency requires.
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
    plan.install,
  );
  // The launch intent, before the launch: a delete that lands while the call is in flight
  // (stopping the execution does not stop this Lambda) finds it, and its teardown keeps looking
  // for the machine until the launch must have settled. A delete that came first fences this
  // write: then nothing is launched. Each attempt moves the intent to its own start.
  const requestedAt = ports.clock.now().toISOString();
  const intent = await ports.resources.recordLaunchIntent(
    r.id,
    p.generation,
    { provider: plan.provider, region: plan.region, client_token: p.provisioned_resource_id, launch_requested_at: requestedAt },
    requestedAt,
  );
  if (!intent) return (await current(ports, input, ['Provisioning', 'Enrolling'])) ? done : superseded;
  const machine = await ports.substrate.launch(plan.target, {
    ...plan.machine,
    clientToken: p.provisioned_resource_id,
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
      provider: plan.provider,
      region: plan.region,
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
export async function checkSubstrate(ports: StepPorts & SubstratePorts, input: StepInput): Promise<StepOutcome> {
  const r = await current(ports, input, ['Provisioning', 'Enrolling', 'Ready']);
  const p = r?.provisioning;
  if (!r || !p) return superseded;
  if (p.phase !== 'Provisioning') return done;
  const machines = await ports.substrate.findByResource((await substratePlan(ports, r)).target, r.id);
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
  // The cloud's own state reason is its text, not ours: the Resource says only what we observed.
  if (machine && ['shutting-down', 'terminated', 'stopping', 'stopped'].includes(machine.state)) {
    return { status: 'failed', error: { code: 'substrate_lost', message: `The instance is ${machine.state}.` } };
  }
  // No machine listed yet is not a loss: a cloud's listing may lag its launches.
  if (pastDeadline(r, ports.clock, ports.config.substrateTimeoutSeconds)) {
    const message = machine
      ? `The instance was still ${machine.state} at the deadline.`
      : 'The launched instance never appeared in the cloud before the deadline.';
    return { status: 'failed', error: { code: machine ? 'substrate_timeout' : 'substrate_lost', message } };
  }
  return { status: 'waiting', waiting_on: 'substrate-running' };
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
  if (isEnrolled(stored)) await ports.callbacks.succeed(input.task_token, done);
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
