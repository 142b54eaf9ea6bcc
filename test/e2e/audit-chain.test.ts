import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { auditEntries, type ListedEntry, tamperWithAuditEntry } from '../support/audit-trail.ts';
import { type Plexctl, signedInPlexctl } from '../support/plexctl.ts';
import { demoCredentialId } from '../support/resources.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

// The audit trail end to end: audited actions chain up, GET /v1/domains/{id}/audit/verify and
// `plexctl audit verify` find the chain whole; then one stored entry is changed straight in the
// table, as someone with table access could, and both name that entry.

const DOMAIN = FIXTURES.domain.id;
let stack: TestStack;
let plexctl: Plexctl;

beforeAll(async () => {
  stack = await startTestStack();
  plexctl = await signedInPlexctl(stack);
});
afterAll(async () => {
  await stack?.close();
});

describe('the audit chain', () => {
  let requestEntry: ListedEntry;

  it('chains audited actions and answers valid, with the head the last entry hashes to', async () => {
    const project = await stack.call('admin', 'POST', '/v1/projects', { domain_id: DOMAIN, name: 'Chained', slug: 'chained' });
    expect(project.status, project.text).toBe(201);
    const credentialId = await demoCredentialId(stack);
    const requested = await stack.call('admin', 'POST', `/v1/projects/${project.body.id}/credential-assignments`, { cloud_credential_id: credentialId });
    expect(requested.status, requested.text).toBe(201);
    // Refused (the requester deciding its own request), then approved: both are audited.
    expect((await stack.call('admin', 'POST', `/v1/credential-assignments/${requested.body.id}/approve`)).status).toBe(403);
    expect((await stack.call('operator', 'POST', `/v1/credential-assignments/${requested.body.id}/approve`)).status).toBe(200);

    const entries = await auditEntries(stack, DOMAIN);
    const mine = entries.filter((e) => e.target === requested.body.id);
    expect(mine.map((e) => e.action)).toEqual(['credential_assignment.request', 'credential_assignment.approve', 'credential_assignment.approve']);
    requestEntry = mine[0] as ListedEntry;
    const bySeq = [...entries].sort((a, b) => a.seq - b.seq);
    expect(bySeq.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));

    for (const who of ['admin', 'operator'] as const) {
      const verdict = await stack.call(who, 'GET', `/v1/domains/${DOMAIN}/audit/verify`);
      expect(verdict.status, verdict.text).toBe(200);
      expect(verdict.body).toEqual({ valid: true, entries: entries.length, head: bySeq.at(-1)?.hash });
    }
  });

  it('plexctl audit verify says valid and exits 0', async () => {
    const out = await plexctl.run('audit', 'verify', '--domain-id', DOMAIN, '--profile', 'operator');
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(out.stdout).toMatch(new RegExp(`^Audit chain of domain ${DOMAIN}: valid, \\d+ entries, head [0-9a-f]{64}\\n$`));
  });

  it('names the entry changed in the table: the API answers valid false, plexctl exits non-zero', async () => {
    await tamperWithAuditEntry(stack, DOMAIN, requestEntry.seq, 'actor_subject', FIXTURES.operator.id);

    const verdict = await stack.call('operator', 'GET', `/v1/domains/${DOMAIN}/audit/verify`);
    expect(verdict.status, verdict.text).toBe(200);
    expect(verdict.body).toMatchObject({ valid: false, first_broken: { id: requestEntry.id, reason: 'hash_mismatch' } });

    const human = await plexctl.run('audit', 'verify', '--domain-id', DOMAIN, '--profile', 'operator');
    expect(human.code).toBe(EXIT.auditBroken);
    expect(human.stdout).toContain(`BROKEN at entry ${requestEntry.id} (hash_mismatch:`);
    expect(human.stderr).toMatch(/^error: audit_chain_broken: /);

    const json = await plexctl.run('audit', 'verify', '--output', 'json');
    expect(json.code).toBe(EXIT.auditBroken);
    expect(JSON.parse(json.stdout)).toEqual(verdict.body);
  });
});
