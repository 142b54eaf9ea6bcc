import { hashPassword } from '../functions/adapters/password-hasher.ts';
import { keys, listSortKey } from '../functions/adapters/dynamo/keys.ts';
import { putNewAction, type Table } from '../functions/adapters/dynamo/table.ts';
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

export interface DomainSeed {
  domain: Domain;
  binding: IdpBinding;
}

/** A domain and its password IdP binding, each written unless it exists. */
export async function seedDomain(table: Table, report: SeedReport, { domain, binding }: DomainSeed): Promise<void> {
  await ensure(table, report, `domain ${domain.name}`, { ...keys.domain(domain.id), ...keys.domainList(), ...listSortKey(domain.id), ...domain });
  await ensure(table, report, `idp binding ${binding.label}`, { ...keys.idpBinding(domain.id, binding.id), ...binding });
}

export interface UserSeed {
  id: string;
  domainId: string;
  email: string;
  name: string;
  password: string;
  roles: Pick<User, 'platform_operator' | 'domain_roles'>;
  createdAt?: string;
}

/** A password identity, unless one with that id exists (its password is then left as it is). */
export async function seedUser(table: Table, report: SeedReport, seed: UserSeed): Promise<void> {
  if (await table.getRaw(keys.user(seed.id))) {
    report.kept.push(`user ${seed.email}`);
    return;
  }
  const user: User = {
    id: seed.id,
    domain_id: seed.domainId,
    email: seed.email,
    display_name: seed.name,
    password_hash: await hashPassword(seed.password),
    created_at: seed.createdAt ?? new Date().toISOString(),
    ...seed.roles,
  };
  // The user and its (domain, email) pointer land together; a run that finds the user keeps both.
  const cancelled = await table.transact([
    putNewAction({ ...keys.userEmail(user.domain_id, user.email), id: user.id }),
    putNewAction({ ...keys.user(user.id), ...user }),
  ]);
  if (cancelled?.[0]?.failed && cancelled[0].item?.id !== user.id) throw new Error(`the email ${seed.email} belongs to another user`);
  report[cancelled ? 'kept' : 'created'].push(`user ${seed.email}`);
}

/** Seeds the tutorial's tenancy: Acme Corp, its password IdP binding, and the two identities. */
export async function seedTenancy(table: Table, report: SeedReport): Promise<void> {
  const { domain: d, binding: b } = FIXTURES;
  await seedDomain(table, report, {
    domain: { id: d.id, slug: d.slug, name: d.name, mesh_cidr: d.meshCidr, created_at: SEEDED_AT, updated_at: SEEDED_AT },
    binding: { id: b.id, domain_id: d.id, label: b.label, kind: 'password', issuer_host: b.issuerHost, primary: true, platform_scoped: false },
  });
  const dev = { domainId: d.id, password: FIXTURES.devPassword, createdAt: SEEDED_AT };
  await seedUser(table, report, { ...FIXTURES.operator, ...dev, roles: { platform_operator: true, domain_roles: { [d.id]: ['auditor'] } } });
  await seedUser(table, report, { ...FIXTURES.admin, ...dev, roles: { platform_operator: false, domain_roles: { [d.id]: ['admin'] } } });
}

export async function seedFixtures(table: Table, opts: { stage?: string } = {}): Promise<SeedReport> {
  const report: SeedReport = { created: [], kept: [] };
  await seedTenancy(table, report);
  await seedCatalog(table, report);
  if (opts.stage && opts.stage !== 'local') await seedAwsEc2Blueprint(table, report);
  return report;
}
