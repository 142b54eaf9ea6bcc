// The domains' fan-out cursors and the list the sweep reads, on the single table (keys in
// dynamo/keys.ts). A cursor only moves forward: a worker that fanned out the events after the
// value it read may set any higher value, since the events up to it were fanned out too.
import * as z from 'zod';
import type { FanOutCursors } from '../core/webhooks/webhook.ts';
import type { Table } from './dynamo/table.ts';
import { DOMAIN_MARK_PREFIX, webhookKeys } from './dynamo/keys.ts';

const CursorSchema = z.object({ seq: z.number().int().nonnegative() });
const MarkSchema = z.object({ domain_id: z.string() });

export class DynamoFanOutCursors implements FanOutCursors {
  constructor(private readonly table: Table) {}

  async read(domainId: string): Promise<number | undefined> {
    return (await this.table.get(webhookKeys.cursor(domainId), CursorSchema))?.seq;
  }

  async advance(domainId: string, to: number): Promise<boolean> {
    const moved = await this.table.update({
      Key: webhookKeys.cursor(domainId),
      UpdateExpression: 'SET seq = :to, domain_id = :domain',
      ConditionExpression: 'attribute_not_exists(seq) OR seq < :to',
      ExpressionAttributeValues: { ':to': to, ':domain': domainId },
    });
    return moved !== undefined;
  }

  async register(domainId: string, fromSeq: number): Promise<number> {
    const [cursor] = await Promise.all([
      this.table.update({
        Key: webhookKeys.cursor(domainId),
        UpdateExpression: 'SET seq = if_not_exists(seq, :from), domain_id = :domain',
        ExpressionAttributeValues: { ':from': fromSeq, ':domain': domainId },
      }),
      this.table.put({ ...webhookKeys.domainMark(domainId), domain_id: domainId }),
    ]);
    return CursorSchema.parse(cursor).seq;
  }

  async domains(): Promise<string[]> {
    return (await this.table.queryPartition(webhookKeys.domainsPartition, DOMAIN_MARK_PREFIX, MarkSchema)).map((m) => m.domain_id);
  }
}
