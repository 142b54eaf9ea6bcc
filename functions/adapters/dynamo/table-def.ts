// The single table's key layout, shared by the CDK stack, the local cloud and the stores.
// Plain data (no SDK import), so infra can read it without loading runtime code.
export const TABLE_KEYS = {
  partitionKey: 'PK',
  sortKey: 'SK',
  listIndex: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
} as const;
