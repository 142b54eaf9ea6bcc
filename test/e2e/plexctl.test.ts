import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type Plexctl, signedInPlexctl } from '../support/plexctl.ts';
import { approvedProject, createResource, issueCredential, seededCatalog } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// plexctl in process against a fresh stack: what a script sees (exit codes, one-line errors on
// stderr, JSON on stdout) and what a person sees (tables). The profiles are written with tokens
// minted for the seeded identities; the device-code login itself runs in the tutorial test.
let stack: TestStack;
let cli: Plexctl;
const plexctl = (...argv: string[]) => cli.run(...argv);

beforeAll(async () => {
  stack = await startTestStack({}, { heartbeatIntervalMs: 500 });
  cli = await signedInPlexctl(stack);
});
afterAll(async () => {
  await stack?.close();
});

describe('plexctl errors and exit codes', () => {
  it('refuses an unknown flag as a usage error, pointing at the help', async () => {
    const out = await plexctl('project', 'list', '--no-such-flag');
    expect(out.code).toBe(EXIT.usage);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n').at(-1)).toMatch(/^error: usage: .*no-such-flag.*\(see plexctl/);
  });

  it('will not delete a Resource without --yes', async () => {
    const out = await plexctl('resource', 'delete', '019100a0-0000-7000-8000-00000000dead');
    expect(out.code).toBe(EXIT.usage);
    expect(out.stderr).toContain('--yes');
  });

  it('says how to sign in when a profile has no session, and exits with the auth code', async () => {
    const out = await plexctl('whoami', '--profile', 'nobody');
    expect(out.code).toBe(EXIT.auth);
    expect(out.stderr).toMatch(/^error: .*plexctl login --profile-name nobody/);
  });

  it('maps a 403 to the auth exit code and shows the code on one line', async () => {
    // The domain admin may not read the platform catalog.
    const out = await plexctl('cloud', 'get', FIXTURES.cloud.id);
    expect(out.code).toBe(EXIT.auth);
    expect(out.stderr.trim()).toMatch(/^error: permission_denied: .* \(403\)$/);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('maps a 404 and a 409 to their own exit codes; with --output json stdout stays clean', async () => {
    const missing = await plexctl('resource', 'get', '019100a0-0000-7000-8000-00000000beef', '--output', 'json');
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error: \w+: .* \(404\)\n$/);

    const args = ['project', 'create', '--domain', FIXTURES.domain.id, '--slug', 'twice', '--display-name', 'Twice', '--output', 'json'];
    const first = await plexctl(...args);
    expect(first.code).toBe(EXIT.ok);
    expect(JSON.parse(first.stdout)).toMatchObject({ slug: 'twice', name: 'Twice', domain_id: FIXTURES.domain.id });
    const second = await plexctl(...args);
    expect(second.code).toBe(EXIT.conflict);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(/^error: \w+: .* \(409\)\n$/);
  });

  it('says plainly when the session has expired', async () => {
    cli.writeProfiles({ stale: { url: stack.url, token: 'x.y.z', token_expires_at: '2020-01-01T00:00:00Z', domain_id: FIXTURES.domain.id } });
    const out = await plexctl('whoami', '--profile', 'stale');
    expect(out.code).toBe(EXIT.auth);
    expect(out.stderr).toContain('expired');
    await cli.writeSignedInProfiles();
  });
});

describe('plexctl for people and for scripts', () => {
  it('prints a table by default and the wire form with --output json', async () => {
    const table = await plexctl('blueprint', 'get', FIXTURES.cloudlessBlueprint.id, '--profile', 'operator');
    expect(table.code).toBe(EXIT.ok);
    expect(table.stdout).toContain('kubernetes-cloudless-node');
    expect(table.stdout).toContain('v1alpha1');
    expect(() => JSON.parse(table.stdout)).toThrow();

    const wire = await plexctl('blueprint', 'get', FIXTURES.cloudlessBlueprint.id, '--profile', 'operator', '--output', 'json');
    const body = JSON.parse(wire.stdout);
    expect(body.versions[0]).toMatchObject({ version: 'v1alpha1', parameter_schema: [], id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('waits for a Resource with a timeline, and exits with the timeout code when the phase is not reached in time', async () => {
    const json = (...argv: string[]) => cli.json(...argv);
    const credentials = await json('cloud', 'credential', 'list', '--cloud-id', FIXTURES.cloud.id, '--profile', 'operator');
    const credentialId = credentials.items.find((c: { display_name: string }) => c.display_name === 'demo-credential').id;
    const versionId = (await json('blueprint', 'get', FIXTURES.cloudlessBlueprint.id, '--profile', 'operator')).versions[0].id;
    const project = await json('project', 'create', '--domain', FIXTURES.domain.id, '--slug', 'waiting', '--display-name', 'Waiting');
    const assignment = await json('credential', 'assignment', 'request', '--project-id', project.id, '--cloud-credential-id', credentialId);
    await json('approval', 'approve', assignment.id, '--profile', 'operator');
    const resource = await json(
      'resource', 'create', '--project-id', project.id, '--kind', 'node',
      '--blueprint-version-id', versionId, '--cloud-credential-id', credentialId, '--parameters', '{}',
    );

    const tooSoon = await plexctl('resource', 'wait', resource.id, '--until', 'Deleted', '--timeout', '1s');
    expect(tooSoon.code).toBe(EXIT.waitTimeout);

    const ready = await plexctl('resource', 'wait', resource.id, '--until', 'Ready', '--timeout', '60s');
    expect(ready.code, ready.stderr).toBe(EXIT.ok);
    const shown = `${ready.stdout}${ready.stderr}`;
    for (const phase of ['Pending', 'Provisioning', 'Enrolling', 'Ready']) expect(shown).toContain(phase);
    expect(shown.indexOf('Pending')).toBeLessThan(shown.indexOf('Enrolling'));
  }, 90_000);

  it('exits with the Failed code, and says why, when the Resource fails on the way', async () => {
    // A credential the cloud refuses: the launch is rejected and the Resource goes to Failed.
    const rejected = await issueCredential(stack, { access_key_id: 'AKIAREJECTEDBYLOCAL00', secret_access_key: 'not-a-key-the-local-ec2-accepts' });
    const projectId = await approvedProject(stack, rejected);
    const id = await createResource(stack, projectId, await seededCatalog(stack), rejected);
    const out = await plexctl('resource', 'wait', id, '--until', 'Ready', '--timeout', '60s');
    expect(out.code, out.stderr).toBe(EXIT.waitFailed);
    expect(out.stderr).toMatch(/Failed/);
    expect(out.stderr).toContain('substrate_auth_failed');
  }, 90_000);

  it('treats parameters the blueprint version refuses (422) as a usage error, naming the field', async () => {
    const catalog = await seededCatalog(stack);
    const projectId = await approvedProject(stack, catalog.demoCredentialId);
    const out = await plexctl(
      'resource', 'create', '--project-id', projectId, '--kind', 'node', '--blueprint-version-id', catalog.versionId,
      '--cloud-credential-id', catalog.demoCredentialId, '--parameters', '{"size": 3}', '--output', 'json',
    );
    expect(out.code, out.stderr).toBe(EXIT.usage);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^error: invalid_parameters: .*parameters\.size.* \(422\)\n$/);
  });
});
