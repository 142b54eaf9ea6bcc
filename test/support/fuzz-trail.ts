import { type AttributeValue, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { auditKeys, eventKeys } from '../../functions/adapters/dynamo/keys.ts';
import type { FuzzCase } from './fuzz-cases.ts';
import type { FuzzWorld } from './fuzz-world.ts';
import { stableJson } from './table-snapshot.ts';

// The refusal diff leaves audit entries and event counters out, since a refusal by someone with a
// role in the domain is audited by design. A stranger's is not (issue #14, item 5): for the cases
// sent by one tenant's principals at the other tenant's ids, that tenant's audit partition and
// event log must stay byte for byte as they were.

/** Refused families whose caller has no role in the domain it aims at, and which tenant that is. */
const STRANGER_FAMILIES: Record<string, 'ours' | 'theirs'> = {
  // The second tenant's admin, at our real ids.
  'path:ours-by-other-tenant': 'ours',
  // Our admin, at the second tenant's ids, domain (in a body or a filter) or list.
  'path:other-tenants-id': 'theirs',
  'body:other-tenants-id:domain_id': 'theirs',
  'query:domain_id:other-tenant': 'theirs',
  'query:cursor-of-another-domain-query': 'theirs',
};

export function strangerTarget(c: FuzzCase): 'ours' | 'theirs' | undefined {
  return c.refused ? STRANGER_FAMILIES[c.family] : undefined;
}

/** A tenant's audit partition, event log and event counters (its domain's and its project's), serialized. */
export async function domainTrail(world: FuzzWorld, tenant: 'ours' | 'theirs'): Promise<string[]> {
  const ids = tenant === 'ours' ? world.ids : world.otherIds;
  const domainId = ids.domains as string;
  const counter = eventKeys.counter(domainId);
  const client = new DynamoDBClient({ endpoint: world.stack.dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const read = async (pk: string, sk?: string): Promise<string[]> => {
      const items: string[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: world.stack.tableName,
            KeyConditionExpression: sk ? 'PK = :pk AND SK = :sk' : 'PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(sk && { ':sk': { S: sk } }) },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) items.push(stableJson(item));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    };
    const parts = await Promise.all([
      read(auditKeys.head(domainId).PK),
      read(eventKeys.partition(domainId)),
      read(counter.PK, counter.SK),
      read(eventKeys.projectCounter(ids.projects as string).PK),
    ]);
    return parts.flat();
  } finally {
    client.destroy();
  }
}

/** What a batch of strangers' refusals changed in a tenant's trail: items added (+) and gone or changed (-). */
export function trailChanges(before: string[], after: string[]): string[] {
  return [...after.filter((i) => !before.includes(i)).map((i) => `+ ${i.slice(0, 300)}`), ...before.filter((i) => !after.includes(i)).map((i) => `- ${i.slice(0, 300)}`)];
}
