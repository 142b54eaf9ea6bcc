import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** Every item of the table, serialized and sorted: compare two snapshots to prove nothing was stored. */
export async function tableSnapshot(endpoint: string, tableName: string): Promise<string[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const items: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) items.push(stableJson(item));
    start = out.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items.sort();
}

/**
 * The same without the trails a refusal leaves by design: the audit trail, and a refused create's
 * event (with the domain's and the project's event counters it moved). Any other event still shows.
 */
export async function tableSnapshotButAudit(endpoint: string, tableName: string): Promise<string[]> {
  return (await tableSnapshot(endpoint, tableName)).filter((item) => !isAuditItem(item) && !isRefusalTrail(item));
}

function isAuditItem(item: string): boolean {
  return item.startsWith('{"GSI1PK":{"S":"AUDIT#') || item.includes('"PK":{"S":"AUDIT#');
}

function isRefusalTrail(item: string): boolean {
  const refusalEvent = item.includes('"PK":{"S":"EVENTS#') && item.includes('"type":{"S":"resource.create_refused"}');
  return refusalEvent || item.includes('"SK":{"S":"EVENTSEQ"}') || item.includes('"PK":{"S":"PROJECTEVENTS#');
}

/** JSON with keys sorted at every depth, so equal items serialize equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
