import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Substrate, type LaunchSpec, type SubstrateTarget } from '../../../functions/adapters/aws/ec2-substrate.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type Machine, PROJECT_TAG, RESOURCE_TAG, SubstrateRejectedError } from '../../../functions/core/substrate.ts';
import { waitFor } from '../../support/wait.ts';
import type { ConformanceSuite } from '../backend.ts';
import { rejectionOf } from '../fixtures.ts';

const USER_DATA = '#cloud-config\nwrite_files:\n  - path: /etc/plexd/bootstrap-token\n    content: conformance-token\n';

export const ec2SubstrateSuite: ConformanceSuite = (backend) => {
  describe('EC2 substrate', () => {
    let substrate: Ec2Substrate;
    let target: SubstrateTarget;
    let raw: EC2Client;
    const spec = (resourceId: string, overrides: Partial<LaunchSpec> = {}): LaunchSpec => ({
      clientToken: `plexsphere-${newId()}`,
      imageId: 'ami-0123456789abcdef0',
      instanceType: 't3.micro',
      userData: USER_DATA,
      tags: { [RESOURCE_TAG]: resourceId, [PROJECT_TAG]: 'conformance' },
      ...overrides,
    });
    const describeOne = async (instanceId: string): Promise<Instance> => {
      const out = await raw.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (!instance) throw new Error(`${instanceId} not described`);
      return instance;
    };
    const untilState = (resourceId: string, state: Machine['state']) =>
      waitFor(
        async () => {
          const machines = await substrate.findByResource(target, resourceId);
          return machines.length > 0 && machines.every((m) => m.state === state) ? machines : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50, what: `machines of ${resourceId} to be ${state}` },
      );

    beforeAll(() => {
      const b = backend();
      target = { region: b.region, endpoint: b.ec2Endpoint, credentials: b.ec2Credentials };
      substrate = new Ec2Substrate();
      raw = new EC2Client({ region: b.region, endpoint: b.ec2Endpoint, credentials: b.ec2Credentials });
    });
    afterAll(() => raw.destroy());

    it('launches a tagged machine with IMDSv2 required, pending at first, then running', async () => {
      const resourceId = newId();
      const launch = spec(resourceId);
      const machine = await substrate.launch(target, launch);
      expect(machine.instanceId).toMatch(/^i-[0-9a-f]{8,17}$/);
      expect(machine.state).toBe('pending');
      const [running] = await untilState(resourceId, 'running');
      expect(running?.instanceId).toBe(machine.instanceId);

      const described = await describeOne(machine.instanceId);
      expect(described.ImageId).toBe(launch.imageId);
      expect(described.InstanceType).toBe('t3.micro');
      expect(described.ClientToken).toBe(launch.clientToken);
      expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual(launch.tags);
      expect(described.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
    });

    it('answers a retried launch (same ClientToken, same request) with the same machine, as AWS documents', async () => {
      const resourceId = newId();
      const launch = spec(resourceId);
      const first = await substrate.launch(target, launch);
      const retry = await substrate.launch(target, launch);
      const found = await substrate.findByResource(target, resourceId);
      if (backend().name === 'moto') {
        // moto 5.2 ignores ClientToken: the retry starts a second instance. AWS (RunInstances,
        // "Ensuring idempotency") returns the instance of the first request; our emulator does.
        expect(retry.instanceId).not.toBe(first.instanceId);
        expect(found).toHaveLength(2);
      } else {
        expect(retry.instanceId).toBe(first.instanceId);
        expect(found.map((m) => m.instanceId)).toEqual([first.instanceId]);
      }
    });

    it('refuses the same ClientToken with other parameters for good (IdempotentParameterMismatch)', async () => {
      const resourceId = newId();
      const launch = spec(resourceId);
      const first = await substrate.launch(target, launch);
      const changed = substrate.launch(target, { ...launch, instanceType: 't3.small' });
      if (backend().name === 'moto') {
        // moto 5.2 has no IdempotentParameterMismatch (it ignores ClientToken): a second instance starts.
        expect((await changed).instanceId).not.toBe(first.instanceId);
      } else {
        const error = await rejectionOf(changed);
        expect(error).toBeInstanceOf(SubstrateRejectedError);
        expect(error).toMatchObject({ code: 'internal_error' });
      }
    });

    it('terminates through shutting-down to terminated, keeps terminated machines findable, and ignores unknown ids', async () => {
      const resourceId = newId();
      const machine = await substrate.launch(target, spec(resourceId));
      await untilState(resourceId, 'running');
      await substrate.terminate(target, [machine.instanceId]);
      const after = await substrate.findByResource(target, resourceId);
      expect(['shutting-down', 'terminated']).toContain(after[0]?.state);
      await untilState(resourceId, 'terminated');
      // A second terminate, an empty list and an id that never existed are all fine.
      await substrate.terminate(target, [machine.instanceId]);
      await substrate.terminate(target, []);
      await substrate.terminate(target, ['i-0123456789abcdef0']);
      expect(await substrate.findByResource(target, newId())).toEqual([]);
    });

    it('refuses keys the account does not know for good (AuthFailure)', async () => {
      const stranger = { ...target, credentials: { accessKeyId: 'AKIANOTKNOWNANYWHERE', secretAccessKey: 'wrong' } };
      const attempt = substrate.launch(stranger, spec(newId()));
      if (backend().name === 'moto') {
        // moto does not authenticate by default: any keys are an account. AWS answers AuthFailure,
        // and so does our emulator for anything but the demo credential's keys.
        expect((await attempt).instanceId).toMatch(/^i-/);
      } else {
        const error = await rejectionOf(attempt);
        expect(error).toBeInstanceOf(SubstrateRejectedError);
        expect(error).toMatchObject({ code: 'substrate_auth_failed' });
      }
    });
  });
};
