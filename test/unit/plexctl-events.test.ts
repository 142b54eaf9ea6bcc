import { describe, expect, it } from 'vitest';
import { backoffMs, type EventPageBody, type EventSource, followEvents, MAX_BACKOFF_MS } from '../../cli/commands/event-follow.ts';
import { eventLine, eventSummary } from '../../cli/commands/event-lines.ts';
import { AuthError, EXIT } from '../../cli/errors.ts';
import { ApiClient, USER_AGENT } from '../../cli/http.ts';
import { type DomainEvent, EVENT_TYPES } from '../../functions/core/events/event.ts';
import { offlineConfigs, runCaptured } from '../support/plexctl.ts';

// plexctl events without a broker: how an event reads on one line, and how a follow behaves when
// the broker goes away, fails, or ends the session (against a fetch that answers like the broker);
// and what the typed client under every plexctl call sends, and makes of failures.

const DOMAIN = '019100a0-0a00-7000-8000-000000000001';
const PROJECT = '019100a0-0000-7000-8000-0000000000b1';
const RESOURCE = '019100a0-0000-7000-8000-0000000000c1';
const USER = '019100a0-0c00-7000-8000-000000000002';

function event(seq: number, type: DomainEvent['type'] = 'resource.phase_changed', data: Record<string, unknown> = {}, over: Partial<DomainEvent> = {}): DomainEvent {
  return {
    id: `019100a0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    type,
    at: '2030-01-01T12:00:00.123Z',
    domain_id: DOMAIN,
    project_id: PROJECT,
    subject: { kind: 'resource', id: RESOURCE },
    data,
    ...over,
  };
}

describe('one event, one line', () => {
  it('shows time (to the second), seq, type, subject, actor and the gist, separated by two spaces', () => {
    const line = eventLine(event(42, 'resource.phase_changed', { from: 'Pending', phase: 'Provisioning', reason: 'Launching the machine.' }));
    expect(line).toBe(
      `2030-01-01T12:00:00Z  #42       resource.phase_changed    resource/${RESOURCE}  broker  Pending → Provisioning: Launching the machine.`,
    );
    const byUser = eventLine(event(7, 'resource.created', { kind: 'node', origin: 'provisioned', phase: 'Pending' }, { actor: { kind: 'user', id: USER } }));
    expect(byUser).toContain(`  user/${USER}  node; provisioned; phase Pending`);
  });

  it('says why a phase changed: the error first, then the reason code, then the reason', () => {
    const failed = { from: 'Provisioning', phase: 'Failed', reason: 'x', reason_code: 'y', error: { code: 'substrate_error', message: 'no capacity' } };
    expect(eventSummary({ type: 'resource.phase_changed', data: failed })).toBe('Provisioning → Failed: substrate_error: no capacity');
    expect(eventSummary({ type: 'resource.phase_changed', data: { from: 'Ready', phase: 'Deregistering', reason: 'x', reason_code: 'lease_expired' } })).toBe(
      'Ready → Deregistering: lease_expired',
    );
  });

  it('sums up every event type the broker writes', () => {
    const terms = { max_live_resources: 1, max_lease_seconds: 3600 };
    const samples: Record<DomainEvent['type'], [Record<string, unknown>, string]> = {
      'resource.created': [{ kind: 'node', origin: 'provisioned', phase: 'Pending' }, 'node; provisioned; phase Pending'],
      'resource.phase_changed': [{ from: 'Enrolling', phase: 'Ready', reason: 'Node enrolled.' }, 'Enrolling → Ready: Node enrolled.'],
      'resource.deleted': [{ origin: 'adopted' }, 'adopted; deleted'],
      'resource.create_refused': [{ code: 'quota_exceeded', limit: 1, live: 1 }, 'quota_exceeded; limit 1; live 1'],
      'resource.lease_set': [{ expires_at: '2030-01-02T00:00:00Z' }, 'expires 2030-01-02T00:00:00Z'],
      'resource.lease_extended': [{ from: 'A', expires_at: 'B' }, 'expires B; was A'],
      'resource.lease_expiring': [{ expires_at: 'B' }, 'expires B'],
      'resource.lease_expired': [{ expires_at: 'B' }, 'expired B'],
      'assignment.requested': [{ cloud_credential_id: 'C', proposed_terms: terms }, 'credential C; proposed: at most 1 live; leases up to 1h'],
      'assignment.approved': [{ state: 'approved', terms, reason: 'ok' }, 'terms: at most 1 live; leases up to 1h; reason "ok"'],
      'assignment.rejected': [{ state: 'rejected', reason: 'not now' }, 'reason "not now"'],
      'assignment.revoked': [{ state: 'revoked', reason: 'budget spent' }, 'reason "budget spent"'],
      'assignment.expired': [{ state: 'rejected', reason: 'expired' }, 'expired undecided'],
      'assignment.terms_changed': [{ from: terms, terms: { max_live_resources: 0 } }, 'terms: at most 1 live; leases up to 1h → at most 0 live'],
      'project.owner_changed': [{ from: 'U1', to: 'U2' }, 'owner U1 → U2'],
    };
    expect(Object.keys(samples).sort()).toEqual([...EVENT_TYPES].sort());
    for (const [type, [data, summary]] of Object.entries(samples)) expect(eventSummary({ type: type as DomainEvent['type'], data }), type).toBe(summary);
  });

  it('says an approval without terms grants no limits, and a decision without a reason what it was', () => {
    expect(eventSummary({ type: 'assignment.approved', data: { state: 'approved' } })).toBe('terms: no limits');
    expect(eventSummary({ type: 'assignment.revoked', data: { state: 'revoked' } })).toBe('revoked');
  });

  it('shows a type it does not know by its plain fields, and cuts a long summary to one line', () => {
    const newer = { type: 'resource.renamed', data: { name: 'web-1', size: 2, nested: { a: 1 } } } as unknown as DomainEvent;
    expect(eventSummary(newer)).toBe('name=web-1 size=2');
    const long = eventSummary({ type: 'assignment.rejected', data: { reason: 'x'.repeat(300) } });
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
  });
});

type Outcome = 'page' | 'network' | number;

/** A broker holding `log`: each poll answers the next scripted outcome (a page once the script runs out). */
function fakeBroker(log: DomainEvent[], script: Outcome[] = []) {
  const asked: number[] = [];
  const urls: string[] = [];
  const fetch = async (url: string) => {
    const q = new URL(url).searchParams;
    const after = Number(q.get('after_seq'));
    asked.push(after);
    urls.push(url);
    const next = script.shift() ?? 'page';
    if (next === 'network') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (next !== 'page') {
      return new Response(JSON.stringify({ status: next, code: next === 401 ? 'token_expired' : `http_${next}`, detail: 'no' }), { status: next });
    }
    const items = log.filter((e) => e.seq > after).slice(0, Number(q.get('limit') ?? 50));
    const page: EventPageBody = { items, next_after_seq: items.at(-1)?.seq ?? after };
    return new Response(JSON.stringify(page), { status: 200 });
  };
  return { fetch, asked, urls };
}

const client = (fetch: (url: string) => Promise<Response>) =>
  new ApiClient({ baseUrl: 'http://broker.test', token: 't', fetch, onUnauthenticated: () => new AuthError('your session has expired') });
const SOURCE: EventSource = { path: '/v1/domains/{id}/events', id: DOMAIN, query: { limit: 2 } };

/** Follows `broker` with a recording sleep that runs `during(n)` in the n-th wait; stops once `until` events were printed. */
async function follow(broker: ReturnType<typeof fakeBroker>, during: (wait: number) => void, until: number) {
  const printed: number[] = [];
  const notes: string[] = [];
  const sleeps: number[] = [];
  const stop = new AbortController();
  const last = followEvents(client(broker.fetch), SOURCE, {
    afterSeq: 0,
    limit: 2,
    intervalMs: 1000,
    signal: stop.signal,
    sleep: async (ms) => {
      sleeps.push(ms);
      during(sleeps.length);
      if (printed.length >= until) stop.abort();
    },
    print: (events) => printed.push(...events.map((e) => e.seq)),
    note: (text) => notes.push(text),
  });
  return { last: await last, printed, notes, sleeps };
}

describe('following', () => {
  it('after a network error and two 503s it resumes after the last event printed: nothing twice, nothing missed', async () => {
    const log = [event(1), event(2), event(3)];
    const broker = fakeBroker(log, ['page', 'page', 'network', 503, 503]);
    // Two events are written while the broker is away.
    const out = await follow(broker, (wait) => wait === 1 && log.push(event(4), event(5)), 5);
    expect(out.printed).toEqual([1, 2, 3, 4, 5]);
    expect(out.last).toBe(5);
    // A full page is read on at once; the failed polls ask again from seq 3, with a doubling delay.
    expect(broker.asked).toEqual([0, 2, 3, 3, 3, 3, 5]);
    expect(out.sleeps).toEqual([1000, 1000, 2000, 4000, 1000]);
    expect(out.notes.filter((n) => n.includes('reconnecting in'))).toHaveLength(3);
    expect(out.notes.at(-1)).toBe('events: reconnected; resuming after seq 3');
  });

  it('slows down a little while nothing happens, and speeds up again when events come', async () => {
    const log: DomainEvent[] = [];
    const broker = fakeBroker(log);
    const out = await follow(broker, (wait) => wait === 5 && log.push(event(1)), 1);
    expect(out.sleeps).toEqual([1000, 1500, 2250, 3000, 3000, 1000]);
    expect(out.printed).toEqual([1]);
  });

  it('ends at once on a 401 or a 403, which another try would not change', async () => {
    for (const status of [401, 403]) {
      const broker = fakeBroker([event(1)], [status]);
      await expect(follow(broker, () => undefined, 1)).rejects.toMatchObject(status === 401 ? { message: 'your session has expired' } : { status: 403 });
      expect(broker.asked).toEqual([0]);
    }
  });
});

const offlineConfig = offlineConfigs('plexctl-events-');

/** plexctl against the fake broker, with instant sleeps; what it printed and its exit code. */
function offline(argv: string[], fetch: (url: string) => Promise<Response>) {
  const env = offlineConfig({ token: 't', token_expires_at: new Date(Date.now() + 3_600_000).toISOString(), domain_id: DOMAIN });
  return runCaptured(argv, { env, sleep: async () => undefined, fetch });
}

describe('plexctl events', () => {
  it("reads one page of the profile's domain, and says where the next starts", async () => {
    const broker = fakeBroker([event(1), event(2), event(3)]);
    const out = await offline(['events', '--limit', '2'], broker.fetch);
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.stdout.trim().split('\n')).toEqual([eventLine(event(1)), eventLine(event(2)), 'More: repeat with --after-seq 2']);
    const rest = await offline(['events', '--after-seq', '2', '-o', 'json'], broker.fetch);
    expect(JSON.parse(rest.stdout)).toEqual({ items: [event(3)], next_after_seq: 3 });
  });

  it('refuses a bad flag before sending anything', async () => {
    const broker = fakeBroker([]);
    for (const argv of [
      ['events', '--type', 'resource.exploded'],
      ['events', '--after-seq', '-1'],
      ['events', '--limit', '0'],
      ['events', '--domain-id', DOMAIN, '--project-id', PROJECT],
      ['events', '--interval', '2s'],
    ]) {
      const out = await offline(argv, broker.fetch);
      expect(out.code, argv.join(' ')).toBe(EXIT.usage);
      expect(out.stderr, argv.join(' ')).toMatch(/^error: usage: /);
    }
    expect(broker.asked).toEqual([]);
  });

  it('--follow prints JSON lines, and an expired session ends it with the usual message', async () => {
    const broker = fakeBroker([event(1), event(2), event(3)], ['page', 'page', 401]);
    const out = await offline(['events', '--follow', '--limit', '2', '--type', 'resource.phase_changed,resource.created', '-o', 'json'], broker.fetch);
    expect(out.code).toBe(EXIT.auth);
    expect(out.stdout.trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);
    expect(out.stderr).toMatch(/error: your session for profile default has expired; run plexctl login/);
    expect(new URL(broker.urls[0] as string).searchParams.get('type')).toBe('resource.phase_changed,resource.created');
  });
});

describe('reconnect delays', () => {
  it('double from the interval and stop at the ceiling', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20, 1000)).toBe(MAX_BACKOFF_MS);
  });
});

describe('the typed broker client plexctl calls through', () => {
  const sent: Array<{ url: string; init: RequestInit | undefined }> = [];
  const answering = (res: () => Response) => async (url: string, init?: RequestInit) => {
    sent.push({ url, init });
    return res();
  };

  it('sends its user agent and bearer token, fills typed path templates, and sends a list query as one value', async () => {
    const api = new ApiClient({ baseUrl: 'http://broker.test/', token: 't', fetch: answering(() => Response.json({ items: [], next_after_seq: 0 })) });
    const types = ['resource.created', 'resource.deleted'] as const;
    const res = await api.GET('/v1/domains/{id}/events', { params: { path: { id: 'a b/c' }, query: { type: [...types], limit: 5, after_seq: 0 } } });
    expect(res).toMatchObject({ status: 200, body: { items: [], next_after_seq: 0 } });
    const last = sent.at(-1);
    expect(last?.url).toBe('http://broker.test/v1/domains/a%20b%2Fc/events?type=resource.created,resource.deleted&limit=5&after_seq=0');
    expect(last?.init?.headers).toMatchObject({ 'user-agent': USER_AGENT, authorization: 'Bearer t', accept: 'application/json' });
    expect(last?.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('turns refusals into ApiError with the problem (or the status) and its exit code; a 401 into the session message', async () => {
    const problem = new ApiClient({ baseUrl: 'http://broker.test', fetch: answering(() => Response.json({ code: 'resource_not_found', detail: 'No such resource.' }, { status: 404 })) });
    await expect(problem.GET('/v1/resources/{id}', { params: { path: { id: 'r' } } })).rejects.toMatchObject({
      code: 'resource_not_found',
      message: 'No such resource.',
      status: 404,
      exitCode: EXIT.notFound,
    });
    const html = new ApiClient({ baseUrl: 'http://broker.test', fetch: answering(() => new Response('<h1>Bad gateway</h1>', { status: 502 })) });
    await expect(html.GET('/v1/auth/whoami')).rejects.toMatchObject({ code: 'http_502', message: '<h1>Bad gateway</h1>', exitCode: EXIT.other });
    const expired = new ApiClient({
      baseUrl: 'http://broker.test',
      fetch: answering(() => Response.json({ code: 'token_expired', detail: 'Expired.' }, { status: 401 })),
      onUnauthenticated: (err) => new AuthError(`session over (${err.code})`),
    });
    await expect(expired.GET('/v1/auth/whoami')).rejects.toMatchObject({ message: 'session over (token_expired)', exitCode: EXIT.auth });
  });

  it('says plainly when the broker cannot be reached or does not answer in time', async () => {
    const down = new ApiClient({
      baseUrl: 'http://broker.test',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      },
    });
    await expect(down.GET('/v1/auth/whoami')).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('cannot reach the broker at http://broker.test (ECONNREFUSED); is it running (npm start)?'),
    });
    const silent = new ApiClient({
      baseUrl: 'http://broker.test',
      timeoutMs: 20,
      fetch: (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
    });
    // The timeout's timer does not hold the process open; this one does, until the answer comes.
    const hold = setTimeout(() => undefined, 5_000);
    await expect(silent.GET('/v1/auth/whoami')).rejects.toMatchObject({ code: 'timeout', message: 'the broker at http://broker.test did not answer in time' });
    clearTimeout(hold);
  });
});
