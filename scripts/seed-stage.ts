// `npm run seed:stage -- --stage <name> …`: the first identity of a deployed stage (AWS). A fresh
// stage has no one who could sign in; this writes one domain with a password IdP binding, its
// first platform operator (also the domain's admin and auditor), and the aws-ec2-instance
// blueprint. The demo fixtures (password "password") are never written here. Idempotent: a second
// run with the same stage keeps what exists, the operator's password included.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Table } from '../functions/adapters/dynamo/table.ts';
import { systemClock } from '../functions/core/clock.ts';
import { tableNameOf } from '../infra/stacks/data-stack.ts';
import { seedAwsEc2Blueprint, seedClaimId } from './seed-catalog.ts';
import { type SeedReport, seedDomain, seedUser } from './seed.ts';

export interface StageSeed {
  domainSlug: string;
  domainName: string;
  meshCidr: string;
  operatorEmail: string;
  operatorName: string;
  operatorPassword: string;
}

const MIN_PASSWORD_LENGTH = 12;

/** Checks the command line and the password (from the environment, never argv: shell history). */
export function stageSeedFrom(argv: string[], env: NodeJS.ProcessEnv): { stage: string; seed: StageSeed } {
  const { values } = parseArgs({
    args: argv,
    options: {
      stage: { type: 'string' },
      'domain-slug': { type: 'string' },
      'domain-name': { type: 'string' },
      'mesh-cidr': { type: 'string', default: '100.64.0.0/16' },
      'operator-email': { type: 'string' },
      'operator-name': { type: 'string', default: 'Platform Operator' },
    },
    strict: true,
  });
  const missing = (['stage', 'domain-slug', 'domain-name', 'operator-email'] as const).filter((k) => !values[k]);
  if (missing.length) throw new Error(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const password = env.PLEXSPHERE_OPERATOR_PASSWORD ?? '';
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`set PLEXSPHERE_OPERATOR_PASSWORD to the operator's password (at least ${MIN_PASSWORD_LENGTH} characters)`);
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(values['operator-email'] as string)) throw new Error('--operator-email is not an email address');
  return {
    stage: values.stage as string,
    seed: {
      domainSlug: values['domain-slug'] as string,
      domainName: values['domain-name'] as string,
      meshCidr: values['mesh-cidr'] as string,
      operatorEmail: values['operator-email'] as string,
      operatorName: values['operator-name'] as string,
      operatorPassword: password,
    },
  };
}

export async function seedStage(table: Table, seed: StageSeed): Promise<SeedReport & { domainId: string; bindingId: string }> {
  const report: SeedReport = { created: [], kept: [] };
  const clock = systemClock;
  const now = clock.now().toISOString();
  // Ids minted on the first run and kept by claim items, so a re-run finds the same ones.
  const domainId = await seedClaimId(table, 'stage-domain', clock);
  const bindingId = await seedClaimId(table, 'stage-idp-binding', clock);
  const operatorId = await seedClaimId(table, 'stage-operator', clock);
  await seedDomain(table, report, {
    domain: { id: domainId, slug: seed.domainSlug, name: seed.domainName, mesh_cidr: seed.meshCidr, created_at: now, updated_at: now },
    binding: { id: bindingId, domain_id: domainId, label: `${seed.domainName} password sign-in`, kind: 'password', issuer_host: 'plexsphere', primary: true, platform_scoped: false },
  });
  await seedUser(table, report, {
    id: operatorId,
    domainId,
    email: seed.operatorEmail,
    name: seed.operatorName,
    password: seed.operatorPassword,
    roles: { platform_operator: true, domain_roles: { [domainId]: ['admin', 'auditor'] } },
  });
  await seedAwsEc2Blueprint(table, report);
  return { ...report, domainId, bindingId };
}

async function main(): Promise<void> {
  const { stage, seed } = stageSeedFrom(process.argv.slice(2), process.env);
  const result = await seedStage(new Table(tableNameOf(stage)), seed);
  console.log(`stage ${stage}: created ${result.created.join(', ') || 'nothing'}; kept ${result.kept.join(', ') || 'nothing'}`);
  console.log(`sign in with: plexctl login --domain-id ${result.domainId} --idp-binding-id ${result.bindingId}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
