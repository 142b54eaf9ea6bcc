// The audit trail from outside: every entry through the API, and an entry edited straight in the
// table behind the broker's back (what the chain must then notice).
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import { auditKeys } from '../../functions/adapters/dynamo/keys.ts';
import type { TestStack } from './stack.ts';

export interface ListedEntry {
  id: string;
  target: string;
  action: string;
  seq: number;
  prev_hash: string;
  hash: string;
}

/** Every entry of a domain's audit trail, read as the operator (its auditor), page after page. */
export async function auditEntries(stack: TestStack, domainId: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await stack.call('operator', 'GET', `/v1/domains/${domainId}/audit/entries?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status, page.text).toBe(200);
    entries.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return entries;
}

/** Changes one attribute of the domain's audit entry `seq` in the table, behind the broker's back. */
export async function tamperWithAuditEntry(stack: TestStack, domainId: string, seq: number, field: string, value: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint: stack.dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: stack.tableName,
        Key: marshall(auditKeys.entry(domainId, seq)),
        UpdateExpression: 'SET #f = :v',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: marshall({ ':v': value }),
      }),
    );
  } finally {
    client.destroy();
  }
}
