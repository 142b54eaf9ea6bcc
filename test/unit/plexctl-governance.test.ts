import { describe, expect, it } from 'vitest';
import { type CreatePlanView, planDetails } from '../../cli/commands/leases.ts';
import { type ResourceView, resourceDetails } from '../../cli/commands/resources.ts';
import { liveUsage, overlay, termsText } from '../../cli/commands/terms.ts';
import { timeLeft } from '../../cli/duration.ts';
import { EXIT } from '../../cli/errors.ts';
import { detailLine, offlineConfigs, runCaptured } from '../support/plexctl.ts';

// plexctl's side of governed spend, without a broker: how leases, plans, terms and usage read, and
// what the lease, dry-run and terms commands send (against a fetch that answers like the broker).

const NOW = new Date('2030-01-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const ID = '019100a0-0000-7000-8000-000000000001';
const RUN = { provisioned_resource_id: '019100a0-0000-7000-8000-0000000000d1', generation: 1 };
const VERSION = '019100a0-0000-7000-8000-0000000000a1';
const OTHER_VERSION = '019100a0-0000-7000-8000-0000000000a2';

function resource(overrides: Partial<ResourceView> = {}): ResourceView {
  return {
    id: ID,
    project_id: '019100a0-0000-7000-8000-0000000000b1',
    domain_id: '019100a0-0000-7000-8000-0000000000c1',
    kind: 'node',
    origin: 'provisioned',
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    lease: { expires_at: at(2 * 3_600_000 - 60_000), max_expires_at: at(4 * 3_600_000) },
    provisioning: { ...RUN, phase: 'Ready', reason: 'Node enrolled.', transitions: [{ phase: 'Ready', at: NOW.toISOString() }] },
    ...overrides,
  };
}

const line = detailLine;

describe('lease and time left', () => {
  it('says how long is left, or how long ago it ran out', () => {
    expect(timeLeft(at(2 * 3_600_000 - 60_000), NOW)).toBe('expires in 1h 59m');
    expect(timeLeft(at(45_000), NOW)).toBe('expires in 45s');
    expect(timeLeft(at(7 * 86_400_000), NOW)).toBe('expires in 7d');
    expect(timeLeft(at(-3 * 60_000 - 10_000), NOW)).toBe('expired 3m ago');
  });

  it('resource get shows the lease end with the time left, its ceiling, and the reason code of a teardown', () => {
    const shown = resourceDetails(resource(), NOW);
    expect(line(shown, 'Lease')).toBe(`${at(2 * 3_600_000 - 60_000)} (expires in 1h 59m)`);
    expect(line(shown, 'Lease ceiling')).toBe(at(4 * 3_600_000));
    expect(line(shown, 'Reason code')).toBe('-');

    const tornDown = resource({
      lease: { expires_at: at(-3 * 60_000), max_expires_at: null },
      provisioning: { ...RUN, phase: 'Deregistering', reason: 'Lease ran out.', reason_code: 'lease_expired', transitions: [] },
    });
    const later = resourceDetails(tornDown, NOW);
    expect(line(later, 'Lease')).toBe(`${at(-3 * 60_000)} (expired 3m ago)`);
    expect(line(later, 'Lease ceiling')).toBe('none');
    expect(line(later, 'Reason code')).toBe('lease_expired');
  });

  it('shows no lease for an adopted Resource', () => {
    const shown = resourceDetails(resource({ origin: 'adopted', lease: undefined, provisioning: undefined }), NOW);
    expect(line(shown, 'Lease')).toBe('-');
    expect(line(shown, 'Lease ceiling')).toBe('-');
  });
});

describe('a dry run as people read it', () => {
  const plan = (over: Partial<CreatePlanView>): CreatePlanView =>
    ({ allowed: true, reasons: [], resource: resource(), quota: { limit: 3, live: 1 }, ...over }) as CreatePlanView;

  it('an allowed plan: yes, the quota as live/limit, the lease end', () => {
    const text = planDetails(plan({}), NOW);
    expect(text).toContain('nothing was stored');
    expect(line(text, 'Allowed')).toBe('yes');
    expect(line(text, 'Quota')).toBe('1/3 live');
    expect(line(text, 'Lease')).toContain('expires in 1h 59m');
    expect(text).not.toContain('Reasons:');
  });

  it('a refused plan: no, and every reason as code: message; no quota reads as "no limit"', () => {
    const text = planDetails(
      plan({
        allowed: false,
        quota: { limit: null, live: 4 },
        reasons: [
          { code: 'lease_beyond_terms', message: 'Too long.' },
          { code: 'blueprint_version_not_allowed', message: 'Not that one.' },
        ],
      }),
      NOW,
    );
    expect(line(text, 'Allowed')).toBe('no');
    expect(line(text, 'Quota')).toBe('4 live (no limit)');
    expect(text).toContain('Reasons:\n  lease_beyond_terms: Too long.\n  blueprint_version_not_allowed: Not that one.\n');
  });
});

describe('terms and usage as people read them', () => {
  it('names each limit, and says so when there is none', () => {
    expect(termsText({ max_live_resources: 5, max_lease_seconds: 604_800, allowed_blueprint_version_ids: [VERSION] })).toBe(
      `at most 5 live; leases up to 7d; versions ${VERSION}`,
    );
    expect(termsText({})).toBe('no limits');
  });

  it('shows live resources against the quota', () => {
    expect(liveUsage({ terms: { max_live_resources: 5 }, usage: { live_resources: 2 } })).toBe('2 of 5');
    expect(liveUsage({ usage: { live_resources: 2 } })).toBe('2 (no limit)');
  });

  it('overlays the limits given on the ones that stand, leaving the others', () => {
    expect(overlay({ max_live_resources: 5, max_lease_seconds: 86_400 }, { max_live_resources: 2 })).toEqual({
      max_live_resources: 2,
      max_lease_seconds: 86_400,
    });
    expect(overlay(undefined, { max_lease_seconds: 3600 })).toEqual({ max_lease_seconds: 3600 });
  });
});

interface Sent {
  method: string;
  url: string;
  body: unknown;
}

const offlineConfig = offlineConfigs('plexctl-governance-');

/** plexctl (argv as typed after `plexctl`) against a fetch answering with `answer`; what it sent and printed. */
async function offline(argv: string[], answer: (req: Sent) => { status?: number; body: unknown }) {
  const env = offlineConfig({ token: 't', token_expires_at: at(3_600_000) });
  const sent: Sent[] = [];
  const out = await runCaptured(argv, {
    env,
    now: () => NOW.getTime(),
    fetch: async (url, init) => {
      const req = { method: init?.method ?? 'GET', url, body: init?.body ? JSON.parse(String(init.body)) : undefined };
      sent.push(req);
      const { status = 200, body } = answer(req);
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  });
  return { ...out, sent };
}

const CREATE = ['resource', 'create', '--project-id', ID, '--kind', 'node', '--blueprint-version-id', VERSION, '--cloud-credential-id', ID];

describe('what the commands send', () => {
  it('resource create --lease sends lease_seconds; --dry-run asks with ?dry_run=true and exits 0 when allowed', async () => {
    const allowed = { allowed: true, reasons: [], resource: resource(), quota: { limit: null, live: 0 } };
    const out = await offline([...CREATE, '--lease', '2h', '--dry-run'], () => ({ body: allowed }));
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.sent).toHaveLength(1);
    expect(out.sent[0]?.url).toBe(`https://broker.test/v1/projects/${ID}/resources?dry_run=true`);
    expect(out.sent[0]?.body).toMatchObject({ origin: 'provisioned', lease_seconds: 7200 });
    expect(line(out.stdout, 'Allowed')).toBe('yes');
  });

  it('a refused dry run prints the plan (JSON as the broker sent it) and exits with its own code', async () => {
    const refused = {
      allowed: false,
      reasons: [{ code: 'quota_exceeded', message: 'Full.' }],
      resource: resource(),
      quota: { limit: 1, live: 1 },
    };
    const out = await offline([...CREATE, '--dry-run', '--output', 'json'], () => ({ body: refused }));
    expect(out.code).toBe(EXIT.planRefused);
    expect(JSON.parse(out.stdout)).toEqual(refused);
    expect(out.stderr).toBe('error: create_refused: the broker would refuse this create (quota_exceeded); nothing was stored\n');
  });

  it('refuses a malformed --lease before anything is sent', async () => {
    for (const lease of ['soon', '30s', '1500ms']) {
      const out = await offline([...CREATE, '--lease', lease], () => ({ body: {} }));
      expect(out.code).toBe(EXIT.usage);
      expect(out.stderr).toContain('--lease');
      expect(out.sent).toEqual([]);
    }
  });

  it('resource extend --by adds to the lease end read; --to sends the time given', async () => {
    const current = resource();
    // The broker's answer to the POST: the Resource with the lease end it was sent.
    const moved = (req: Sent) =>
      resource({ lease: { expires_at: (req.body as { expires_at: string }).expires_at, max_expires_at: at(4 * 3_600_000) } });
    const by = await offline(['resource', 'extend', ID, '--by', '1h'], (req) => ({ body: req.method === 'GET' ? current : moved(req) }));
    expect(by.code, by.stderr).toBe(EXIT.ok);
    expect(by.sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET https://broker.test/v1/resources/${ID}`,
      `POST https://broker.test/v1/resources/${ID}/lease`,
    ]);
    expect(by.sent[1]?.body).toEqual({ expires_at: at(3 * 3_600_000 - 60_000) });
    expect(by.stdout).toContain('expires in 2h 59m');

    const to = await offline(['resource', 'extend', ID, '--to', '2030-01-01T15:00:00Z'], () => ({ body: current }));
    expect(to.sent.map((r) => r.method)).toEqual(['POST']);
    expect(to.sent[0]?.body).toEqual({ expires_at: '2030-01-01T15:00:00Z' });
  });

  it('resource extend needs exactly one of --by and --to, and shows the broker refusal as it came', async () => {
    for (const flags of [[], ['--by', '1h', '--to', '2030-01-01T15:00:00Z'], ['--to', 'tomorrow']]) {
      const out = await offline(['resource', 'extend', ID, ...flags], () => ({ body: {} }));
      expect(out.code).toBe(EXIT.usage);
      expect(out.sent).toEqual([]);
    }
    const problem = { code: 'lease_beyond_terms', detail: 'Ends at X at the latest.', status: 422, max_expires_at: 'X' };
    const out = await offline(['resource', 'extend', ID, '--by', '9h'], (req) =>
      req.method === 'GET' ? { body: resource() } : { status: 422, body: problem },
    );
    expect(out.code).toBe(EXIT.usage);
    expect(out.stderr).toBe('error: lease_beyond_terms: Ends at X at the latest. (422)\n');
  });

  it('approve with terms flags reads the proposed terms and sends them with the flags laid over; without, no body', async () => {
    const proposed = {
      id: ID,
      state: 'requested',
      proposed_terms: { max_live_resources: 5, max_lease_seconds: 604_800 },
      usage: { live_resources: 0 },
    };
    const versions = ['--allow-version', VERSION, '--allow-version', OTHER_VERSION];
    const argv = ['credential', 'assignment', 'approve', ID, '--max-live', '2', ...versions, '--reason', 'ok'];
    const out = await offline(argv, () => ({ body: proposed }));
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.sent[1]).toMatchObject({ method: 'POST', url: `https://broker.test/v1/credential-assignments/${ID}/approve` });
    expect(out.sent[1]?.body).toEqual({
      terms: { max_live_resources: 2, max_lease_seconds: 604_800, allowed_blueprint_version_ids: [VERSION, OTHER_VERSION] },
      reason: 'ok',
    });

    const plain = await offline(['approval', 'approve', ID], () => ({ body: proposed }));
    expect(plain.sent).toEqual([{ method: 'POST', url: `https://broker.test/v1/approvals/${ID}/approve`, body: undefined }]);
  });

  it('narrow sends the current terms with the flags laid over, by PATCH', async () => {
    const NARROW = ['credential', 'assignment', 'narrow', ID];
    const approved = {
      id: ID,
      state: 'approved',
      terms: { max_live_resources: 2, max_lease_seconds: 14_400 },
      usage: { live_resources: 1 },
    };
    const out = await offline([...NARROW, '--max-lease', '2h'], () => ({ body: approved }));
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.sent[1]).toEqual({
      method: 'PATCH',
      url: `https://broker.test/v1/credential-assignments/${ID}`,
      body: { terms: { max_live_resources: 2, max_lease_seconds: 7200 } },
    });
    expect(line(out.stdout, 'Live resources')).toBe('1 of 2');

    const none = await offline(NARROW, () => ({ body: approved }));
    expect(none.code).toBe(EXIT.usage);
    const bad = await offline([...NARROW, '--max-live', 'two'], () => ({ body: approved }));
    expect(bad.stderr).toContain('--max-live');
    expect([...none.sent, ...bad.sent]).toEqual([]);
  });

  it('revoke --teardown says so in its body', async () => {
    const revoked = { id: ID, state: 'revoked', usage: { live_resources: 1 } };
    const out = await offline(['credential', 'assignment', 'revoke', ID, '--reason', 'closed', '--teardown'], () => ({ body: revoked }));
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.sent[0]?.body).toEqual({ reason: 'closed', teardown: true });
    expect(out.stdout).toContain('torn down');
  });
});
