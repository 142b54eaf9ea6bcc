import type { ConformanceSuite } from '../backend.ts';
import { assignmentStoreSuite, auditLogSuite } from './assignments-audit.ts';
import { auditChainSuite } from './audit-chain.ts';
import { authStoreSuite } from './auth.ts';
import { ec2SubstrateSuite } from './ec2-substrate.ts';
import { eventLogSuite } from './event-log.ts';
import { kmsSuite } from './kms.ts';
import { leaseTimersSuite } from './lease-timers.ts';
import { peerSnapshotSuite } from './peer-snapshot.ts';
import { resourceStoreSuite, nodeStoreSuite } from './resources-nodes.ts';
import { secretsVaultSuite } from './secrets-vault.ts';
import { quotaSlotsSuite } from './quota-slots.ts';
import { storeRaces } from './store-races.ts';
import { stateMachinesSuite } from './state-machines.ts';
import { tableSuite } from './table.ts';
import { catalogStoreSuite, tenancyStoreSuite } from './tenancy-catalog.ts';

/**
 * Every conformance suite, run once per backend (local.test.ts, moto.test.ts). A new suite is
 * added here once and runs against both. The DynamoDB transactions suite itself (TransactWriteItems
 * and TransactGetItems as documented) has its own lifecycle: moto.test.ts runs it against moto,
 * test/unit/dynamo-transactions.test.ts against the local front.
 */
export const CONFORMANCE_SUITES: readonly ConformanceSuite[] = [
  tableSuite,
  tenancyStoreSuite,
  catalogStoreSuite,
  assignmentStoreSuite,
  auditLogSuite,
  auditChainSuite,
  resourceStoreSuite,
  nodeStoreSuite,
  peerSnapshotSuite,
  storeRaces,
  quotaSlotsSuite,
  eventLogSuite,
  authStoreSuite,
  secretsVaultSuite,
  ec2SubstrateSuite,
  stateMachinesSuite,
  leaseTimersSuite,
  kmsSuite,
];
