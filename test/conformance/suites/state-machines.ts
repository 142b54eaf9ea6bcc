import { readFileSync } from 'node:fs';
import { CreateStateMachineCommand, DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_MACHINES, STEP_GROUPS, type StepGroup } from '../../../functions/steps/step-groups.ts';
import { PROJECT_ROOT } from '../../../infra/constructs/broker-function.ts';
import { placeholders } from '../../../infra/constructs/phase-arcs.ts';
import { TIMINGS } from '../../../infra/stacks/workflows-stack.ts';
import { substitute } from '../../../local/stepfunctions/api.ts';
import { type ConformanceSuite, sfnClient } from '../backend.ts';
import { rejectionOf } from '../fixtures.ts';

const ACCOUNT = '123456789012';
const RUNS = Object.keys(STATE_MACHINES) as Array<keyof typeof STATE_MACHINES>;

/** An ASL file with its placeholders filled as the CDK app fills them: the timings, and each step group's function ARN. */
function substituted(run: keyof typeof STATE_MACHINES, region: string): string {
  const asl = readFileSync(`${PROJECT_ROOT}${STATE_MACHINES[run].file}`, 'utf8');
  const values: Record<string, string> = Object.fromEntries(Object.entries(TIMINGS).map(([name, seconds]) => [name, String(seconds)]));
  for (const [group, def] of Object.entries(STEP_GROUPS)) {
    values[def.substitution] = `arn:aws:lambda:${region}:${ACCOUNT}:function:plexsphere-conformance-${group as StepGroup}`;
  }
  // Exactly the names the file uses, as the workflows stack passes them.
  return substitute(asl, Object.fromEntries(placeholders(asl).map((name) => [name, values[name] ?? ''])));
}

export const stateMachinesSuite: ConformanceSuite = (backend) => {
  describe('Step Functions state machines', () => {
    let client: SFNClient;
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/plexsphere-conformance`;
    beforeAll(() => {
      client = sfnClient(backend());
    });
    afterAll(() => client.destroy());

    it.each(RUNS)('creates the %s state machine from its substituted ASL, and describes it back unchanged', async (run) => {
      const definition = substituted(run, backend().region);
      expect(definition).not.toMatch(/\$\{/);
      const name = `plexsphere-conformance-${run}-${process.pid}`;
      const created = await client.send(new CreateStateMachineCommand({ name, definition, roleArn, type: 'STANDARD' }));
      expect(created.stateMachineArn).toMatch(new RegExp(`^arn:aws:states:${backend().region}:\\d{12}:stateMachine:${name}$`));
      const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
      expect(described).toMatchObject({ name, status: 'ACTIVE', type: 'STANDARD', roleArn });
      expect(JSON.parse(described.definition ?? '{}')).toEqual(JSON.parse(definition));
    });

    it('refuses a definition that is not ASL', async () => {
      const definition = JSON.stringify({ StartAt: 'Nope', States: { Nope: { Type: 'Teleport', End: true } } });
      const error = await rejectionOf(client.send(new CreateStateMachineCommand({ name: `plexsphere-conformance-bad-${process.pid}`, definition, roleArn })));
      if (backend().name === 'moto') {
        // moto's ASL parser refuses it, but moto answers 400 with `"__type": null`, which the SDK
        // cannot read (it throws a TypeError while deserializing). AWS answers InvalidDefinition.
        expect(error.message).toMatch(/Deserialization error|reading 'indexOf'/);
      } else {
        expect(error.name).toBe('InvalidDefinition');
      }
    });
  });
};
