import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Every item of the table, serialized and sorted: compare two snapshots to prove nothing was stored. */
export async function tableSnapshot(endpoint: string, tableName: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint });
  const items: string[] = [];
  let start: Record<string, any> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
    start = out.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items.sort();
}
