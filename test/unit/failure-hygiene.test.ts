import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ec2Substrate } from '../../functions/adapters/aws/ec2-substrate.ts';
import { AwsSubstrateResolver } from '../../functions/adapters/aws/substrate-resolver.ts';
import type { BlueprintVersion } from '../../functions/core/catalog/blueprints.ts';
import { markFailed } from '../../functions/core/phase-steps/failure.ts';
import { STEP_FAILURES, type StepFailureCode } from '../../functions/core/phase-steps/failure-codes.ts';
import { applySubstrate } from '../../functions/core/phase-steps/provision.ts';
import type { Resource } from '../../functions/core/resources.ts';
import type { Vault } from '../../functions/core/vault.ts';
import { createStepHandler } from '../../functions/shared/step-handler.ts';
import { type FakeStepEnv, fakeStepPorts, seedResource } from '../support/phase-fakes.ts';
import { input } from '../support/phase-steps.ts';
import { stopTableResources } from '../support/table-resources.ts';

// A failed run tells the tenant our code in our words; what the cloud (or a broken secret) said
// goes to the log with the run's correlation id, and a secret's text goes nowhere. The chain is the
// real one: the EC2 adapter, the step handler, the Cause as Lambda hands it to the Catch, markFailed.

afterAll(stopTableResources);

const ACCOUNT = '123456789012';
const ARN = `arn:aws:iam::${ACCOUNT}:user/provisioner`;
const SDK_TEXT = `You are not authorized to perform this operation. User: ${ARN} is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/*`;

let lines: string[];
let previousLevel: string | undefined;
beforeEach(() => {
  lines = [];
  const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  previousLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'debug';
});
afterEach(() => {
  vi.restoreAllMocks();
  if (previousLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = previousLevel;
});

/** An EC2 client whose every call fails as the SDK would with `name` and `message`. */
function refusingClient(name: string, message: string): EC2Client {
  const error = Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 403, requestId: 'req-7f3a' } });
  return { send: () => Promise.reject(error), destroy: () => undefined } as unknown as EC2Client;
}

/** Runs applySubstrate as its Lambda would, hands the thrown error to markFailed as the Catch's Cause, and answers the Resource. */
async function failThroughTheCatch(env: FakeStepEnv, r: Resource): Promise<Resource> {
  const handler = createStepHandler('substrate-steps', { 'apply-substrate': (i: never) => applySubstrate(env.ports, i) });
  const thrown = await handler({ step: 'apply-substrate', ...input(r) }).then(
    () => expect.unreachable('the step should fail'),
    (err: Error) => err,
  );
  // What the Node.js Lambda runtime serialises, and Step Functions passes on as the Cause.
  const cause = JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message, trace: thrown.stack?.split('\n') });
  expect(await markFailed(env.ports, { ...input(r), cause: { Error: thrown.name, Cause: cause } })).toEqual({ status: 'done' });
  return env.resources.at(r.id);
}

const correlationId = (r: Resource) => `${r.id}-${r.provisioning?.generation}`;

describe('a substrate refusal on the way to Failed', () => {
  it("leaves our code and words on the Resource, and the cloud's message, request id and correlation id in the log", async () => {
    const env = await fakeStepPorts('memory');
    env.ports.substrate = new Ec2Substrate({ newClient: () => refusingClient('UnauthorizedOperation', SDK_TEXT) }) as never;
    const r = await seedResource(env, 'Pending');

    const failed = await failThroughTheCatch(env, r);
    expect(failed.provisioning?.phase).toBe('Failed');
    expect(failed.provisioning?.last_error).toEqual({
      code: 'substrate_not_permitted',
      message: "The credential's keys may not do what provisioning needs in this cloud account.",
    });
    const shown = JSON.stringify({ last_error: failed.provisioning?.last_error, reason: failed.provisioning?.reason });
    expect(shown).not.toMatch(/arn:/);
    expect(shown).not.toMatch(/\d{12}/);
    expect(shown).not.toMatch(/UnauthorizedOperation|not authorized|ec2:RunInstances/);
    expect(failed.provisioning?.reason).toContain(`Correlation id: ${correlationId(r)}.`);

    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'step failed');
    expect(logged).toMatchObject({
      correlationId: correlationId(r),
      cloud_error: 'UnauthorizedOperation',
      cloud_message: SDK_TEXT,
      cloud_request_id: 'req-7f3a',
    });
  });

  it.each([
    ['AuthFailure', 'substrate_auth_failed'],
    ['InstanceLimitExceeded', 'substrate_quota_exceeded'],
    ['InvalidParameterValue', 'substrate_rejected_parameters'],
    ['SomethingNew', 'substrate_unavailable'],
    ['InsufficientInstanceCapacity', 'substrate_capacity'],
  ])('says %s as %s', async (name, code) => {
    const env = await fakeStepPorts('memory');
    env.ports.substrate = new Ec2Substrate({ newClient: () => refusingClient(name, `${name}: ${SDK_TEXT}`) }) as never;
    const failed = await failThroughTheCatch(env, await seedResource(env, 'Pending'));
    expect(failed.provisioning?.last_error?.code).toBe(code);
    expect(JSON.stringify(failed.provisioning)).not.toContain(ACCOUNT);
  });
});

describe('a vaulted credential that is not JSON', () => {
  it('fails the run as credential_unreadable, and neither the Resource nor the log holds its text', async () => {
    const env = await fakeStepPorts('memory');
    const broken: Vault = { ...env.ports.vault, read: async () => ({ value: 'not-json-SECRETMARKER', versionId: 'v1' }) };
    env.ports.vault = broken;
    env.ports.substrateResolvers = { aws: new AwsSubstrateResolver(broken) };
    const r = await seedResource(env, 'Pending');

    const failed = await failThroughTheCatch(env, r);
    expect(failed.provisioning?.last_error?.code).toBe('credential_unreadable');
    expect(JSON.stringify(failed)).not.toContain('SECRETMARKER');
    expect(lines.some((l) => l.includes('step failed'))).toBe(true);
    expect(lines.join('\n')).not.toContain('SECRETMARKER');
  });

  it('says nothing of a payload that decodes to something other than the keys', async () => {
    const env = await fakeStepPorts('memory');
    const envelope = { format: 'plexsphere.cloud-credential.v1', payload: Buffer.from('{"access_key_id": SECRETMARKER').toString('base64'), key_values: {} };
    const broken: Vault = { ...env.ports.vault, read: async () => ({ value: JSON.stringify(envelope), versionId: 'v1' }) };
    env.ports.vault = broken;
    env.ports.substrateResolvers = { aws: new AwsSubstrateResolver(broken) };
    const failed = await failThroughTheCatch(env, await seedResource(env, 'Pending'));
    expect(failed.provisioning?.last_error?.code).toBe('credential_unreadable');
    expect(`${JSON.stringify(failed)}\n${lines.join('\n')}`).not.toContain('SECRETMARKER');
  });
});

describe('a run the substrate resolver refuses', () => {
  /** A Pending Resource of a version whose template is `template`. */
  async function resourceOf(env: FakeStepEnv, template: object): Promise<Resource> {
    const at = env.clock.now().toISOString();
    const version: BlueprintVersion = {
      id: '019100a0-1000-7000-8000-0000000000f1',
      blueprint_id: '019100a0-1100-7000-8000-0000000000f1',
      version: '1',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: [],
      template: JSON.stringify(template),
      created_at: at,
    };
    env.ports.catalog = { ...env.ports.catalog, getVersionById: async (id: string) => (id === version.id ? version : undefined) };
    return env.resources.put({ ...(await seedResource(env, 'Pending')), blueprint_version_id: version.id });
  }

  it.each([
    ['plexd_unpinned', { recipe: 'plexd-download', plexd_url: 'https://downloads.example.com/plexd' }],
    ['insecure_endpoint', { recipe: 'plexd-download', plexd_url: 'http://downloads.example.com/plexd', plexd_sha256: 'ab'.repeat(32) }],
    ['plexd_url_invalid', { recipe: 'plexd-download', plexd_url: 'not a url', plexd_sha256: 'ab'.repeat(32) }],
  ])('fails as %s in our words, naming no URL', async (code, template) => {
    const env = await fakeStepPorts('memory');
    const failed = await failThroughTheCatch(env, await resourceOf(env, template));
    expect(failed.provisioning?.last_error).toEqual({ code, message: STEP_FAILURES[code as StepFailureCode] });
    expect(JSON.stringify(failed.provisioning)).not.toContain('downloads.example.com');
    expect(env.substrate.machines).toEqual([]);
  });

  it('fails as insecure_endpoint when the stored cloud endpoint is http and the stack does not allow it', async () => {
    const env = await fakeStepPorts('memory');
    const httpCloud = { ...env.cloud, endpoint: { region: 'eu-west-1', url: 'http://ec2.fake' } };
    env.ports.catalog = { ...env.ports.catalog, getCloud: async (id: string) => (id === httpCloud.id ? httpCloud : undefined) };
    const failed = await failThroughTheCatch(env, await seedResource(env, 'Pending'));
    expect(failed.provisioning?.last_error).toEqual({ code: 'insecure_endpoint', message: STEP_FAILURES.insecure_endpoint });
    expect(env.substrate.machines).toEqual([]);
  });
});
