import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.ts';
import { verifyPassword } from '../../functions/adapters/password-hasher.ts';
import { UserSchema } from '../../functions/core/tenancy.ts';
import { FIXTURES } from '../../scripts/fixtures.ts';
import { seedStage, stageSeedFrom } from '../../scripts/seed-stage.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';

// The first identity of a deployed stage: what `npm run seed:stage` accepts and what it writes.
let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.close();
});

const ARGS = ['--stage', 'prod', '--domain-slug', 'corp', '--domain-name', 'Corp', '--operator-email', 'ops@corp.example'];
const PASSWORD = 'correct horse battery staple';

describe('seed:stage arguments', () => {
  it('reads the password from the environment only, and refuses a short one', () => {
    expect(stageSeedFrom(ARGS, { PLEXSPHERE_OPERATOR_PASSWORD: PASSWORD })).toMatchObject({
      stage: 'prod',
      seed: { domainSlug: 'corp', operatorEmail: 'ops@corp.example', operatorPassword: PASSWORD, meshCidr: '100.64.0.0/16' },
    });
    expect(() => stageSeedFrom(ARGS, {})).toThrow(/PLEXSPHERE_OPERATOR_PASSWORD/);
    expect(() => stageSeedFrom(ARGS, { PLEXSPHERE_OPERATOR_PASSWORD: 'password' })).toThrow(/at least 12/);
    expect(() => stageSeedFrom([...ARGS, '--password', 'x'], { PLEXSPHERE_OPERATOR_PASSWORD: PASSWORD })).toThrow(/password/);
  });

  it('names every missing flag, and refuses an address that is not one', () => {
    expect(() => stageSeedFrom(['--stage', 'prod'], { PLEXSPHERE_OPERATOR_PASSWORD: PASSWORD })).toThrow('missing --domain-slug, --domain-name, --operator-email');
    const bad = ARGS.map((a) => (a === 'ops@corp.example' ? 'ops' : a));
    expect(() => stageSeedFrom(bad, { PLEXSPHERE_OPERATOR_PASSWORD: PASSWORD })).toThrow(/not an email/);
  });
});

describe('seedStage', () => {
  it('writes one domain, its operator and the real-cloud blueprint, never the demo identities; a re-run keeps them', async () => {
    const table = await dynamo.freshTable('stage');
    const { seed } = stageSeedFrom(ARGS, { PLEXSPHERE_OPERATOR_PASSWORD: PASSWORD });
    const first = await seedStage(table, seed);
    expect(first.created).toEqual(expect.arrayContaining(['domain Corp', 'user ops@corp.example', 'blueprint aws-ec2-instance']));

    const operatorKey = (await table.getRaw(keys.userEmail(first.domainId, 'ops@corp.example'))) as { id: string };
    const operator = UserSchema.parse(await table.getRaw(keys.user(operatorKey.id)));
    expect(operator).toMatchObject({ platform_operator: true, domain_roles: { [first.domainId]: ['admin', 'auditor'] } });
    expect(await verifyPassword(PASSWORD, operator.password_hash)).toBe(true);
    expect(operator.password_hash).not.toContain(PASSWORD);
    expect(await table.getRaw(keys.user(FIXTURES.admin.id))).toBeUndefined();
    expect(await table.getRaw(keys.user(FIXTURES.operator.id))).toBeUndefined();

    const again = await seedStage(table, { ...seed, operatorPassword: 'another password entirely' });
    expect(again.created).toEqual([]);
    expect([again.domainId, again.bindingId]).toEqual([first.domainId, first.bindingId]);
    const kept = UserSchema.parse(await table.getRaw(keys.user(operatorKey.id)));
    expect(await verifyPassword(PASSWORD, kept.password_hash)).toBe(true);
  });
});
