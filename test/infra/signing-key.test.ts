import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { FUNCTION_GROUPS, type FunctionGroup } from '../../functions/api/routes.ts';
import { accessTokenKeyAlias } from '../../infra/constructs/signing-key.ts';
import { type Cfn, list, logicalId, permissionsOfRole, render, resources, roleOfFunction, type Statement, synth } from './synth.ts';

// The access-token keys (infra/constructs/signing-key.ts): asymmetric KMS keys whose private halves
// only the auth group may use; every other group reads public keys, and nothing else signs.

const GROUPS = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];

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
      expect(vars.ACCESS_TOKEN_KEY_ID, group).toBe('alias/plexsphere-dev-access-token-1');
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
    // No policy anywhere else names kms:Sign (or kms:*): the console, the workflows, the steps.
    const signers = (t: typeof s.api) =>
      Object.values(resources(t, 'AWS::IAM::Policy') as Cfn).flatMap((p) =>
        (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((st) =>
          list(st.Action).some((a) => a === 'kms:Sign' || a === 'kms:*'),
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
      ACCESS_TOKEN_KEY_ID: accessTokenKeyAlias('dev', '2'),
      ACCESS_TOKEN_STANDBY_KEY_ID: accessTokenKeyAlias('dev', '1'),
    });
    // The key of generation 1 keeps its logical id when it becomes the standby: no replacement, no new key.
    const before = synth('dev').plexsphere.api;
    expect(logicalId(s.plexsphere.api, s.plexsphere.api.tokenKeys.keys[1]?.node.defaultChild as CfnElement)).toBe(
      logicalId(before, before.tokenKeys.keys[0]?.node.defaultChild as CfnElement),
    );
    expect(() => synth('dev', () => {}, { accessTokenKeys: '1,1' })).toThrow(/Invalid accessTokenKeys/);
  });
});
