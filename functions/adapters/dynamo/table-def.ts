// The single table's key layout, shared by the CDK stack, the local cloud and the stores.
// Plain data (no SDK import), so infra can read it without loading runtime code.
export const TABLE_KEYS = {
  partitionKey: 'PK',
  sortKey: 'SK',
  listIndex: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /** A second list for items that appear in two lists (an assignment: its project's, and its domain's approvals queue). */
  secondListIndex: { name: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
} as const;
