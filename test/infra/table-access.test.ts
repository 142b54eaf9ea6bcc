import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assignmentKeys, auditKeys, eventKeys, keys, resourceKeys, webhookKeys } from '../../functions/adapters/dynamo/keys.ts';
import { FUNCTION_GROUPS, type FunctionGroup } from '../../functions/api/routes.ts';
import { LEASE_EXPIRY_FUNCTION, STEP_GROUPS, type StepGroup, WEBHOOK_DISPATCH_FUNCTION } from '../../functions/steps/step-groups.ts';
import { leadingKeys, PARTITIONS, TABLE_ACCESS, type TableUser } from '../../infra/constructs/table-access.ts';
import { TABLE_ACTIONS } from '../../infra/stacks/data-stack.ts';
import { list, logicalId, resources, roleOfFunction, type Synthesized, synth } from './synth.ts';

// Issue #14 item 9: each function's table grant is limited by `dynamodb:LeadingKeys` to the
// partitions infra/constructs/table-access.ts gives it, and those partitions are the ones
// functions/adapters/dynamo/keys.ts builds. table-access-recorded.test.ts checks the entries
// against what the functions really touch on the embedded stack.

interface TableStatement {
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The table statements of a function's role. */
function tableStatements(s: Synthesized, stack: Stack, fn: NodejsFunction): TableStatement[] {
  const t = stack === s.plexsphere.api ? s.api : s.workflows;
  const role = roleOfFunction(t, logicalId(stack, fn.node.defaultChild as CfnElement));
  return Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: TableStatement[] }).Statement)
    .filter((st) => list(st.Action).some((a) => (TABLE_ACTIONS as readonly string[]).includes(a)));
}

function tableUsers(s: Synthesized): Array<[TableUser, Stack, NodejsFunction]> {
  const { api, workflows } = s.plexsphere;
  return [
    ...(Object.keys(FUNCTION_GROUPS) as FunctionGroup[]).map((g) => [g, api, api.functions[g].fn] as [TableUser, Stack, NodejsFunction]),
    ...(Object.keys(STEP_GROUPS) as StepGroup[]).map((g) => [g, workflows, workflows.steps[g].fn] as [TableUser, Stack, NodejsFunction]),
    [LEASE_EXPIRY_FUNCTION.name, workflows, workflows.leases.fn],
    [WEBHOOK_DISPATCH_FUNCTION.name, workflows, workflows.webhooks.fn],
    ['reconciler', workflows, workflows.reconciler.fn],
  ];
}

describe.each(['dev', 'prod'])('table grants of stage %s', (stage) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(stage);
  });

  it('names every function that uses the table', () => {
    expect(
      tableUsers(s)
        .map(([user]) => user)
        .toSorted(),
    ).toEqual(Object.keys(TABLE_ACCESS).toSorted());
  });

  it('limits each function`s table actions to its partitions by dynamodb:LeadingKeys', () => {
    for (const [user, stack, fn] of tableUsers(s)) {
      const statements = tableStatements(s, stack, fn);
      expect(statements.length, user).toBeGreaterThan(0);
      for (const st of statements) {
        expect(st.Condition, user).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys(user) } });
      }
    }
  });

  it('gives no function as many as half the partitions, and keeps the public groups off what they never touch', () => {
    const all = Object.values(PARTITIONS);
    for (const user of Object.keys(TABLE_ACCESS) as TableUser[]) expect(leadingKeys(user).length, user).toBeLessThan(all.length / 2);
    // The sign-in flow touches no project, resource, credential or node; the node API no user or session.
    expect(leadingKeys('auth')).not.toEqual(expect.arrayContaining([PARTITIONS.project]));
    expect(leadingKeys('auth')).not.toContain(PARTITIONS.credential);
    expect(leadingKeys('nodes')).not.toContain(PARTITIONS.user);
    expect(leadingKeys('nodes')).not.toContain(PARTITIONS.session);
  });
});

/** Every partition-key value (base table and indexes) keys.ts builds, as the pattern of its kind. */
function builtPatterns(): Set<string> {
  const MARK = '~';
  const patternOf = (value: string) => (value.includes(MARK) ? `${value.slice(0, value.indexOf(MARK))}*` : value);
  const out = new Set<string>();
  for (const family of [keys, assignmentKeys, auditKeys, resourceKeys, eventKeys, webhookKeys] as Record<string, unknown>[]) {
    for (const builder of Object.values(family)) {
      if (typeof builder !== 'function') continue;
      const args = Array.from({ length: builder.length }, (_, i) => (i === 0 ? `${MARK}a` : `${MARK}${i}`));
      let built: unknown;
      try {
        built = builder(...args);
      } catch {
        built = builder(`${MARK}a`, ...args.slice(1).map(() => 1));
      }
      if (typeof built === 'string') out.add(patternOf(built));
      else
        for (const name of ['PK', 'GSI1PK', 'GSI2PK']) {
          const value = (built as Record<string, unknown>)[name];
          if (typeof value === 'string') out.add(patternOf(value));
        }
    }
  }
  return out;
}

describe('the partitions of table-access.ts', () => {
  it('are exactly the partition keys keys.ts builds, so a new kind of key needs a place in the table', () => {
    const built = builtPatterns();
    // A sanity check of the walk itself: a base key, an index key, a constant.
    expect(built).toContain('USER#*');
    expect(built).toContain('RESOURCES#ACTIVE');
    expect(built).toContain('WEBHOOKDOMAINS');
    // SEED# claims are written by the stage seed (scripts/), never by a function.
    const granted = new Set<string>(Object.values(PARTITIONS));
    expect([...built].filter((p) => !granted.has(p)).toSorted()).toEqual(['SEED#*']);
    expect([...granted].filter((p) => !built.has(p))).toEqual([]);
  });
});
