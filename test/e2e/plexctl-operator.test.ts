import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../cli/http.ts';
import { EXIT } from '../../cli/errors.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { type Outcome, type Plexctl, signedInPlexctl } from '../support/plexctl.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The platform operator curates the catalog with plexctl alone: a Cloud, a credential whose
// material never comes back, a Blueprint version with a parameter schema, the audit trail. The
// domain admin is refused every catalog write; malformed flags cost no request at all.
let stack: TestStack;
let cli: Plexctl;
let files: string;
const plexctl = (...argv: string[]) => cli.run(...argv);
const OPERATOR = ['--profile', 'operator'];

const json = (...argv: string[]) => cli.json(...argv);

/** Runs a command whose requests are counted (and never reach the broker). */
async function offline(...argv: string[]): Promise<Outcome & { requests: number }> {
  let requests = 0;
  const fetch: FetchLike = async () => {
    requests++;
    throw new Error('no request was expected');
  };
  return { ...(await cli.runWith({ fetch }, ...argv)), requests };
}

function file(name: string, content: string): string {
  const path = join(files, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

// Recognisable material, so any echo of it (raw or base64) is caught.
const KEYS = { access_key_id: 'AKIAOPERATORTEST0001', secret_access_key: 'operator-e2e/SECRET+material-never-shown' };
const MATERIAL = JSON.stringify(KEYS);
const LEAKS = [KEYS.secret_access_key, KEYS.access_key_id, Buffer.from(MATERIAL).toString('base64')];

function expectNoSecret(...outcomes: Outcome[]) {
  for (const out of outcomes) for (const leak of LEAKS) expect(`${out.stdout}${out.stderr}`).not.toContain(leak);
}

beforeAll(async () => {
  stack = await startTestStack();
  cli = await signedInPlexctl(stack);
  files = mkdtempSync(join(tmpdir(), 'plexctl-operator-'));
});
afterAll(async () => {
  await stack?.close();
});

describe('the platform operator curates the catalog', () => {
  let cloudId: string;
  let credentialId: string;
  let blueprintId: string;

  it('registers a Cloud: the region becomes the endpoint and the default region', async () => {
    const cloud = await json(
      'cloud', 'create', ...OPERATOR, '--slug', 'operator-lab', '--display-name', 'Operator lab', '--provider', 'aws',
      '--external-id', '123456789012', '--region', 'eu-central-1', '--endpoint-url', 'http://127.0.0.1:4566',
    );
    expect(cloud).toMatchObject({
      slug: 'operator-lab',
      display_name: 'Operator lab',
      provider: 'aws',
      endpoint: { region: 'eu-central-1', url: 'http://127.0.0.1:4566' },
      region_defaults: { region: 'eu-central-1' },
      external_id: '123456789012',
    });
    cloudId = cloud.id;

    const shown = await plexctl('cloud', 'get', cloudId, ...OPERATOR);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toMatch(/^Slug:\s+operator-lab$/m);
    expect((await plexctl('cloud', 'list', ...OPERATOR)).stdout).toContain('operator-lab');

    const again = await plexctl('cloud', 'create', ...OPERATOR, '--slug', 'operator-lab', '--display-name', 'Twice', '--provider', 'aws', '--external-id', '1', '--region', 'eu-central-1');
    expect(again.code).toBe(EXIT.conflict);
    expect(again.stderr).toMatch(/^error: cloud_slug_conflict: .* \(409\)\n$/);
  });

  it('issues a credential from a payload file and never shows the material, not even on reading it back', async () => {
    const created = await plexctl(
      'cloud', 'credential', 'create', ...OPERATOR, '--cloud-id', cloudId, '--display-name', 'operator-keys', '--payload-file', file('keys.json', MATERIAL),
    );
    expect(created.code, created.stderr).toBe(EXIT.ok);
    expect(created.stdout).toContain('operator-keys');
    expect(created.stdout).toMatch(/^Status:\s+active$/m);

    const listed = await json('cloud', 'credential', 'list', '--cloud-id', cloudId, ...OPERATOR);
    expect(listed.items).toHaveLength(1);
    credentialId = listed.items[0].id;
    const readBack = [
      created,
      await plexctl('cloud', 'credential', 'get', credentialId, ...OPERATOR),
      await plexctl('cloud', 'credential', 'get', credentialId, ...OPERATOR, '--output', 'json'),
      await plexctl('cloud', 'credential', 'list', '--cloud-id', cloudId, ...OPERATOR, '--output', 'json'),
    ];
    for (const out of readBack) expect(out.code).toBe(EXIT.ok);
    expectNoSecret(...readBack);
    expect(Object.keys(JSON.parse(readBack[2]?.stdout ?? '{}')).sort()).toEqual(
      ['cloud_id', 'created_at', 'display_name', 'expires_at', 'id', 'owner_id', 'status', 'updated_at', 'version'].sort(),
    );
  });

  it('takes the material on stdin too, with an expiry', async () => {
    const expiresAt = '2099-01-31T00:00:00.000Z';
    const out = await cli.runWith(
      { stdin: Readable.from([Buffer.from(MATERIAL)]) },
      'cloud', 'credential', 'create', ...OPERATOR, '--cloud-id', cloudId, '--display-name', 'piped-keys', '--payload-stdin', '--expires-at', expiresAt, '--output', 'json',
    );
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expectNoSecret(out);
    expect(JSON.parse(out.stdout)).toMatchObject({ cloud_id: cloudId, display_name: 'piped-keys', status: 'active', expires_at: expiresAt, owner_id: FIXTURES.operator.id });
  });

  it('refuses material the cloud cannot use, without echoing it', async () => {
    const out = await plexctl(
      'cloud', 'credential', 'create', ...OPERATOR, '--cloud-id', cloudId, '--display-name', 'wrong', '--payload-file',
      file('wrong.json', JSON.stringify({ ...KEYS, region: 'nope' })),
    );
    expect(out.code).not.toBe(EXIT.ok);
    expect(out.stderr).toMatch(/^error: invalid_credential_payload: .*region/);
    expectNoSecret(out);
  });

  it('publishes a version with a parameter schema and reads it back with blueprint get', async () => {
    const blueprint = await json('blueprint', 'create', ...OPERATOR, '--slug', 'operator-vm', '--display-name', 'Operator VM', '--description', 'One machine');
    expect(blueprint).toMatchObject({ slug: 'operator-vm', display_name: 'Operator VM', description: 'One machine', status: 'active', versions: [] });
    blueprintId = blueprint.id;

    const schema = file(
      'params.json',
      JSON.stringify({
        parameters: [
          { name: 'size', type: 'integer', required: false, default: 2 },
          { name: 'label', type: 'string', required: true },
        ],
      }),
    );
    const published = await plexctl('blueprint', 'version', 'publish', blueprintId, ...OPERATOR, '--version', 'v1', '--parameter-schema-file', schema, '--provider-kinds', 'aws');
    expect(published.code, published.stderr).toBe(EXIT.ok);
    expect(published.stdout).toContain('size:integer?, label:string');

    const read = await json('blueprint', 'get', blueprintId, ...OPERATOR);
    expect(read.versions).toHaveLength(1);
    expect(read.versions[0]).toMatchObject({
      version: 'v1',
      provider_kinds: ['aws'],
      injection_strategy: 'cloud-init-user-data',
      parameter_schema: [
        { name: 'size', type: 'integer', required: false, default: 2 },
        { name: 'label', type: 'string', required: true },
      ],
    });
    const table = await plexctl('blueprint', 'get', blueprintId, ...OPERATOR);
    expect(table.stdout).toMatch(/v1\s+aws\s+cloud-init-user-data\s+size:integer\?, label:string/);

    const twice = await plexctl('blueprint', 'version', 'publish', blueprintId, ...OPERATOR, '--version', 'v1');
    expect(twice.code).toBe(EXIT.conflict);
    expect(twice.stderr).toMatch(/^error: blueprint_version_exists: /);
  });

  it('says clearly what is wrong with a malformed parameter schema file, and publishes nothing', async () => {
    const publish = (path: string) => offline('blueprint', 'version', 'publish', blueprintId, ...OPERATOR, '--version', 'v2', '--parameter-schema-file', path);

    const broken = file('broken.json', '{"parameters": [{"name": "size",');
    const notJson = await publish(broken);
    expect(notJson.code).toBe(EXIT.usage);
    expect(notJson.stderr).toMatch(new RegExp(`^error: usage: --parameter-schema-file: ${broken} is not valid JSON \\(.+\\) \\(see plexctl blueprint version publish --help\\)\\n$`));

    const wrong = await publish(
      file(
        'wrong.json',
        JSON.stringify({
          parameters: [
            { name: 'size', type: 'float', required: false },
            { name: 'zone', type: 'string', required: true, default: 'a' },
            { name: 'zone', type: 'string', required: false },
          ],
        }),
      ),
    );
    expect(wrong.code).toBe(EXIT.usage);
    expect(wrong.stderr).toContain('is not a parameter schema');
    expect(wrong.stderr).toContain('parameters.0.type');
    expect(wrong.stderr).toContain('parameters.1.default: a required parameter takes no default');
    expect(wrong.stderr).toContain('parameters.2.name: duplicates');

    const notAList = await publish(file('object.json', '{"size": "integer"}'));
    expect(notAList.code).toBe(EXIT.usage);
    expect(notAList.stderr).toContain('must be {"parameters": [...]} or a list of parameters');

    const missing = await publish(join(files, 'no-such.json'));
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('no such file');

    for (const out of [notJson, wrong, notAList, missing]) {
      expect(out.requests).toBe(0);
      expect(out.stdout).toBe('');
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await json('blueprint', 'get', blueprintId, ...OPERATOR)).versions).toHaveLength(1);
  });

  it('lists the audit trail after a credential assignment request', async () => {
    const project = await json('project', 'create', '--domain', FIXTURES.domain.id, '--slug', 'audited', '--display-name', 'Audited');
    const assignment = await json('credential', 'assignment', 'request', '--project-id', project.id, '--cloud-credential-id', credentialId);

    const trail = await json('audit', 'list', '--domain-id', FIXTURES.domain.id, ...OPERATOR);
    expect(trail.items).toContainEqual(
      expect.objectContaining({
        action: 'credential_assignment.request',
        target: assignment.id,
        actor_subject: FIXTURES.admin.id,
        outcome: 'succeeded',
        domain_id: FIXTURES.domain.id,
        correlation_id: expect.any(String),
      }),
    );

    const table = await plexctl('audit', 'list', '--domain-id', FIXTURES.domain.id, ...OPERATOR);
    expect(table.code).toBe(EXIT.ok);
    expect(table.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+REASON\s+CORRELATION ID$/);
    expect(table.stdout).toMatch(new RegExp(`${FIXTURES.admin.id}\\s+credential_assignment\\.request\\s+${assignment.id}\\s+succeeded`));

    // The domain admin reads it too; the profile's domain is the default.
    const own = await json('audit', 'list');
    expect(own.items.map((e: { target: string }) => e.target)).toContain(assignment.id);
    // One page at a time when asked.
    const page = await json('audit', 'list', '--limit', '1', ...OPERATOR);
    expect(page.items).toHaveLength(1);
  });

  it('revokes the credential only with --yes', async () => {
    const unconfirmed = await offline('cloud', 'credential', 'revoke', credentialId, ...OPERATOR, '--reason', 'rotated');
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(unconfirmed.stderr).toMatch(/^error: usage: .*--yes.* \(see plexctl cloud credential revoke --help\)\n$/);
    expect(unconfirmed.requests).toBe(0);
    expect((await json('cloud', 'credential', 'get', credentialId, ...OPERATOR)).status).toBe('active');

    const noReason = await offline('cloud', 'credential', 'revoke', credentialId, ...OPERATOR, '--yes');
    expect(noReason.code).toBe(EXIT.usage);
    expect(noReason.stderr).toContain('--reason');

    const revoked = await plexctl('cloud', 'credential', 'revoke', credentialId, ...OPERATOR, '--reason', 'rotated', '--yes');
    expect(revoked.code, revoked.stderr).toBe(EXIT.ok);
    expect(revoked.stdout).toMatch(/^Status:\s+revoked$/m);
    expectNoSecret(revoked);
    const read = await json('cloud', 'credential', 'get', credentialId, ...OPERATOR);
    expect(read).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
  });

  it('deletes a Cloud that never had a credential, with --yes, and keeps one that did', async () => {
    const empty = await json('cloud', 'create', ...OPERATOR, '--slug', 'short-lived', '--display-name', 'Short lived', '--provider', 'azure', '--external-id', 'sub-1');
    expect(empty).toMatchObject({ provider: 'azure', endpoint: {}, region_defaults: {} });

    const unconfirmed = await offline('cloud', 'delete', empty.id, ...OPERATOR);
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(unconfirmed.stderr).toContain('--yes');

    const deleted = await plexctl('cloud', 'delete', empty.id, ...OPERATOR, '--yes');
    expect(deleted.code, deleted.stderr).toBe(EXIT.ok);
    expect(deleted.stdout).toBe(`Deleted cloud ${empty.id}.\n`);
    expect((await plexctl('cloud', 'get', empty.id, ...OPERATOR)).code).toBe(EXIT.notFound);

    const kept = await plexctl('cloud', 'delete', cloudId, ...OPERATOR, '--yes');
    expect(kept.code).toBe(EXIT.conflict);
    expect(kept.stderr).toMatch(/^error: cloud_not_empty: /);
  });
});

describe('usage errors come before any request', () => {
  const CREDENTIAL = ['cloud', 'credential', 'create', ...OPERATOR, '--cloud-id', FIXTURES.cloud.id, '--display-name', 'x'];
  const CLOUD = ['cloud', 'create', ...OPERATOR, '--slug', 'ok', '--display-name', 'Ok', '--external-id', '1'];
  const PUBLISH = ['blueprint', 'version', 'publish', FIXTURES.cloudlessBlueprint.id, ...OPERATOR, '--version', 'v9'];
  const cases: Array<[string, () => string[], RegExp]> = [
    ['cloud create without --provider', () => CLOUD, /needs --provider <aws\|azure>/],
    ['an unknown provider', () => [...CLOUD, '--provider', 'gcp'], /--provider must be aws or azure, not "gcp"/],
    ['an aws Cloud without a region', () => [...CLOUD, '--provider', 'aws'], /an aws Cloud needs --region/],
    ['a slug with capitals', () => ['cloud', 'create', ...OPERATOR, '--slug', 'Not-Ok', '--display-name', 'x', '--external-id', '1', '--provider', 'azure'], /--slug must be lowercase/],
    ['an endpoint that is no http(s) URL', () => [...CLOUD, '--provider', 'aws', '--region', 'us-east-1', '--endpoint-url', 'file:///etc/passwd'], /--endpoint-url must be an http\(s\) URL/],
    ['a credential without material', () => CREDENTIAL, /--payload-file <path> or --payload-stdin \(never from the command line\)/],
    ['a credential with two sources of material', () => [...CREDENTIAL, '--payload-file', 'x', '--payload-stdin'], /not both/],
    ['a payload file that is not there', () => [...CREDENTIAL, '--payload-file', '/nonexistent/keys.json'], /--payload-file: cannot read \/nonexistent\/keys.json \(no such file\)/],
    ['an empty payload file', () => [...CREDENTIAL, '--payload-file', file('empty.json', '')], /is empty/],
    ['material too large for the broker', () => [...CREDENTIAL, '--payload-file', file('large.bin', 'x'.repeat(4000))], /4000 bytes; the broker takes at most 3072/],
    ['an expiry that is no timestamp', () => [...CREDENTIAL, '--payload-file', 'x', '--expires-at', 'tomorrow'], /--expires-at must be an RFC 3339 time/],
    ['an expiry in the past', () => [...CREDENTIAL, '--payload-file', 'x', '--expires-at', '2001-01-01T00:00:00Z'], /--expires-at must be in the future/],
    ['an unknown provider kind', () => [...PUBLISH, '--provider-kinds', 'aws,ibm'], /--provider-kinds must be aws, gcp, hetzner or openstack, not "ibm"/],
    ['a repeated provider kind', () => [...PUBLISH, '--provider-kinds', 'aws,aws'], /names aws twice/],
    ['an unknown injection strategy', () => [...PUBLISH, '--injection-strategy', 'carrier-pigeon'], /--injection-strategy must be cloud-init-user-data, helm-values or provider-secret/],
    ['a version without --version', () => ['blueprint', 'version', 'publish', FIXTURES.cloudlessBlueprint.id, ...OPERATOR], /needs --version <v>/],
    ['a blank display name', () => ['blueprint', 'create', ...OPERATOR, '--slug', 'blank', '--display-name', '  '], /--display-name must not be blank/],
    ['a blueprint without a slug', () => ['blueprint', 'create', ...OPERATOR, '--display-name', 'x'], /needs --slug <slug>/],
    ['a blueprint with a bad slug', () => ['blueprint', 'create', ...OPERATOR, '--slug', 'a--b', '--display-name', 'x'], /--slug must be/],
    ['audit list with a stray argument', () => ['audit', 'list', 'extra', ...OPERATOR], /takes no arguments/],
  ];
  it.each(cases)('%s', async (_what, argv, message) => {
    const out = await offline(...argv());
    expect(out.code, out.stderr).toBe(EXIT.usage);
    expect(out.requests).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^error: usage: .* \(see plexctl [a-z ]+ --help\)\n$/);
    expect(out.stderr).toMatch(message);
  });
});

describe('the domain admin may not write the catalog', () => {
  // The default profile is the domain admin.
  const writes: Array<[string, () => string[]]> = [
    ['cloud create', () => ['cloud', 'create', '--slug', 'admin-cloud', '--display-name', 'x', '--provider', 'aws', '--external-id', '1', '--region', 'us-east-1']],
    ['cloud delete', () => ['cloud', 'delete', FIXTURES.cloud.id, '--yes']],
    ['cloud credential create', () => ['cloud', 'credential', 'create', '--cloud-id', FIXTURES.cloud.id, '--display-name', 'x', '--payload-file', file('admin-keys.json', MATERIAL)]],
    ['cloud credential revoke', () => ['cloud', 'credential', 'revoke', '019100a0-0000-7000-8000-00000000c0de', '--reason', 'x', '--yes']],
    ['blueprint create', () => ['blueprint', 'create', '--slug', 'admin-blueprint', '--display-name', 'x']],
    ['blueprint version publish', () => ['blueprint', 'version', 'publish', FIXTURES.cloudlessBlueprint.id, '--version', 'v9']],
  ];
  it.each(writes)('%s exits with the permission code', async (_what, argv) => {
    const out = await plexctl(...argv());
    expect(out.code, out.stderr).toBe(EXIT.auth);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^error: permission_denied: .* \(403\)\n$/);
    expectNoSecret(out);
  });

  it('and nothing was written', async () => {
    expect((await json('cloud', 'get', FIXTURES.cloud.id, ...OPERATOR)).slug).toBe(FIXTURES.cloud.slug);
    const clouds = await json('cloud', 'list', ...OPERATOR);
    expect(clouds.items.map((c: { slug: string }) => c.slug)).not.toContain('admin-cloud');
    const blueprints = await json('blueprint', 'list', ...OPERATOR);
    expect(blueprints.items.map((b: { slug: string }) => b.slug)).not.toContain('admin-blueprint');
    const versions = (await json('blueprint', 'get', FIXTURES.cloudlessBlueprint.id, ...OPERATOR)).versions;
    expect(versions.map((v: { version: string }) => v.version)).not.toContain('v9');
  });
});
