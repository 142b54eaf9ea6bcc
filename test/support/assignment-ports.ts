import { RecordingLeaseTimers } from './lease-fakes.ts';
import { DynamoAssignmentStore } from '../../functions/adapters/assignment-store.ts';
import { DynamoAuditLog } from '../../functions/adapters/audit-log.ts';
import type { Table } from '../../functions/adapters/dynamo/table.ts';
import type { AssignableCredential } from '../../functions/core/assignments/credential-directory.ts';
import type { AssignmentPorts } from '../../functions/core/assignments/use-cases.ts';
import type { Authorizer, AuthzSubject } from '../../functions/core/authz/model.ts';
import type { Clock } from '../../functions/core/clock.ts';
import type { TenancyStore } from '../../functions/core/ports.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import type { Vault } from '../../functions/core/vault.ts';

// One project and one credential, for the assignment use cases driven against the real stores
// with an authorizer that allows everything: what is refused is refused by the code and the
// conditional writes alone.

export const IDS = {
  DOMAIN: '019100a0-0a00-7000-8000-000000000001',
  OWNER: '019100a0-0c00-7000-8000-000000000001',
  REQUESTER: '019100a0-0c00-7000-8000-000000000002',
  PROJECT: '019100a0-0e00-7000-8000-000000000001',
  CREDENTIAL: '019100a0-0f00-7000-8000-000000000001',
} as const;

const SEEDED_AT = '2026-06-01T00:00:00.000Z';

export const allowAll: Authorizer = { decide: async () => ({ allowed: true }) };

export const subjectOf = (userId: string): AuthzSubject => ({ userId, domainId: IDS.DOMAIN, platformOperator: false, adminOf: [], auditorOf: [], mayOwnIn: [IDS.DOMAIN] });
export const actorOf = (userId: string) => ({ subject: subjectOf(userId), correlationId: 'test' });

/** The one project, owned by the requester, as written at `at`. */
export const projectAt = (at: string): Project => ({
  id: IDS.PROJECT,
  domain_id: IDS.DOMAIN,
  name: 'p',
  slug: 'p',
  owner_id: IDS.REQUESTER,
  resource_count: 0,
  created_at: at,
  updated_at: at,
});
const project = projectAt(SEEDED_AT);

/** The one credential, active, owned by OWNER. */
export const activeCredential: AssignableCredential = {
  id: IDS.CREDENTIAL,
  cloud_id: IDS.DOMAIN,
  owner_id: IDS.OWNER,
  status: 'active',
  secret_arn: 'arn:secret',
  created_at: SEEDED_AT,
};

/** The vault as approval sees it: the credential's secret is there and readable. */
const vault: Vault = {
  create: async () => ({ arn: 'arn:secret', versionId: 'v1' }),
  read: async () => ({ value: 'never-used', versionId: 'v1' }),
  put: async () => ({ arn: 'arn:secret', versionId: 'v2' }),
  describe: async () => ({ arn: 'arn:secret', currentVersionId: 'v1' }),
  remove: async () => {},
};

/** The ports of one request over `table` (which a test may hook), with the real assignment store and audit log. */
export function assignmentPorts(table: Table, clock: Clock, assignments = new DynamoAssignmentStore(table)): AssignmentPorts {
  return {
    tenancy: { getProject: async (id: string) => (id === IDS.PROJECT ? project : undefined) } as unknown as TenancyStore,
    assignments,
    credentials: { getCredential: async (id) => (id === IDS.CREDENTIAL ? activeCredential : undefined), credentialsOfCloud: async () => [activeCredential] },
    audit: new DynamoAuditLog(table),
    vault,
    authorizer: allowAll,
    clock,
    config: { requestTtlSeconds: 3600 },
    leases: new RecordingLeaseTimers(),
  };
}
