import { afterAll, describe, expect, it } from 'vitest';
import type { BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import { applySubstrate } from '../../functions/core/phase-steps/provision.ts';
import type { Resource } from '../../functions/core/resources.ts';
import { AWS_EC2_INSTANCE_TYPES } from '../../scripts/seed-catalog.ts';
import { fakeStepPorts, STORE_KINDS, seedResource } from '../support/phase-fakes.ts';
import { type Env, input, phases } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// The substrate step checks again, before it writes or launches anything, what admission checked:
// the stored parameters against the version's constraints and the Cloud as it is now, and the
// owner of an AMI the parameters chose. A refusal fails the run; nothing is launched.

afterAll(stopTableResources);

const AMAZON = '137112412989';
const STRANGER = '111111111111';

function version(): BlueprintVersion {
  return {
    id: '019100a0-3000-7000-8000-000000000001',
    blueprint_id: '019100a0-3100-7000-8000-000000000001',
    version: 'v1',
    provider_kinds: ['aws'],
    injection_strategy: 'cloud-init-user-data',
    parameter_schema: [
      { name: 'region', type: 'string', required: false, allowed_values_from: 'cloud_regions' },
      { name: 'instanceType', type: 'string', required: false, default: 't3.small', allowed_values: AWS_EC2_INSTANCE_TYPES },
      { name: 'ami', type: 'string', required: false, pattern: 'ami-[0-9a-f]{8,17}' },
      { name: 'ssmParameterName', type: 'string', required: false, pattern: '/aws/service(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)+' },
    ],
    template: JSON.stringify({ recipe: 'cloudless', allowed_image_owners: [AMAZON] }),
    created_at: '2026-03-01T00:00:00.000Z',
  };
}

/** A Pending Resource of the version whose parameters were written straight to the store, past the API. */
async function pendingWith(env: Env, parameters: Resource['parameters']): Promise<Resource> {
  const v = version();
  env.ports.catalog.getVersionById = async (id: string) => (id === v.id ? v : undefined);
  const seeded = await seedResource(env, 'Pending');
  return env.resources.put({ ...seeded, blueprint_id: v.blueprint_id, blueprint_version_id: v.id, parameters });
}

/** The step failed with `code` and left the Resource as it was: no token, no intent, no launch. */
async function expectRefused(env: Env, r: Resource, code: string): Promise<string> {
  const outcome = await applySubstrate(env.ports, input(r));
  expect(outcome).toMatchObject({ status: 'failed', error: { code } });
  expect(env.substrate.calls.filter((c) => c.op === 'launch')).toEqual([]);
  expect(env.substrate.machines).toEqual([]);
  expect(await env.resources.at(r.id)).toEqual(r);
  return outcome.status === 'failed' ? outcome.error.message : '';
}

describe.each(STORE_KINDS)('applySubstrate re-checks before it launches (%s store)', (kind) => {
  it('refuses an instance type off the allowlist stored on the Resource, without calling launch', async () => {
    const env = await fakeStepPorts(kind);
    const r = await pendingWith(env, { instanceType: 'p5.48xlarge' });
    expect(await expectRefused(env, r, 'invalid_parameters')).toContain('parameters.instanceType must be one of t3.micro');
    expect(env.substrate.calls).toEqual([]);
  });

  it("refuses a region the Cloud no longer allows (its regions are read when the step runs)", async () => {
    const env = await fakeStepPorts(kind);
    const r = await pendingWith(env, { region: 'us-east-1', instanceType: 't3.small' });
    expect(await expectRefused(env, r, 'invalid_parameters')).toContain("must be one of the cloud's regions (eu-west-1)");
    env.cloud.region_defaults = { allowed_regions: ['eu-west-1', 'us-east-1'] };
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect(env.substrate.calls.find((c) => c.op === 'launch')?.target).toMatchObject({ region: 'us-east-1' });
  });

  it('launches an AMI of an allowed owner, after asking the cloud who owns it', async () => {
    const env = await fakeStepPorts(kind);
    env.substrate.images.set('ami-0123456789abcdef0', AMAZON);
    const r = await pendingWith(env, { ami: 'ami-0123456789abcdef0', instanceType: 't3.small' });
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect(env.substrate.calls.map((c) => [c.op, c.ids])).toEqual([
      ['image', ['ami-0123456789abcdef0']],
      ['launch', undefined],
    ]);
    expect(phases(await env.resources.at(r.id))).toEqual(['Pending', 'Provisioning']);
  });

  it("refuses an AMI of another owner, or one the credential's account cannot see", async () => {
    const env = await fakeStepPorts(kind);
    env.substrate.images.set('ami-0badc0ffee0badc0f', STRANGER);
    const stranger = await pendingWith(env, { ami: 'ami-0badc0ffee0badc0f', instanceType: 't3.small' });
    const refused = await expectRefused(env, stranger, 'image_owner_not_allowed');
    expect(refused).toBe('Image ami-0badc0ffee0badc0f belongs to an account this blueprint version does not allow images of.');
    // No account id reaches the tenant: neither the image's owner nor the allowed ones.
    expect(refused).not.toContain(STRANGER);
    expect(refused).not.toContain(AMAZON);
    const unseen = await pendingWith(env, { ami: 'ami-0000000000000000f', instanceType: 't3.small' });
    expect(await expectRefused(env, unseen, 'image_owner_not_allowed')).toMatch(/not visible/);
  });

  it('asks no owner for an AWS public SSM parameter', async () => {
    const env = await fakeStepPorts(kind);
    const r = await pendingWith(env, { ssmParameterName: '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id' });
    expect(await applySubstrate(env.ports, input(r))).toEqual({ status: 'done' });
    expect(env.substrate.calls.map((c) => c.op)).toEqual(['launch']);
  });
});
