import { hashPassword } from '../functions/adapters/password-hasher.ts';
import { keys, listSortKey } from '../functions/adapters/dynamo/keys.ts';
import type { Table } from '../functions/adapters/dynamo/table.ts';
import type { Domain, IdpBinding, User } from '../functions/core/tenancy.ts';
import { FIXTURES } from './fixtures.ts';
import { seedAwsEc2Blueprint, seedCatalog } from './seed-catalog.ts';

export interface SeedReport {
  created: string[];
  kept: string[];
}

/** Writes an item unless it exists; a second boot therefore changes nothing. */
async function ensure(table: Table, report: SeedReport, label: string, item: { PK: string; SK: string } & Record<string, unknown>) {
  if (await table.putNew(item)) report.created.push(label);
  else report.kept.push(label);
}

const SEEDED_AT = '2026-01-01T00:00:00.000Z';

async function seedUser(table: Table, report: SeedReport, fixture: { id: string; email: string; name: string }, roles: Pick<User, 'platform_operator' | 'domain_roles'>) {
  if (await table.getRaw(keys.user(fixture.id))) {
    report.kept.push(`user ${fixture.email}`);
    return;
  }
  const user: User = {
    id: fixture.id,
    domain_id: FIXTURES.domain.id,
    email: fixture.email,
    display_name: fixture.name,
    password_hash: await hashPassword(FIXTURES.devPassword),
    created_at: SEEDED_AT,
    ...roles,
  };
  // The email claim first, then the user: a crash in between is finished by the next boot.
  await table.putNew({ ...keys.userEmail(user.domain_id, user.email), id: user.id });
  await ensure(table, report, `user ${fixture.email}`, { ...keys.user(user.id), ...user });
}

/** Seeds the tutorial's tenancy: Acme Corp, its password IdP binding, and the two identities. */
export async function seedTenancy(table: Table, report: SeedReport): Promise<void> {
  const { domain: d, binding: b } = FIXTURES;
  const domain: Domain = { id: d.id, slug: d.slug, name: d.name, mesh_cidr: d.meshCidr, created_at: SEEDED_AT, updated_at: SEEDED_AT };
  await ensure(table, report, 'domain Acme Corp', { ...keys.domain(d.id), ...keys.domainList(), ...listSortKey(d.id), ...domain });
  const binding: IdpBinding = {
    id: b.id,
    domain_id: d.id,
    label: b.label,
    kind: 'password',
    issuer_host: b.issuerHost,
    primary: true,
    platform_scoped: false,
  };
  await ensure(table, report, 'idp binding', { ...keys.idpBinding(d.id, b.id), ...binding });
  await seedUser(table, report, FIXTURES.operator, { platform_operator: true, domain_roles: { [d.id]: ['auditor'] } });
  await seedUser(table, report, FIXTURES.admin, { platform_operator: false, domain_roles: { [d.id]: ['admin'] } });
}

/**
 * The tutorial's fixtures; a stage other than the embedded local stack (LocalStack, AWS) also gets
 * the real-cloud blueprint, whose machines download plexd (nothing local could run it).
 */
export async function seedFixtures(table: Table, opts: { stage?: string } = {}): Promise<SeedReport> {
  const report: SeedReport = { created: [], kept: [] };
  await seedTenancy(table, report);
  await seedCatalog(table, report);
  if (opts.stage && opts.stage !== 'local') await seedAwsEc2Blueprint(table, report);
  return report;
}
