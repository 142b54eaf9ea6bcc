import { afterAll, describe, expect, it } from 'vitest';
import { errorInfo, markFailed } from '../../functions/core/phase-steps/failure.ts';
import { awaitEnrolment, markReady } from '../../functions/core/phase-steps/provision.ts';
import type { Phase } from '../../functions/core/resources.ts';
import { fakeStepPorts, STORE_KINDS, seedResource as seed } from '../support/phase-fakes.ts';
import { input, phases, resume } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// The end of the provision run (awaitEnrolment, markReady) and markFailed, which ends any run that failed.
const ARC: Phase[] = ['Pending', 'Provisioning', 'Enrolling', 'Ready'];

afterAll(stopTableResources);

describe.each(STORE_KINDS)('awaitEnrolment (Enrolling) (%s store)', (kind) => {
  it('stores the task token and waits while the node has not heartbeated', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: undefined } });
    expect(await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-1' })).toEqual({ status: 'waiting', waiting_on: 'node-enrolment' });
    expect((await env.resources.at(r.id)).provisioning?.enrol_task_token).toBe('tt-1');
    expect(env.callbacks.succeeded).toEqual([]);
  });

  it('completes the wait at once for a node that enrolled before Enrolling began', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: at, last_heartbeat_at: at } });
    await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-2' });
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-2', output: { status: 'done' } }]);
  });

  it('does not count a revoked node as enrolled', async () => {
    const env = await fakeStepPorts(kind);
    const at = env.clock.now().toISOString();
    const r = await seed(env, 'Enrolling', { node: { first_heartbeat_at: at, revoked_at: at } });
    await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-3' });
    expect(env.callbacks.succeeded).toEqual([]);
  });

  it('closes the wait of a superseded run instead of leaving it open, and stores nothing', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { generation: 3 });
    expect(await awaitEnrolment(env.ports, { ...input(r, 2), task_token: 'tt-old' })).toEqual({ status: 'superseded' });
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-old', output: { status: 'superseded' } }]);
    expect((await env.resources.at(r.id)).provisioning?.enrol_task_token).toBeUndefined();
  });

  it('stores nothing for a run resumed between its read and its write, and closes its wait', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling');
    const get = env.resources.get.bind(env.resources);
    env.resources.get = async (id) => {
      const read = await get(id);
      env.resources.get = get;
      await resume(env, r);
      return read;
    };
    const refusedBefore = env.resources.refused;
    expect(await awaitEnrolment(env.ports, { ...input(r), task_token: 'tt-old' })).toEqual({ status: 'superseded' });
    expect(env.resources.refused).toBe(refusedBefore + 1);
    expect(env.callbacks.succeeded).toEqual([{ token: 'tt-old', output: { status: 'superseded' } }]);
    const after = await env.resources.at(r.id);
    expect(after.provisioning).toMatchObject({ phase: 'Enrolling', generation: 2 });
    expect(after.provisioning?.enrol_task_token).toBeUndefined();
  });
});

describe.each(STORE_KINDS)('markReady (Enrolling → Ready) (%s store)', (kind) => {
  it('moves to Ready saying which node, and clears the wait', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: { mesh_ip: '100.64.0.9' } });
    await env.resources.annotate(r.id, 1, { enrol_task_token: 'tt', waiting_on: 'node-enrolment' }, env.clock.now().toISOString());
    expect(await markReady(env.ports, input(r))).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(ARC);
    expect(after.provisioning?.reason).toBe(`Node ${r.node?.node_id} registered at 100.64.0.9 and is heartbeating.`);
    expect(after.provisioning?.enrol_task_token).toBeUndefined();
    expect(after.provisioning?.waiting_on).toBeUndefined();
  });

  it('refuses the write of an old generation (superseded)', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { generation: 2, node: {} });
    expect(await markReady(env.ports, input(r, 1))).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(r);
  });

  it('is superseded when the write itself is refused (a delete between the read and the write)', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling', { node: {} });
    const get = env.resources.get.bind(env.resources);
    env.resources.get = async (id) => {
      const read = await get(id);
      await env.resources.startRun(r.id, { expectedGeneration: 1, run: 'teardown', phase: 'Deregistering', fromPhases: ['Enrolling'], at: env.clock.now().toISOString(), reason: 'delete' });
      return read;
    };
    expect(await markReady(env.ports, input(r))).toEqual({ status: 'superseded' });
    expect(phases(await env.resources.at(r.id))).toEqual(['Pending', 'Provisioning', 'Enrolling', 'Deregistering']);
  });
});

describe.each(STORE_KINDS)('markFailed (→ Failed) (%s store)', (kind) => {
  it('records the error a step returned, with the phase it failed in', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Provisioning');
    const error = { code: 'substrate_lost', message: 'The instance is terminated.' };
    expect(await markFailed(env.ports, { ...input(r), error })).toEqual({ status: 'done' });
    const after = await env.resources.at(r.id);
    expect(phases(after)).toEqual(['Pending', 'Provisioning', 'Failed']);
    expect(after.provisioning).toMatchObject({ last_error: error, reason: 'Provisioning failed in Provisioning: The instance is terminated.' });
  });

  it('turns the enrolment wait timing out into enrolment_timeout', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Enrolling');
    await markFailed(env.ports, { ...input(r), cause: { Error: 'States.Timeout', Cause: 'Task timed out.' } });
    expect((await env.resources.at(r.id)).provisioning?.last_error).toEqual({ code: 'enrolment_timeout', message: 'The node did not register and heartbeat before the deadline.' });
  });

  it("reads only the code off a Lambda error cause (JSON) or a plain one, and answers our words for it", () => {
    // The step handler puts a broker error's code before its message; only the code comes back out.
    const coded = { errorType: 'SubstrateRejectedError', errorMessage: 'substrate_auth_failed: arn:aws:iam::123456789012:user/x said no' };
    const ours = { code: 'substrate_auth_failed', message: "The cloud did not accept the credential's keys." };
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: JSON.stringify(coded) })).toEqual(ours);
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: coded.errorMessage })).toEqual(ours);
    // Uncoded, or a code that is not one of a step's: internal_error, with none of the Cause's text.
    const internal = { code: 'internal_error', message: 'The broker failed while running this step; its log holds the details.' };
    expect(errorInfo({ Error: 'SubstrateRejectedError', Cause: JSON.stringify({ errorMessage: 'The cloud refused: AuthFailure' }) })).toEqual(internal);
    expect(errorInfo({ Error: 'TransientError', Cause: 'throttled' })).toEqual(internal);
    expect(errorInfo({ Error: 'Error', Cause: 'made_up_code: arn:aws:iam::123456789012:role/r' })).toEqual(internal);
    expect(errorInfo(undefined)).toEqual(internal);
    // A store's code for the credential's secret being gone is said in our words, without its ARN.
    expect(errorInfo({ Error: 'NotFoundError', Cause: 'secret_not_found: Secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:x was not found.' })).toEqual({
      code: 'credential_unavailable',
      message: "The cloud credential's stored material could not be read.",
    });
  });

  it("revokes the node's NSK and an unredeemed bootstrap token in the write that enters Failed", async () => {
    const env = await fakeStepPorts(kind);
    const bootstrap = { hash: 'h-token', issued_at: env.clock.now().toISOString(), expires_at: '2999-01-01T00:00:00.000Z' };
    const withNode = await env.resources.put({ ...(await seed(env, 'Enrolling', { node: {} })), bootstrap: { ...bootstrap, consumed_at: env.clock.now().toISOString() } });
    const withToken = await env.resources.put({ ...(await seed(env, 'Provisioning')), bootstrap });
    env.clock.advance(5);
    for (const r of [withNode, withToken]) {
      expect(await markFailed(env.ports, { ...input(r), error: { code: 'substrate_lost', message: 'The instance is terminated.' } })).toEqual({ status: 'done' });
    }
    const at = env.clock.now().toISOString();
    const node = await env.resources.at(withNode.id);
    expect(node.provisioning?.phase).toBe('Failed');
    expect(node.node?.revoked_at).toBe(at);
    // Redeemed already: it stays as it was (a redeemed token cannot be redeemed again).
    expect(node.bootstrap).toEqual({ ...bootstrap, consumed_at: withNode.bootstrap?.consumed_at });
    const token = await env.resources.at(withToken.id);
    expect(token.bootstrap?.revoked_at).toBe(at);
    expect(token.node).toBeUndefined();
  });

  it('says a teardown failed when it failed in a teardown phase', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deprovisioning');
    await markFailed(env.ports, { ...input(r), error: { code: 'terminate_timeout', message: 'Still not terminated.' } });
    expect((await env.resources.at(r.id)).provisioning?.reason).toBe('Teardown failed in Deprovisioning: Still not terminated.');
  });

  it('refuses the write of an old generation: a late failure of the provision run cannot fail a teardown', async () => {
    const env = await fakeStepPorts(kind);
    const r = await seed(env, 'Deregistering', { generation: 2 });
    expect(await markFailed(env.ports, { ...input(r, 1), error: { code: 'substrate_timeout', message: 'late' } })).toEqual({ status: 'superseded' });
    expect(await env.resources.at(r.id)).toEqual(r);
  });
});
