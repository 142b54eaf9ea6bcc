import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { FUNCTION_GROUPS, type FunctionGroup } from '../../functions/api/routes.ts';
import { accessTokenKeyAlias } from '../../infra/constructs/signing-key.ts';
import { type Cfn, list, logicalId, permissionsOfRole, render, resources, roleOfFunction, type Statement, synth } from './synth.ts';

// The access-token keys (infra/constructs/signing-key.ts): asymmetric KMS keys whose private halves
// only the auth group may use; every other group reads public keys, and nothing else signs.

const GROUPS = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];

/** The alias resource named `name`, as a function's environment refers to it (so the function is created after it). */
function aliasRef(t: Parameters<typeof resources>[0], name: string): { Ref: string } {
  const found = Object.entries(resources(t, 'AWS::KMS::Alias')).find(([, a]) => a.Properties.AliasName === name);
  expect(found, name).toBeDefined();
  return { Ref: found?.[0] as string };
}

/** Whether an IAM action pattern (`*`, `kms:*`, `kms:S*`, `KMS:sign`) covers kms:Sign. */
function coversSign(action: string): boolean {
  const pattern = action
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${pattern}$`, 'i').test('kms:Sign');
}

const variables = (fn: Cfn[string] | undefined) =>
  ((fn?.Properties.Environment ?? { Variables: {} }) as { Variables: Record<string, unknown> }).Variables;

describe('access-token keys', () => {
  it('creates one retained ECC_NIST_P256 SIGN_VERIFY key with its alias, named to the functions by alias', () => {
    const s = synth('dev');
    const keys = resources(s.api, 'AWS::KMS::Key');
    expect(Object.values(keys)).toHaveLength(1);
    const [key] = Object.values(keys);
    expect(key?.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(key?.DeletionPolicy).toBe('Retain');
    const aliases = Object.values(resources(s.api, 'AWS::KMS::Alias')).map((a) => a.Properties.AliasName);
    expect(aliases).toEqual([accessTokenKeyAlias('dev', '1')]);
    for (const group of GROUPS.filter((g) => g !== 'nodes')) {
      const fn = resources(s.api, 'AWS::Lambda::Function')[
        logicalId(s.plexsphere.api, s.plexsphere.api.functions[group].fn.node.defaultChild as CfnElement)
      ];
      const vars = variables(fn);
      expect(vars.ACCESS_TOKEN_KEY_ID, group).toEqual(aliasRef(s.api, 'alias/plexsphere-dev-access-token-1'));
      expect(vars.ACCESS_TOKEN_STANDBY_KEY_ID, group).toBeUndefined();
    }
  });

  it('lets the auth group alone kms:Sign; the other token groups may only kms:GetPublicKey; nothing else in the app touches the key', () => {
    const s = synth('prod');
    const kmsActions = (t: typeof s.api, fnId: string) => permissionsOfRole(t, roleOfFunction(t, fnId)).filter((p) => p.startsWith('kms:'));
    const keyArn = `\${${logicalId(s.plexsphere.api, s.plexsphere.api.tokenKeys.keys[0]?.node.defaultChild as CfnElement)}.Arn}`;
    for (const group of GROUPS) {
      const fnId = logicalId(s.plexsphere.api, s.plexsphere.api.functions[group].fn.node.defaultChild as CfnElement);
      const expected =
        group === 'auth' ? [`kms:GetPublicKey ${keyArn}`, `kms:Sign ${keyArn}`] : group === 'nodes' ? [] : [`kms:GetPublicKey ${keyArn}`];
      expect(kmsActions(s.api, fnId), group).toEqual(expected);
    }
    // No policy anywhere else grants kms:Sign, by name or by wildcard (`*`, `kms:*`, `kms:S*`): the console, the workflows, the steps.
    expect(['*', 'kms:*', 'kms:S*', 'KMS:sign', 'kms:Sig?'].every(coversSign)).toBe(true);
    expect(['kms:GetPublicKey', 'kms:Decrypt', 's3:*'].some(coversSign)).toBe(false);
    const signers = (t: typeof s.api) =>
      Object.values(resources(t, 'AWS::IAM::Policy') as Cfn).flatMap((p) =>
        (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter(
          (st: Statement & { NotAction?: unknown }) =>
            st.Effect !== 'Deny' && (st.NotAction !== undefined || list(st.Action ?? []).some(coversSign)),
        ).map((st) => render(st.Resource)),
      );
    expect(signers(s.api)).toHaveLength(1);
    expect(signers(s.workflows)).toEqual([]);
    expect(signers(s.data)).toEqual([]);
  });

  it('keeps a standby key live during a rotation: both keys granted and named, the active one signing', () => {
    const s = synth('dev', () => {}, { accessTokenKeys: '2,1' });
    const aliases = Object.values(resources(s.api, 'AWS::KMS::Alias')).map((a) => a.Properties.AliasName);
    expect(aliases.toSorted()).toEqual([accessTokenKeyAlias('dev', '1'), accessTokenKeyAlias('dev', '2')]);
    const auth = s.plexsphere.api.functions.auth.fn;
    const fn = resources(s.api, 'AWS::Lambda::Function')[logicalId(s.plexsphere.api, auth.node.defaultChild as CfnElement)];
    expect(variables(fn)).toMatchObject({
      ACCESS_TOKEN_KEY_ID: aliasRef(s.api, accessTokenKeyAlias('dev', '2')),
      ACCESS_TOKEN_STANDBY_KEY_ID: aliasRef(s.api, accessTokenKeyAlias('dev', '1')),
    });
    // The key of generation 1 keeps its logical id when it becomes the standby: no replacement, no new key.
    const before = synth('dev').plexsphere.api;
    expect(logicalId(s.plexsphere.api, s.plexsphere.api.tokenKeys.keys[1]?.node.defaultChild as CfnElement)).toBe(
      logicalId(before, before.tokenKeys.keys[0]?.node.defaultChild as CfnElement),
    );
    expect(() => synth('dev', () => {}, { accessTokenKeys: '1,1' })).toThrow(/Invalid accessTokenKeys/);
  });

  it("denies kms:Sign in each key's policy to every principal but the auth function's role, and keeps the account's administration", () => {
    const s = synth('prod', () => {}, { accessTokenKeys: '2,1' });
    const api = s.plexsphere.api;
    const fn = resources(s.api, 'AWS::Lambda::Function')[logicalId(api, api.functions.auth.fn.node.defaultChild as CfnElement)];
    const authRole = fn?.Properties.Role;
    expect(authRole).toMatchObject({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    const keys = Object.values(resources(s.api, 'AWS::KMS::Key'));
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
      expect(statements).toContainEqual({
        Sid: 'OnlyTheAuthFunctionSigns',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:Sign',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:PrincipalArn': authRole } },
      });
      // The account still administers the key (the default statement), or the key could not be managed.
      expect(statements.some((st) => st.Effect === 'Allow' && list(st.Action).includes('kms:*'))).toBe(true);
    }
  });
});
