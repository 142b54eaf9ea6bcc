import { Table } from '../../functions/adapters/dynamo/table.ts';
import type { Project } from '../../functions/core/tenancy.ts';
import { deps } from '../../functions/shared/composition.ts';
import { seedDomain, seedUser } from '../../scripts/seed.ts';
import type { ApiResponse, TestStack } from './stack.ts';

// A second tenant on the test stack, with the people a test needs (an admin, an auditor, a member
// (who may own projects and nothing more), a user with no role), each with an access token minted
// directly (the sign-in flow has its own tests).

export type Role = 'admin' | 'auditor' | 'member' | 'none';

export interface Tenant {
  domainId: string;
  /** User ids by the name given. */
  users: Record<string, string>;
  /** Calls the API as one of the tenant's users. */
  call(who: string, method: string, path: string, body?: unknown): Promise<ApiResponse>;
  token(who: string): string;
  /** A project written straight to the store, owned by `owner` (creating one through the API needs an admin). */
  ownedProject(owner: string, slug: string): Promise<string>;
}

/** Ids end in `<tag><nnnn>` (tag: 8 hex digits), so one test's tenant never meets another's. */
export async function seedTenant(stack: TestStack, opts: { tag: string; slug: string; people: Record<string, Role> }): Promise<Tenant> {
  const id = (n: number) => `019100a0-0e00-7000-8000-${opts.tag}${n.toString(16).padStart(4, '0')}`;
  const domainId = id(1);
  const table = new Table(stack.tableName);
  const report = { created: [], kept: [] };
  const at = new Date().toISOString();
  await seedDomain(table, report, {
    domain: { id: domainId, slug: opts.slug, name: opts.slug, mesh_cidr: '100.66.0.0/16', created_at: at, updated_at: at },
    binding: { id: id(2), domain_id: domainId, label: `${opts.slug} password`, kind: 'password', issuer_host: 'localhost', primary: true, platform_scoped: false },
  });
  const users: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let n = 10;
  for (const [name, role] of Object.entries(opts.people)) {
    const userId = id(n++);
    const email = `${name}@${opts.slug}.example`;
    const roles = role === 'none' ? [] : [role];
    await seedUser(table, report, { id: userId, domainId, email, name, password: `${name}-password`, roles: { platform_operator: false, domain_roles: { [domainId]: roles } } });
    users[name] = userId;
    tokens[name] = (await deps().tokens.issue({ subject: userId, domainId, email })).token;
  }
  const token = (who: string) => {
    const t = tokens[who];
    if (!t) throw new Error(`no user ${who} in ${opts.slug}`);
    return t;
  };
  return {
    domainId,
    users,
    token,
    call: (who, method, path, body) => stack.call(null, method, path, body, { authorization: `Bearer ${token(who)}` }),
    async ownedProject(owner, slug) {
      const project: Project = {
        id: id(n++),
        domain_id: domainId,
        name: slug,
        slug,
        owner_id: users[owner] as string,
        resource_count: 0,
        created_at: at,
        updated_at: at,
      };
      await deps().tenancy.createProject(project);
      return project.id;
    },
  };
}
