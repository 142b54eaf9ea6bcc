import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoAssignmentStore } from '../../../functions/adapters/assignment-store.ts';
import { DynamoAuditLog } from '../../../functions/adapters/audit-log.ts';
import type { Table } from '../../../functions/adapters/dynamo/table.ts';
import type { Assignment } from '../../../functions/core/assignments/assignment.ts';
import { newId } from '../../../functions/core/ids.ts';
import { type ConformanceSuite, suiteTable } from '../backend.ts';
import { AT, allPages, assignment, auditEntry, LATER, rejectionOf, sortedIds } from '../fixtures.ts';

const live = async (a: Assignment) => a.state === 'requested' || a.state === 'approved';
const HANDLE = { secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:c-AbCdEf', version_id: 'v-1' };

export const assignmentStoreSuite: ConformanceSuite = (backend) => {
  describe('assignment store', () => {
    let table: Table;
    let store: DynamoAssignmentStore;
    const fresh = suiteTable(backend, 'assignments');
    beforeAll(async () => {
      table = fresh();
      store = new DynamoAssignmentStore(table);
    });

    it('holds one live assignment per project and credential, naming the holder to a second request', async () => {
      const a = assignment();
      await store.create(a, live);
      expect(await store.get(a.id)).toEqual(a);
      expect(await store.findLive(a.project_id, a.cloud_credential_id)).toEqual(a);
      const twin = await rejectionOf(store.create(assignment({ project_id: a.project_id, cloud_credential_id: a.cloud_credential_id }), live));
      expect(twin).toMatchObject({ name: 'ConflictError', code: 'duplicate_live_assignment', extra: { existing_assignment_id: a.id } });
      // Another credential in the same project is another slot.
      await store.create(assignment({ project_id: a.project_id }), live);
    });

    it('decides with one conditional write: from the stated state, not by the requester, not after expiry', async () => {
      const a = assignment();
      await store.create(a, live);
      const bySelf = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: a.requested_by, at: AT, notRequestedBy: a.requested_by });
      expect(bySelf).toBeUndefined();
      const wrongState = await store.transition(a.id, { from: 'approved', to: 'revoked', decidedBy: a.credential_owner_id, at: AT });
      expect(wrongState).toBeUndefined();
      const afterExpiry = await store.transition(a.id, { from: 'requested', to: 'approved', decidedBy: a.credential_owner_id, at: LATER });
      expect(afterExpiry).toBeUndefined();

      const approved = await store.transition(a.id, {
        from: 'requested',
        to: 'approved',
        decidedBy: a.credential_owner_id,
        at: AT,
        reason: 'fine',
        handle: HANDLE,
        notRequestedBy: a.credential_owner_id,
      });
      expect(approved).toEqual({ ...a, state: 'approved', updated_at: AT, decided_at: AT, decided_by: a.credential_owner_id, decision_reason: 'fine', handle: HANDLE });
      expect(await store.findLive(a.project_id, a.cloud_credential_id)).toEqual(approved);
    });

    it('frees the slot when an assignment is decided for good, so a new request takes it', async () => {
      const a = assignment();
      await store.create(a, live);
      const rejected = await store.transition(a.id, { from: 'requested', to: 'rejected', decidedBy: a.credential_owner_id, at: AT });
      expect(rejected?.state).toBe('rejected');
      expect(await store.findLive(a.project_id, a.cloud_credential_id)).toBeUndefined();
      const next = assignment({ project_id: a.project_id, cloud_credential_id: a.cloud_credential_id });
      await store.create(next, live);
      expect(await store.findLive(a.project_id, a.cloud_credential_id)).toEqual(next);
    });

    it('expires an undecided request only once its time has come, and only once', async () => {
      const a = assignment({ expires_at: AT });
      await store.create(a, live);
      expect(await store.expire(a.id, '2026-05-31T23:59:59.000Z')).toBeUndefined();
      const expired = await store.expire(a.id, LATER);
      expect(expired).toEqual({ ...a, state: 'rejected', decision_reason: 'expired', decided_at: AT, updated_at: LATER });
      expect(await store.expire(a.id, LATER)).toBeUndefined();
      expect(await store.findLive(a.project_id, a.cloud_credential_id)).toBeUndefined();
    });

    it('lists a project’s assignments in pages, and a domain’s approvals queue filtered by visibility', async () => {
      const projectId = newId();
      const domainId = newId();
      const created = Array.from({ length: 5 }, () => assignment({ project_id: projectId, domain_id: domainId }));
      for (const a of created) await store.create(a, live);
      const pages = await allPages((page) => store.listByProject(projectId, page), 2);
      expect(pages.flat().map((a) => a.id)).toEqual(sortedIds(created));
      const visible = new Set(sortedIds(created).filter((_, i) => i % 2 === 1));
      const queue = await allPages((page) => store.listByDomain(domainId, page, async (a) => visible.has(a.id)), 1);
      expect(queue.flat().map((a) => a.id)).toEqual([...visible]);
    });
  });
};

export const auditLogSuite: ConformanceSuite = (backend) => {
  describe('audit log', () => {
    let log: DynamoAuditLog;
    const fresh = suiteTable(backend, 'audit');
    beforeAll(() => {
      log = new DynamoAuditLog(fresh());
    });

    it('keeps entries as written and lists a domain’s entries in pages, in id order', async () => {
      const domainId = newId();
      const entries = [auditEntry(domainId), auditEntry(domainId, { outcome: 'denied', reason: 'not yours' }), auditEntry(domainId)];
      for (const e of entries) await log.append(e);
      await log.append(auditEntry(newId()));
      const pages = await allPages((page) => log.list(domainId, page), 2);
      // As written, plus each entry's place in the chain (the audit chain suite checks those).
      const listed = pages.flat().map(({ seq: _seq, prev_hash: _prev, hash: _hash, ...written }) => written);
      expect(listed).toEqual([...entries].sort((a, b) => a.id.localeCompare(b.id)));
    });
  });
};
