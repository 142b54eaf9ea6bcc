import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { detailLine, type Plexctl, signedInPlexctl } from '../support/plexctl.ts';
import { type Catalog, seededCatalog } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// Governed spend with plexctl alone: a deployer proposes terms, the credential's owner grants
// narrower ones, a dry run plans a create without storing anything, a Resource lives on a lease
// that can be extended up to the terms' ceiling and no further, and a revoke with teardown ends it.
let stack: TestStack;
let cli: Plexctl;
let catalog: Catalog;
const plexctl = (...argv: string[]) => cli.run(...argv);
const OPERATOR = ['--profile', 'operator'];

const json = (...argv: string[]) => cli.json(...argv);

const line = detailLine;

const HOUR = 3_600_000;

beforeAll(async () => {
  stack = await startTestStack({}, { heartbeatIntervalMs: 500 });
  cli = await signedInPlexctl(stack);
  catalog = await seededCatalog(stack);
});
afterAll(async () => {
  await stack?.close();
});

describe('governed spend with plexctl', () => {
  let projectId: string;
  let assignmentId: string;
  let resourceId: string;
  let createFlags: string[];

  it('a deployer proposes terms with the request; the owner grants narrower ones', async () => {
    projectId = (await json('project', 'create', '--domain', FIXTURES.domain.id, '--slug', 'governed', '--display-name', 'Governed')).id;
    createFlags = [
      '--project-id', projectId, '--kind', 'node', '--blueprint-version-id', catalog.versionId, '--cloud-credential-id', catalog.demoCredentialId,
    ];
    const requested = await json(
      'credential', 'assignment', 'request', '--project-id', projectId, '--cloud-credential-id', catalog.demoCredentialId,
      '--max-live', '5', '--max-lease', '7d', '--allow-version', catalog.versionId,
    );
    assignmentId = requested.id;
    expect(requested.proposed_terms).toEqual({ max_live_resources: 5, max_lease_seconds: 604_800, allowed_blueprint_version_ids: [catalog.versionId] });
    const shown = await plexctl('credential', 'assignment', 'get', assignmentId);
    expect(line(shown.stdout, 'Proposed terms')).toBe(`at most 5 live; leases up to 7d; versions ${catalog.versionId}`);
    expect(line(shown.stdout, 'Terms')).toBe('-');

    const approved = await plexctl(
      'credential', 'assignment', 'approve', assignmentId, '--max-live', '2', '--max-lease', '4h', '--reason', 'two will do', ...OPERATOR,
    );
    expect(approved.code, approved.stderr).toBe(EXIT.ok);
    expect(line(approved.stdout, 'State')).toBe('approved');
    expect(line(approved.stdout, 'Terms')).toBe(`at most 2 live; leases up to 4h; versions ${catalog.versionId}`);
    expect(line(approved.stdout, 'Live resources')).toBe('0 of 2');
    const granted = await json('credential', 'assignment', 'get', assignmentId);
    expect(granted.terms).toEqual({ max_live_resources: 2, max_lease_seconds: 14_400, allowed_blueprint_version_ids: [catalog.versionId] });
  });

  it('a dry run prints the plan and stores nothing; a refused one exits with its own code', async () => {
    const before = await tableSnapshot(stack.dynamoUrl, stack.tableName);
    const plan = await plexctl('resource', 'create', ...createFlags, '--lease', '2h', '--dry-run');
    expect(plan.code, plan.stderr).toBe(EXIT.ok);
    expect(plan.stdout).toContain('nothing was stored');
    expect(line(plan.stdout, 'Allowed')).toBe('yes');
    expect(line(plan.stdout, 'Quota')).toBe('0/2 live');
    expect(line(plan.stdout, 'Lease')).toMatch(/\(expires in (1h 59m|2h)\)$/);

    const wire = await json('resource', 'create', ...createFlags, '--lease', '2h', '--dry-run');
    expect(wire).toMatchObject({ allowed: true, reasons: [], quota: { limit: 2, live: 0 }, resource: { lease: { expires_at: expect.any(String) } } });

    const tooLong = await plexctl('resource', 'create', ...createFlags, '--lease', '5h', '--dry-run');
    expect(tooLong.code).toBe(EXIT.planRefused);
    expect(line(tooLong.stdout, 'Allowed')).toBe('no');
    expect(tooLong.stdout).toMatch(/^ {2}lease_beyond_terms: /m);
    expect(tooLong.stderr).toMatch(/^error: create_refused: .*lease_beyond_terms.*\n$/);
    expect(await tableSnapshot(stack.dynamoUrl, stack.tableName)).toEqual(before);
  });

  it('creates a Resource on a 2h lease; resource get shows the time left and the ceiling', async () => {
    const r = await json('resource', 'create', ...createFlags, '--lease', '2h');
    resourceId = r.id;
    const created = Date.parse(r.created_at);
    expect(Date.parse(r.lease.expires_at) - created).toBe(2 * HOUR);
    expect(Date.parse(r.lease.max_expires_at) - created).toBe(4 * HOUR);

    const shown = await plexctl('resource', 'get', resourceId);
    expect(shown.code, shown.stderr).toBe(EXIT.ok);
    expect(line(shown.stdout, 'Lease')).toMatch(new RegExp(`^${r.lease.expires_at} \\(expires in (1h 59m|2h)\\)$`));
    expect(line(shown.stdout, 'Lease ceiling')).toBe(r.lease.max_expires_at);
    const usage = await plexctl('credential', 'assignment', 'get', assignmentId);
    expect(line(usage.stdout, 'Live resources')).toBe('1 of 2');
  });

  it('extends the lease by an hour, and no further than the ceiling', async () => {
    const before = (await json('resource', 'get', resourceId)).lease;
    const extended = await plexctl('resource', 'extend', resourceId, '--by', '1h');
    expect(extended.code, extended.stderr).toBe(EXIT.ok);
    expect(extended.stdout).toMatch(/expires in (2h 59m|3h)/);
    const after = (await json('resource', 'get', resourceId)).lease;
    expect(Date.parse(after.expires_at) - Date.parse(before.expires_at)).toBe(HOUR);
    expect(after.max_expires_at).toBe(before.max_expires_at);

    const beyond = await plexctl('resource', 'extend', resourceId, '--by', '2h');
    expect(beyond.code).toBe(EXIT.usage);
    expect(beyond.stdout).toBe('');
    expect(beyond.stderr).toMatch(/^error: lease_beyond_terms: .* \(422\)\n$/);
    expect((await json('resource', 'get', resourceId)).lease).toEqual(after);
  });

  it('the owner narrows the terms, never widens them; a narrowed quota refuses the next create', async () => {
    const widen = await plexctl('credential', 'assignment', 'narrow', assignmentId, '--max-live', '3', ...OPERATOR);
    expect(widen.code).toBe(EXIT.usage);
    expect(widen.stderr).toMatch(/^error: terms_not_narrower: .* \(422\)\n$/);

    const narrowed = await json('credential', 'assignment', 'narrow', assignmentId, '--max-live', '1', ...OPERATOR);
    expect(narrowed.terms).toEqual({ max_live_resources: 1, max_lease_seconds: 14_400, allowed_blueprint_version_ids: [catalog.versionId] });
    const plan = await plexctl('resource', 'create', ...createFlags, '--dry-run');
    expect(plan.code).toBe(EXIT.planRefused);
    expect(line(plan.stdout, 'Quota')).toBe('1/1 live');
    expect(plan.stdout).toMatch(/^ {2}quota_exceeded: /m);
  });

  it('revoking with --teardown starts the teardown of the running Resource', async () => {
    const ready = await plexctl('resource', 'wait', resourceId, '--until', 'Ready', '--timeout', '60s');
    expect(ready.code, ready.stderr).toBe(EXIT.ok);
    const revoked = await plexctl('credential', 'assignment', 'revoke', assignmentId, '--reason', 'project closed', '--teardown', ...OPERATOR);
    expect(revoked.code, revoked.stderr).toBe(EXIT.ok);
    expect(line(revoked.stdout, 'State')).toBe('revoked');
    expect(revoked.stdout).toContain('torn down');

    const r = await json('resource', 'get', resourceId);
    expect(['Deregistering', 'Deprovisioning', 'Deleted']).toContain(r.provisioning.phase);
    expect(r.provisioning.reason_code).toBe('assignment_revoked');
    const shown = await plexctl('resource', 'get', resourceId);
    expect(line(shown.stdout, 'Reason code')).toBe('assignment_revoked');
  }, 90_000);
});
