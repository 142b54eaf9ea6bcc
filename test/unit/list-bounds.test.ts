import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { listReadBudget, Table } from '../../functions/adapters/dynamo/table.ts';
import { listApprovals } from '../../functions/core/assignments/approvals.ts';
import type { AssignmentPorts } from '../../functions/core/assignments/use-cases.ts';
import type { AuthzSubject } from '../../functions/core/authz/model.ts';
import { ForbiddenError } from '../../functions/core/errors.ts';

// Lists read a bounded number of items per page whatever their filter keeps, and a queue of a
// domain the caller has no role in is refused before anything of it is read.

const PARTITION = 'DOMAIN#d#APPROVALS';
const Row = z.object({ id: z.string() });

/** A list index partition of `count` items, answering Query like DynamoDB (in key order, Limit, LastEvaluatedKey), counting every item it hands out. */
function fakeIndex(count: number) {
  const ids = Array.from({ length: count }, (_, i) => `item-${i.toString().padStart(6, '0')}`);
  const counter = { read: 0, queries: 0 };
  const client = {
    async send(command: { input: { ExpressionAttributeValues: Record<string, string>; Limit: number } }) {
      const { ExpressionAttributeValues: values, Limit } = command.input;
      const after = values[':after'];
      const rest = after === undefined ? ids : ids.filter((id) => id > after);
      const batch = rest.slice(0, Limit);
      counter.read += batch.length;
      counter.queries++;
      const more = rest.length > batch.length;
      return {
        Items: batch.map((id) => ({ GSI1PK: PARTITION, GSI1SK: id, id })),
        ...(more && { LastEvaluatedKey: { GSI1PK: PARTITION, GSI1SK: batch[batch.length - 1] } }),
      };
    },
  };
  return { table: new Table('fake', client as unknown as DynamoDBDocumentClient), counter, ids };
}

describe('a filtered list page', () => {
  it('stops after its read budget when the filter keeps nothing, with a cursor after the last item read', async () => {
    const { table, counter, ids } = fakeIndex(10_000);
    const page = await table.listPage(PARTITION, Row, { limit: 50, filter: () => false });
    expect(page.items).toEqual([]);
    expect(counter.read).toBe(listReadBudget(50));
    expect(page.lastId).toBe(ids[listReadBudget(50) - 1]);
  });

  it('reads on from the cursor, each item once, until the partition ends without one', async () => {
    const { table, counter, ids } = fakeIndex(10_000);
    const last = ids[ids.length - 1];
    const found: string[] = [];
    let afterId: string | undefined;
    let pages = 0;
    do {
      const page = await table.listPage(PARTITION, Row, { limit: 10, filter: (r) => r.id === last, ...(afterId && { afterId }) });
      found.push(...page.items.map((r) => r.id));
      expect(counter.read).toBeLessThanOrEqual((pages + 1) * listReadBudget(10));
      afterId = page.lastId;
      pages++;
    } while (afterId);
    expect(found).toEqual([last]);
    expect(counter.read).toBe(ids.length);
    expect(pages).toBe(ids.length / listReadBudget(10));
  });

  it('still fills a page from the first items when the filter keeps them', async () => {
    const { table, counter, ids } = fakeIndex(10_000);
    const page = await table.listPage(PARTITION, Row, { limit: 3 });
    expect(page).toEqual({ items: ids.slice(0, 3).map((id) => ({ id })), lastId: ids[2] });
    expect(counter.read).toBe(4);
  });
});

describe('the approvals queue of a domain', () => {
  const DOMAIN = '019100a0-0a00-7000-8000-00000000d001';
  const subject = (roles: Partial<AuthzSubject>): AuthzSubject => ({
    userId: '019100a0-0c00-7000-8000-00000000d0ff',
    domainId: '019100a0-0a00-7000-8000-00000000d0ee',
    platformOperator: false,
    adminOf: [],
    auditorOf: [],
    mayOwnIn: [],
    ...roles,
  });

  /** Ports that record every read of the queue or the projects behind it. */
  function recordingPorts() {
    const reads: string[] = [];
    const ports = {
      assignments: {
        listByDomain: async (domainId: string) => {
          reads.push(`queue ${domainId}`);
          return { items: [] };
        },
      },
      tenancy: {
        getProject: async (id: string) => {
          reads.push(`project ${id}`);
          return undefined;
        },
      },
      authorizer: { decide: async () => ({ allowed: true }) },
      clock: { now: () => new Date('2026-06-01T00:00:00Z') },
    } as unknown as AssignmentPorts;
    return { ports, reads };
  }

  it('is refused (403 out_of_scope) to a caller with no role in it, and nothing of it is read', async () => {
    const { ports, reads } = recordingPorts();
    for (const stranger of [subject({}), subject({ adminOf: ['019100a0-0a00-7000-8000-00000000d002'] }), subject({ platformOperator: true })]) {
      const refused = listApprovals(ports, stranger, { domainId: DOMAIN }, { limit: 50 });
      await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
      await expect(refused).rejects.toMatchObject({ code: 'permission_denied', extra: { reason: 'out_of_scope' } });
    }
    // Without domain_id the caller's own domain is meant: the same rule.
    await expect(listApprovals(ports, subject({}), {}, { limit: 50 })).rejects.toBeInstanceOf(ForbiddenError);
    expect(reads).toEqual([]);
  });

  it('is read for any role in the domain', async () => {
    const { ports, reads } = recordingPorts();
    for (const roles of [{ adminOf: [DOMAIN] }, { auditorOf: [DOMAIN] }, { mayOwnIn: [DOMAIN] }]) {
      await expect(listApprovals(ports, subject(roles), { domainId: DOMAIN }, { limit: 50 })).resolves.toEqual({ items: [] });
    }
    expect(reads).toEqual([`queue ${DOMAIN}`, `queue ${DOMAIN}`, `queue ${DOMAIN}`]);
  });
});
