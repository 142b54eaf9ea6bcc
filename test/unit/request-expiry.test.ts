import { describe, expect, it } from 'vitest';
import type { Assignment, AssignmentStore } from '../../functions/core/assignments/assignment.ts';
import { expireRequest } from '../../functions/core/assignments/request-expiry.ts';
import { assignment } from '../conformance/fixtures.ts';
import { RecordingLeaseTimers } from '../support/lease-fakes.ts';

// A request's expiry timer acts on what is stored: early, it re-arms; due, it expires the request
// (one conditional write, which carries the event); decided or gone, it does nothing.

const NOW = new Date('2026-03-01T12:00:00.000Z');

function world(stored: Assignment | undefined) {
  const expired: string[] = [];
  const assignments = {
    get: async () => stored,
    expire: async (id: string, at: string) => {
      if (stored?.state !== 'requested' || Date.parse(stored.expires_at) > Date.parse(at)) return undefined;
      expired.push(id);
      stored = { ...stored, state: 'rejected', decision_reason: 'expired' };
      return stored;
    },
  } as Partial<AssignmentStore> as AssignmentStore;
  const leases = new RecordingLeaseTimers();
  return { ports: { assignments, leases, clock: { now: () => NOW } }, expired, leases };
}

describe('a request expiry timer firing', () => {
  it('expires an undecided request whose time has come, once', async () => {
    const a = assignment({ state: 'requested', expires_at: '2026-03-01T11:59:59.000Z' });
    const w = world(a);
    expect(await expireRequest(w.ports, a.id)).toBe('expired');
    expect(await expireRequest(w.ports, a.id)).toBe('nothing_to_do');
    expect(w.expired).toEqual([a.id]);
  });

  it('re-arms for the stored time when it fires early', async () => {
    const a = assignment({ state: 'requested', expires_at: '2026-03-01T13:00:00.000Z' });
    const w = world(a);
    expect(await expireRequest(w.ports, a.id)).toBe('rearmed');
    expect(w.leases.requests).toEqual([{ assignmentId: a.id, at: new Date(a.expires_at) }]);
    expect(w.expired).toEqual([]);
  });

  it('does nothing for a decided or missing request', async () => {
    const decided = assignment({ state: 'approved', expires_at: '2026-03-01T11:00:00.000Z' });
    expect(await expireRequest(world(decided).ports, decided.id)).toBe('nothing_to_do');
    expect(await expireRequest(world(undefined).ports, decided.id)).toBe('nothing_to_do');
  });
});
