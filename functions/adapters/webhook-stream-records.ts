// The table's change stream as the dispatch function receives it (DynamoDB Streams through a Lambda
// event source mapping, or the embedded stack's change feed, which hands over the same shape):
// records of inserted event items, filtered to `Keys.PK` starting with `EVENTS#`, with NEW_IMAGE.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { type DomainEvent, DomainEventSchema } from '../core/events/event.ts';
import { eventKeys } from './dynamo/keys.ts';
import { entityOf } from './dynamo/table.ts';

/** The part of a stream record the dispatcher reads (the rest of AWS's shape passes through unread). */
export const StreamRecordSchema = z.looseObject({
  eventName: z.string(),
  dynamodb: z.looseObject({
    Keys: z.record(z.string(), z.unknown()),
    NewImage: z.record(z.string(), z.unknown()).optional(),
    SequenceNumber: z.string().optional(),
  }),
});
export type StreamRecord = z.infer<typeof StreamRecordSchema>;

/** The filter the event source mapping applies (infra), and the embedded feed's too. */
export const EVENT_ITEM_PREFIX = eventKeys.partition('');

/** The event an inserted event item holds; undefined for any other record (a filter let it through, or an older shape). */
export function eventOfRecord(record: StreamRecord): DomainEvent | undefined {
  const pk = (record.dynamodb.Keys.PK as { S?: unknown } | undefined)?.S;
  if (record.eventName !== 'INSERT' || typeof pk !== 'string' || !pk.startsWith(EVENT_ITEM_PREFIX) || !record.dynamodb.NewImage)
    return undefined;
  const parsed = DomainEventSchema.safeParse(entityOf(unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>)));
  return parsed.success ? parsed.data : undefined;
}
