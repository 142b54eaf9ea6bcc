import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_TAG } from '../../functions/core/substrate.ts';
import {
  approvedProject,
  type Catalog,
  createResource,
  enteredAt,
  getResource,
  issueCredential,
  phasesOf,
  seededCatalog,
  startNodelessStack,
  untilPhase,
} from '../support/resources.ts';
import type { TestStack } from '../support/stack.ts';

// The arcs' unhappy paths on the embedded stack. Its instances boot with no node agent, so no
// node ever registers, and the enrolment deadline is seconds instead of minutes.

const ENROL_TIMEOUT_SECONDS = 2;

let stack: TestStack;
let catalog: Catalog;
let projectId: string;

beforeAll(async () => {
  stack = await startNodelessStack(ENROL_TIMEOUT_SECONDS);
  catalog = await seededCatalog(stack);
  projectId = await approvedProject(stack, catalog.demoCredentialId);
});
afterAll(async () => {
  await stack?.close();
});

const instancesOf = (id: string) => stack.ec2.instances().filter((i) => i.tags[RESOURCE_TAG] === id);

/** A Resource whose machine runs but whose node never registers: Failed once the enrolment deadline passed. */
async function failedResource() {
  const id = await createResource(stack, projectId, catalog);
  return untilPhase(stack, id, 'Failed', 20_000);
}

describe('provisioning failures', () => {
  it('fails an agent that never registers at the enrolment deadline, saying why', async () => {
    const failed = await failedResource();
    expect(phasesOf(failed)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Failed']);
    // Failed by the deadline, not before it.
    expect(enteredAt(failed, 'Failed') - enteredAt(failed, 'Enrolling')).toBeGreaterThanOrEqual(ENROL_TIMEOUT_SECONDS * 1000);
    expect(failed.provisioning.last_error).toEqual({ code: 'enrolment_timeout', message: expect.stringMatching(/did not register/) });
    expect(failed.provisioning.reason).toMatch(/^Provisioning failed in Enrolling: /);
    expect(failed.provisioning.node).toBeUndefined();
    // The machine itself was fine: it is the node that never came.
    expect(instancesOf(failed.id).map((i) => i.state)).toEqual(['running']);
  });

  it('fails a substrate that refuses the credential, without retrying, saying why', async () => {
    const rejected = await issueCredential(stack, { access_key_id: 'AKIAREJECTEDBYLOCAL00', secret_access_key: 'not-a-key-the-local-ec2-accepts' });
    const project = await approvedProject(stack, rejected);
    const applies = stack.stats.stepInvocations['substrate-steps'] ?? 0;
    const id = await createResource(stack, project, catalog, rejected);

    const failed = await untilPhase(stack, id, 'Failed', 20_000);
    expect(phasesOf(failed)).toEqual(['Pending', 'Failed']);
    // Our code and our words: none of the cloud's (its error name, its message) reaches the tenant.
    expect(failed.provisioning.last_error).toEqual({ code: 'substrate_auth_failed', message: "The cloud did not accept the credential's keys." });
    expect(failed.provisioning.reason).toBe(
      `Provisioning failed in Pending: The cloud did not accept the credential's keys. Correlation id: ${id}-${failed.provisioning.generation}.`,
    );
    expect(JSON.stringify(failed)).not.toMatch(/AuthFailure|not able to validate|AKIAREJECTEDBYLOCAL00/);
    // A refusal is final: ApplySubstrate ran once (a transient error is retried five times).
    expect((stack.stats.stepInvocations['substrate-steps'] ?? 0) - applies).toBe(1);
    expect(instancesOf(id)).toEqual([]);
  });
});

describe('deleting a Failed Resource', () => {
  it('runs the teardown to Deleted and terminates the machine', async () => {
    const failed = await failedResource();
    const instanceId = failed.provisioning.substrate.instance_id as string;
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${failed.id}`)).status).toBe(202);
    const gone = await untilPhase(stack, failed.id, 'Deleted');
    expect(phasesOf(gone)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Failed', 'Deregistering', 'Deprovisioning', 'Deleted']);
    expect(gone.provisioning.generation).toBe(failed.provisioning.generation + 1);
    expect(instancesOf(failed.id)).toEqual([expect.objectContaining({ instanceId, state: 'terminated' })]);
  });

  it('answers a delete during the teardown with 202 and starts no second teardown', async () => {
    const failed = await failedResource();
    const started = stack.stats.executionsStarted();
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${failed.id}`)).status).toBe(202);
    expect((await stack.call('admin', 'DELETE', `/v1/resources/${failed.id}`)).status).toBe(202);
    // The second delete came while the teardown ran (it waits at least one poll for the machine to terminate).
    const during = await getResource(stack, failed.id);
    expect(['Deregistering', 'Deprovisioning']).toContain(during.provisioning.phase);

    const gone = await untilPhase(stack, failed.id, 'Deleted');
    expect(phasesOf(gone)).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Failed', 'Deregistering', 'Deprovisioning', 'Deleted']);
    expect(gone.provisioning.generation).toBe(failed.provisioning.generation + 1);
    expect(stack.stats.executionsStarted() - started).toBe(1);
  });
});
